// SPDX-License-Identifier: BSD-3-Clause
/* event_json.c - placeholder until the event serializer lands. */
#include "event/event_json.h"

void event_json_write(struct jw *w, const struct event *ev, bool redact)
{
	(void)redact;
	jw_obj_open(w);
	jw_key(w, "ts");
	jw_time(w, ev->ts);
	jw_key(w, "event");
	jw_str(w, ev_name(ev->type));
	jw_obj_close(w);
}
