// SPDX-License-Identifier: BSD-3-Clause
/* stats.c - `mailtap stats show`: BPF, per-stage, event and weird
 * counters, with rates over the daemon's uptime. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static int stats_show(int argc, char **argv)
{
	json_object *r;
	double up;

	(void)argc;
	(void)argv;
	r = request("stats", NULL);
	if (!r)
		return 1;
	if (json_output) {
		p_json(r);
		json_object_put(r);
		return 0;
	}
	up = json_object_get_double(json_object_object_get(r, "uptime"));
	if (up < 1)
		up = 1;
	printf("%-40s %16s %12s\n", "COUNTER", "VALUE", "PER SECOND");
	json_object_object_foreach(r, group, gv)
	{
		if (!json_object_is_type(gv, json_type_object))
			continue;
		json_object_object_foreach(gv, key, kv)
		{
			char name[80];
			long long n = json_object_get_int64(kv);

			snprintf(name, sizeof(name), "%s.%s", group, key);
			printf("%-40s %16lld %12.1f\n", name, n, n / up);
		}
	}
	json_object_put(r);
	return 0;
}

static int stats_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "Usage: mailtap stats [show]\n");
	return 0;
}

int do_stats(int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{ "show", stats_show }, { "list", stats_show }, { NULL, NULL },
	};

	return cmd_select(cmds, argc, argv, stats_help);
}
