/* SPDX-License-Identifier: BSD-3-Clause */
/* files_log.h - files.log: one row per MIME leaf entity with data (SMTP
 * and POP3), with hashes (libcrypto) and optional extraction. Owns the
 * per-connection entity stacks and file state; rows go out as EV_log. */
#ifndef MAILTAP_FILES_LOG_H
#define MAILTAP_FILES_LOG_H

#include <stdbool.h>

#include "daemon/config.h"
#include "event/bus.h"

struct files_log;

/* Told when a file starts (first data of an entity), so connection logs
 * can list the fuid (smtp.log and pop3.log's fuids). */
typedef void (*files_new_cb)(void *arg, const struct conn_info *conn,
			     const char *fuid);

int files_log_new(struct files_log **out, const struct mt_config *cfg,
		  struct bus *bus);
struct sink *files_log_sink(struct files_log *fl);
/* Up to 4 listeners. */
int files_log_on_new(struct files_log *fl, files_new_cb cb, void *arg);
void files_log_free(struct files_log **fl);

#endif
