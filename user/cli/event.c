// SPDX-License-Identifier: BSD-3-Clause
/* event.c - `mailtap event watch`: follow the event stream with the
 * daemon's server-side filters; compact lines or NDJSON. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

static json_object *list_of(const char *csv)
{
	json_object *a = json_object_new_array();
	char *copy = strdup(csv), *save = NULL;

	for (char *t = strtok_r(copy, ",", &save); t;
	     t = strtok_r(NULL, ",", &save))
		json_object_array_add(a, json_object_new_string(t));
	free(copy);
	return a;
}

static void compact(json_object *e)
{
	static const char *const skip[] = { "ts", "event", "uid", "id" };
	char line[1024];
	size_t o = 0;

	o += snprintf(line + o, sizeof(line) - o, "%.6f %-20s %-18s",
		      json_object_get_double(json_object_object_get(e, "ts")),
		      jstr(e, "uid"), jstr(e, "event"));
	json_object_object_foreach(e, k, v)
	{
		bool s = false;

		for (size_t i = 0; i < 4; i++)
			s |= !strcmp(k, skip[i]);
		if (s || o >= sizeof(line) - 8)
			continue;
		o += snprintf(line + o, sizeof(line) - o, " %s=%.200s", k,
			      json_object_get_string(v));
	}
	puts(line);
}

static int event_watch(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "event", required_argument, NULL, 'e' },
		{ "not", required_argument, NULL, 'n' },
		{ "proto", required_argument, NULL, 'P' },
		{ "client", required_argument, NULL, 'c' },
		{ "server", required_argument, NULL, 'S' },
		{ "count", required_argument, NULL, 'N' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	json_object *req = json_object_new_object();
	long count = -1, seen = 0;
	bool as_json = json_output;
	const char *s;
	char *line;
	int c, fd;

	optind = 0;
	while ((c = getopt_long(argc + 1, argv - 1, "o:", opts, NULL)) != -1) {
		switch (c) {
		case 'e': json_object_object_add(req, "events", list_of(optarg)); break;
		case 'n': json_object_object_add(req, "not", list_of(optarg)); break;
		case 'P': json_object_object_add(req, "proto", list_of(optarg)); break;
		case 'c': json_object_object_add(req, "client", list_of(optarg)); break;
		case 'S': json_object_object_add(req, "server", list_of(optarg)); break;
		case 'N': count = atol(optarg); break;
		case 'o':
			if (strcmp(optarg, "json") && strcmp(optarg, "compact")) {
				json_object_put(req);
				return p_err("-o wants compact or json");
			}
			as_json = !strcmp(optarg, "json");
			break;
		default:
			json_object_put(req);
			return 2;
		}
	}
	fd = cli_connect();
	if (fd < 0) {
		json_object_put(req);
		return 1;
	}
	json_object_object_add(req, "id", json_object_new_int(1));
	json_object_object_add(req, "cmd", json_object_new_string("subscribe"));
	s = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	if (write(fd, s, strlen(s)) < 0 || write(fd, "\n", 1) < 0) {
		json_object_put(req);
		close(fd);
		return p_err("write failed");
	}
	json_object_put(req);
	line = read_line(fd);
	if (!line || !strstr(line, "\"ok\":true")) {
		json_object *r = line ? json_tokener_parse(line) : NULL;

		p_err("subscribe: %s", r ? jstr(r, "error") : "no answer");
		json_object_put(r);
		free(line);
		close(fd);
		return 1;
	}
	free(line);
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((count < 0 || seen < count) && (line = read_line(fd))) {
		if (as_json) {
			puts(line);
		} else {
			json_object *e = json_tokener_parse(line);

			if (e)
				compact(e);
			json_object_put(e);
		}
		free(line);
		seen++;
	}
	close(fd);
	return 0;
}

static int event_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr,
		"Usage: mailtap event watch [--event NAME[,NAME..]] [--not NAME[,..]]\n"
		"                           [--proto smtp|pop3] [--client ADDR[/LEN]]\n"
		"                           [--server ADDR[/LEN]] [-o compact|json] [--count N]\n"
		"NAME may use * globs (smtp_*); filters are applied by the daemon.\n");
	return 0;
}

int do_event(int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{ "watch", event_watch }, { NULL, NULL },
	};

	return cmd_select(cmds, argc, argv, event_help);
}
