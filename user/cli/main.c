// SPDX-License-Identifier: BSD-3-Clause
/* main.c - mailtap, the bpftool-style CLI: `mailtap [OPTIONS] OBJECT
 * {COMMAND | help}`. Owns option parsing, dispatch, output modes and the
 * socket round trip; one file per OBJECT does the rest. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/cli.h"
#include "daemon/version.h"

bool json_output;
bool pretty_output;
const char *socket_path = "/run/mailtap/mailtap.sock";

int p_err(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (json_output) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "error", json_object_new_string(msg));
		p_json(o);
		json_object_put(o);
	} else {
		fprintf(stderr, "Error: %s\n", msg);
	}
	return 1;
}

void p_json(json_object *o)
{
	puts(json_object_to_json_string_ext(
		o, pretty_output ? JSON_C_TO_STRING_PRETTY |
					   JSON_C_TO_STRING_SPACED :
				   JSON_C_TO_STRING_PLAIN));
}

const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return "-";
	return json_object_get_string(v);
}

long long jint(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) :
						       0;
}

char *read_line(int fd)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);

	while (buf) {
		char c;
		ssize_t n = read(fd, &c, 1);

		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			free(buf);
			return NULL;
		}
		if (c == '\n') {
			buf[len] = '\0';
			return buf;
		}
		if (len + 1 == cap) {
			char *nb = realloc(buf, cap *= 2);

			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
		buf[len++] = c;
	}
	return NULL;
}

int cli_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	char *hello;

	if (fd < 0 || strlen(socket_path) >= sizeof(sa.sun_path)) {
		p_err("socket: %s", strerror(errno));
		return -1;
	}
	strcpy(sa.sun_path, socket_path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		p_err("cannot connect to %s: %s (is mailtapd running?)",
		      socket_path, strerror(errno));
		close(fd);
		return -1;
	}
	hello = read_line(fd);
	if (!hello || !strstr(hello, "\"hello\":\"mailtap\"")) {
		p_err("%s does not speak the mailtap protocol", socket_path);
		free(hello);
		close(fd);
		return -1;
	}
	free(hello);
	return fd;
}

json_object *request(const char *cmd, json_object *extra)
{
	json_object *req = extra ? extra : json_object_new_object();
	json_object *resp, *v, *res = NULL;
	const char *s;
	char *line;
	int fd = cli_connect();

	if (fd < 0) {
		json_object_put(req);
		return NULL;
	}
	json_object_object_add(req, "id", json_object_new_int(1));
	json_object_object_add(req, "cmd", json_object_new_string(cmd));
	s = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	if (write(fd, s, strlen(s)) < 0 || write(fd, "\n", 1) < 0) {
		p_err("write: %s", strerror(errno));
		goto out;
	}
	line = read_line(fd);
	resp = line ? json_tokener_parse(line) : NULL;
	free(line);
	if (!resp) {
		p_err("no answer from mailtapd");
		goto out;
	}
	if (!json_object_object_get_ex(resp, "ok", &v) ||
	    !json_object_get_boolean(v)) {
		p_err("%s", jstr(resp, "error"));
	} else if (json_object_object_get_ex(resp, "result", &v)) {
		res = json_object_get(v);
	}
	json_object_put(resp);
out:
	json_object_put(req);
	close(fd);
	return res;
}

int cmd_select(const struct cmd *cmds, int argc, char **argv,
	       int (*help)(int argc, char **argv))
{
	const struct cmd *hit = NULL;
	char amb[256] = "";
	size_t n;

	if (argc < 1)
		return cmds[0].fn(argc, argv);
	n = strlen(argv[0]);
	if (!strcmp(argv[0], "help"))
		return help(argc - 1, argv + 1);
	for (const struct cmd *c = cmds; c->name; c++) {
		if (strncmp(c->name, argv[0], n))
			continue;
		if (!strcmp(c->name, argv[0])) { /* exact wins */
			hit = c;
			amb[0] = '\0';
			break;
		}
		if (hit && hit->fn != c->fn)
			snprintf(amb + strlen(amb), sizeof(amb) - strlen(amb),
				 "%s%s", amb[0] ? ", " : "", c->name);
		else if (!hit)
			hit = c;
	}
	if (hit && amb[0])
		return p_err("ambiguous command '%s': %s, %s", argv[0],
			     hit->name, amb);
	if (!hit) {
		p_err("unknown command '%s'", argv[0]);
		help(0, NULL);
		return 2;
	}
	return hit->fn(argc - 1, argv + 1);
}

static int do_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr,
		"Usage: mailtap [OPTIONS] OBJECT { COMMAND | help }\n"
		"       OBJECT := { status | stats | flow | port | event | prog }\n"
		"       OPTIONS := { -j|--json | -p|--pretty | -s|--socket PATH |\n"
		"                    -V|--version | -h|--help }\n"
		"\n"
		"  mailtap status\n"
		"  mailtap stats [show]\n"
		"  mailtap flow [show|list] [UID]\n"
		"  mailtap port [show] | port add PORT smtp|pop3 | port del PORT\n"
		"  mailtap event watch [--event NAME[,..]] [--not NAME[,..]] [--proto P]\n"
		"                      [--client ADDR] [--server ADDR] [-o compact|json] [--count N]\n"
		"  mailtap prog [show]\n");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "socket", required_argument, NULL, 's' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct cmd objects[] = {
		{ "status", do_status }, { "stats", do_stats },
		{ "flow", do_flow },	 { "port", do_port },
		{ "event", do_event },	 { "prog", do_prog },
		{ NULL, NULL },
	};
	const char *env = getenv("MAILTAP_SOCKET");
	int c;

	if (env)
		socket_path = env;
	while ((c = getopt_long(argc, argv, "+jps:Vh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json_output = true;
			break;
		case 'p':
			json_output = pretty_output = true;
			break;
		case 's':
			socket_path = optarg;
			break;
		case 'V':
			if (json_output)
				printf("{\"version\":\"%s\"}\n", MAILTAP_VERSION);
			else
				printf("mailtap v%s\n", MAILTAP_VERSION);
			return 0;
		case 'h':
			return do_help(0, NULL);
		default:
			do_help(0, NULL);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		do_help(0, NULL);
		return 2;
	}
	return cmd_select(objects, argc, argv, do_help);
}
