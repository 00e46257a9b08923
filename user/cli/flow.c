// SPDX-License-Identifier: BSD-3-Clause
/* flow.c - `mailtap flow {show|list} [UID]`: the connections mailtapd
 * follows now. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static void row(json_object *f)
{
	json_object *o = json_object_object_get(f, "orig");
	json_object *r = json_object_object_get(f, "resp");
	char a[80], b[80];

	snprintf(a, sizeof(a), "%s:%lld", jstr(f, "orig_h"), jint(f, "orig_p"));
	snprintf(b, sizeof(b), "%s:%lld", jstr(f, "resp_h"), jint(f, "resp_p"));
	printf("%-20s %-5s %-28s %-28s %-5s %10lld %10lld %8lld%s\n",
	       jstr(f, "uid"), jstr(f, "proto"), a, b, jstr(f, "state"),
	       jint(o, "bytes"), jint(r, "bytes"),
	       jint(o, "gap_bytes") + jint(r, "gap_bytes"),
	       json_object_get_boolean(json_object_object_get(f, "bypassed")) ?
		       " bypassed" :
		       "");
}

static int flow_show(int argc, char **argv)
{
	json_object *extra = NULL, *r;

	if (argc > 1)
		return p_err("too many arguments");
	if (argc == 1) {
		extra = json_object_new_object();
		json_object_object_add(extra, "uid",
				       json_object_new_string(argv[0]));
	}
	r = request("flows", extra);
	if (!r)
		return 1;
	if (json_output) {
		p_json(r);
	} else {
		printf("%-20s %-5s %-28s %-28s %-5s %10s %10s %8s\n", "UID",
		       "PROTO", "ORIG", "RESP", "STATE", "ORIG_B", "RESP_B",
		       "GAPS");
		if (json_object_is_type(r, json_type_array))
			for (size_t i = 0; i < json_object_array_length(r); i++)
				row(json_object_array_get_idx(r, i));
		else
			row(r);
	}
	json_object_put(r);
	return 0;
}

static int flow_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "Usage: mailtap flow [show|list] [UID]\n");
	return 0;
}

int do_flow(int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{ "show", flow_show }, { "list", flow_show }, { NULL, NULL },
	};

	return cmd_select(cmds, argc, argv, flow_help);
}
