// SPDX-License-Identifier: BSD-3-Clause
/* main.c - the mailtap CLI entry point. */
#include <stdio.h>

int main(void)
{
	fprintf(stderr, "Error: not implemented yet\n");
	return 1;
}
