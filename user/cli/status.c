// SPDX-License-Identifier: BSD-3-Clause
/* status.c - `mailtap status`: what the daemon is doing. */
#include <stdio.h>

#include "cli/cli.h"

int do_status(int argc, char **argv)
{
	json_object *r, *v;

	(void)argc;
	(void)argv;
	r = request("status", NULL);
	if (!r)
		return 1;
	if (json_output) {
		json_object_object_del(r, "prog");
		p_json(r);
	} else {
		printf("%-12s %s\n", "version", jstr(r, "version"));
		printf("%-12s %lld\n", "pid", jint(r, "pid"));
		printf("%-12s %s s\n", "uptime", jstr(r, "uptime"));
		printf("%-12s %s\n", "attach", jstr(r, "mode"));
		printf("%-12s", "interfaces");
		if (json_object_object_get_ex(r, "interfaces", &v))
			for (size_t i = 0; i < json_object_array_length(v); i++)
				printf(" %s", json_object_get_string(
						      json_object_array_get_idx(v, i)));
		printf("\n%-12s %lld\n", "flows", jint(r, "flows"));
		printf("%-12s %s (%s)\n", "logs", jstr(r, "log_dir"),
		       jstr(r, "log_format"));
	}
	json_object_put(r);
	return 0;
}
