/* SPDX-License-Identifier: BSD-3-Clause */
/* cli.h - what the mailtap CLI's object files share: bpftool-style
 * dispatch with prefix matching, output modes, and one request/response
 * round trip over the daemon's socket. */
#ifndef MAILTAP_CLI_H
#define MAILTAP_CLI_H

#include <json-c/json.h>
#include <stdbool.h>

/* The few output-mode globals bpftool also keeps. */
extern bool json_output;
extern bool pretty_output;
extern const char *socket_path;

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
};

/* Run the command of cmds matching argv[0] (prefix, unambiguous); the
 * first entry is the default when argc == 0. */
int cmd_select(const struct cmd *cmds, int argc, char **argv,
	       int (*help)(int argc, char **argv));
/* Error: ... on stderr, or {"error": ...} on stdout in JSON mode.
 * Returns 1 (the exit code). */
int p_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print a JSON value in the chosen mode (pretty or compact). */
void p_json(json_object *o);

/* Connect, skip the hello, send {"cmd": cmd, ...extra}, return "result"
 * (caller puts it) or NULL after printing the error. */
json_object *request(const char *cmd, json_object *extra);
/* Connect and return the fd (the hello line consumed), or -1. */
int cli_connect(void);
/* Read one line from fd into a malloc'd buffer (NULL at EOF). */
char *read_line(int fd);

int do_status(int argc, char **argv);
int do_stats(int argc, char **argv);
int do_flow(int argc, char **argv);
int do_port(int argc, char **argv);
int do_event(int argc, char **argv);
int do_prog(int argc, char **argv);

/* Human output helpers */
const char *jstr(json_object *o, const char *key);
long long jint(json_object *o, const char *key);

#endif
