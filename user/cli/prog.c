// SPDX-License-Identifier: BSD-3-Clause
/* prog.c - `mailtap prog show`: the BPF programs, maps and attachments
 * the daemon uses, and how full its ring is. */
#include <stdio.h>

#include "cli/cli.h"

static int prog_show(int argc, char **argv)
{
	json_object *r, *p, *s, *bpf, *v;

	(void)argc;
	(void)argv;
	r = request("status", NULL);
	if (!r)
		return 1;
	if (!json_object_object_get_ex(r, "prog", &p)) {
		json_object_put(r);
		return p_err("mailtapd runs without BPF (offline or libpcap)");
	}
	s = request("stats", NULL);
	bpf = s ? json_object_object_get(s, "bpf") : NULL;
	if (json_output) {
		json_object *o = json_object_get(p);

		if (bpf) {
			json_object_object_add(o, "ring_size",
					       json_object_get(json_object_object_get(bpf, "ring_size")));
			json_object_object_add(o, "ring_used",
					       json_object_get(json_object_object_get(bpf, "ring_used")));
			json_object_object_add(o, "ring_high_water",
					       json_object_get(json_object_object_get(bpf, "ring_high_water")));
		}
		p_json(o);
		json_object_put(o);
	} else {
		if (json_object_object_get_ex(p, "programs", &v))
			for (size_t i = 0; i < json_object_array_length(v); i++) {
				json_object *e = json_object_array_get_idx(v, i);

				printf("prog %-6lld %s\n", jint(e, "id"),
				       jstr(e, "name"));
			}
		if (json_object_object_get_ex(p, "maps", &v))
			for (size_t i = 0; i < json_object_array_length(v); i++) {
				json_object *e = json_object_array_get_idx(v, i);

				printf("map  %-6lld %s\n", jint(e, "id"),
				       jstr(e, "name"));
			}
		if (json_object_object_get_ex(p, "attachments", &v))
			for (size_t i = 0; i < json_object_array_length(v); i++) {
				json_object *e = json_object_array_get_idx(v, i);

				printf("attached %-12s %s\n", jstr(e, "interface"),
				       jstr(e, "how"));
			}
		if (bpf)
			printf("ring %lld of %lld bytes used (high water %lld)\n",
			       jint(bpf, "ring_used"), jint(bpf, "ring_size"),
			       jint(bpf, "ring_high_water"));
	}
	json_object_put(s);
	json_object_put(r);
	return 0;
}

static int prog_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "Usage: mailtap prog [show]\n");
	return 0;
}

int do_prog(int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{ "show", prog_show }, { "list", prog_show }, { NULL, NULL },
	};

	return cmd_select(cmds, argc, argv, prog_help);
}
