/* SPDX-License-Identifier: BSD-3-Clause */
/* event_json.h - one event as one JSON object, the contract of -E and of
 * the socket: ts, event, uid, id, then Zeek's argument names.
 * Owns the mapping from event structs to JSON; never writes to fds. */
#ifndef MAILTAP_EVENT_JSON_H
#define MAILTAP_EVENT_JSON_H

#include <stdbool.h>

#include "event/event.h"
#include "util/json.h"

/* Append EV as one JSON object (no newline) to W. redact: replace
 * credentials (see event.redact_from) with "<redacted>". */
void event_json_write(struct jw *w, const struct event *ev, bool redact);

#endif
