/* SPDX-License-Identifier: BSD-3-Clause */
/* pop3_log.h - pop3.log, notice.log (POP3::Excessive_Errors) and the
 * optional legacy pop3.bro log, built from POP3 events. */
#ifndef MAILTAP_POP3_LOG_H
#define MAILTAP_POP3_LOG_H

#include "daemon/config.h"
#include "event/bus.h"
#include "sink/files_log.h"

struct pop3_log;

int pop3_log_new(struct pop3_log **out, const struct mt_config *cfg,
		 struct bus *bus, struct files_log *files);
struct sink *pop3_log_sink(struct pop3_log *pl);
void pop3_log_free(struct pop3_log **pl);

#endif
