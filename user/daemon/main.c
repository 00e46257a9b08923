// SPDX-License-Identifier: BSD-3-Clause
/* main.c - mailtapd: parse options, wire capture -> flow -> analyzers ->
 * bus -> sinks, run. Owns the start-up order; no analysis happens here. */
#include <stdio.h>

#include "daemon/config.h"

int main(int argc, char **argv)
{
	struct mt_config cfg;
	int err;

	config_defaults(&cfg);
	err = config_parse_args(&cfg, argc, argv);
	if (err)
		return err > 0 ? 0 : 2;
	fprintf(stderr, "mailtapd: pipeline not wired yet\n");
	return 1;
}
