// SPDX-License-Identifier: BSD-3-Clause
/* port.c - `mailtap port {show|add|del}`: which ports are mail ports,
 * changed live in the kernel's port map. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static int print_ports(json_object *r)
{
	if (json_output) {
		p_json(r);
	} else {
		printf("%-6s %s\n", "PORT", "PROTO");
		json_object_object_foreach(r, proto, list)
		{
			for (size_t i = 0; i < json_object_array_length(list); i++)
				printf("%-6d %s\n",
				       json_object_get_int(
					       json_object_array_get_idx(list, i)),
				       proto);
		}
	}
	json_object_put(r);
	return 0;
}

static int port_show(int argc, char **argv)
{
	json_object *r;

	(void)argv;
	if (argc)
		return p_err("too many arguments");
	r = request("ports", NULL);
	return r ? print_ports(r) : 1;
}

static int parse_port(const char *s)
{
	char *end;
	long p = strtol(s, &end, 10);

	return *end || p < 1 || p > 65535 ? -1 : (int)p;
}

static int port_add(int argc, char **argv)
{
	json_object *extra, *r;
	int p;

	if (argc != 2 || (p = parse_port(argv[0])) < 0 ||
	    (strcmp(argv[1], "smtp") && strcmp(argv[1], "pop3")))
		return p_err("usage: mailtap port add PORT smtp|pop3");
	extra = json_object_new_object();
	json_object_object_add(extra, "port", json_object_new_int(p));
	json_object_object_add(extra, "proto", json_object_new_string(argv[1]));
	r = request("port_add", extra);
	return r ? print_ports(r) : 1;
}

static int port_del(int argc, char **argv)
{
	json_object *extra, *r;
	int p;

	if (argc != 1 || (p = parse_port(argv[0])) < 0)
		return p_err("usage: mailtap port del PORT");
	extra = json_object_new_object();
	json_object_object_add(extra, "port", json_object_new_int(p));
	r = request("port_del", extra);
	return r ? print_ports(r) : 1;
}

static int port_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "Usage: mailtap port [show|list]\n"
			"       mailtap port add PORT smtp|pop3\n"
			"       mailtap port del PORT\n");
	return 0;
}

int do_port(int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{ "show", port_show }, { "list", port_show },
		{ "add", port_add },   { "del", port_del },
		{ NULL, NULL },
	};

	return cmd_select(cmds, argc, argv, port_help);
}
