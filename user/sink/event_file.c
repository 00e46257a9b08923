// SPDX-License-Identifier: BSD-3-Clause
/* event_file.c - NDJSON event stream to a file (-E). Owns a buffered FILE;
 * never blocks the pipeline on anything but its own writes. */
#include "sink/event_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event/event_json.h"

struct event_file {
	struct sink sink;
	struct bus *bus;
	FILE *f;
	bool is_stdout;
	bool redact;
	struct jw jw;
	uint64_t written;
	uint64_t errors;
};

static void ef_on_event(struct sink *s, const struct event *ev)
{
	struct event_file *ef = (struct event_file *)s;

	jw_reset(&ef->jw);
	event_json_write(&ef->jw, ev, ef->redact);
	jw_newline(&ef->jw);
	if (ef->jw.oom || fwrite(ef->jw.buf, 1, ef->jw.len, ef->f) != ef->jw.len)
		ef->errors++;
	else
		ef->written++;
}

static void ef_flush(struct sink *s)
{
	fflush(((struct event_file *)s)->f);
}

int event_file_new(struct event_file **out, const struct mt_config *cfg,
		   struct bus *bus)
{
	struct event_file *ef = calloc(1, sizeof(*ef));
	int err;

	if (!ef)
		return -ENOMEM;
	ef->is_stdout = strcmp(cfg->events_file, "-") == 0;
	ef->f = ef->is_stdout ? stdout : fopen(cfg->events_file, "we");
	if (!ef->f) {
		err = -errno;
		free(ef);
		return err;
	}
	setvbuf(ef->f, NULL, _IOFBF, 1 << 16);
	ef->redact = !cfg->log_passwords;
	ef->bus = bus;
	ef->sink.name = "events-file";
	ef->sink.mask = EV_ALL;
	ef->sink.on_event = ef_on_event;
	ef->sink.flush = ef_flush;
	jw_init(&ef->jw, false);
	err = bus_add(bus, &ef->sink);
	if (err) {
		if (!ef->is_stdout)
			fclose(ef->f);
		free(ef);
		return err;
	}
	*out = ef;
	return 0;
}

void event_file_flush(struct event_file *ef)
{
	fflush(ef->f);
}

void event_file_free(struct event_file **efp)
{
	struct event_file *ef;

	if (!efp || !*efp)
		return;
	ef = *efp;
	bus_remove(ef->bus, &ef->sink);
	fflush(ef->f);
	if (!ef->is_stdout)
		fclose(ef->f);
	jw_free(&ef->jw);
	free(ef);
	*efp = NULL;
}
