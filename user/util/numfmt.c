// SPDX-License-Identifier: BSD-3-Clause
/* numfmt.c - integer and fixed-point formatting for the log writers. */
#include "util/numfmt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

size_t fmt_u64(char *b, uint64_t v)
{
	char tmp[24];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		b[i] = tmp[n - 1 - i];
	b[n] = '\0';
	return n;
}

size_t fmt_i64(char *b, int64_t v)
{
	if (v >= 0)
		return fmt_u64(b, (uint64_t)v);
	b[0] = '-';
	/* -(v + 1) + 1: no overflow at INT64_MIN */
	return 1 + fmt_u64(b + 1, (uint64_t)(-(v + 1)) + 1);
}

/* Beyond 10^40 the text is cut at NUMFMT_MAX - 1 characters. */
static size_t by_printf(char *b, double t)
{
	int n = snprintf(b, NUMFMT_MAX, "%.6f", t);

	return n < 0 ? 0 : n >= NUMFMT_MAX ? NUMFMT_MAX - 1 : (size_t)n;
}

/* Whole seconds and microseconds, rounded as printf rounds the exact
 * binary value. t - floor(t) is exact, and its product with 10^6 (below
 * 10^6) is within 2^-33 of the true one, so the rounding is certain
 * unless the product lies within 10^-6 of a half; then printf decides. */
size_t fmt_time6(char *b, double t)
{
	double sec, x, fl;
	uint64_t us;
	size_t n;

	if (!(t >= 0 && t < 1e15) || signbit(t)) /* -0.0 prints "-0.000000" */
		return by_printf(b, t);
	sec = floor(t);
	x = (t - sec) * 1e6;
	fl = floor(x);
	if (fabs(x - fl - 0.5) < 1e-6)
		return by_printf(b, t);
	us = (uint64_t)fl + (x - fl > 0.5);
	if (us == 1000000) {
		us = 0;
		sec += 1;
	}
	n = fmt_u64(b, (uint64_t)sec);
	b[n++] = '.';
	for (int i = 5; i >= 0; i--) {
		b[n + (size_t)i] = (char)('0' + us % 10);
		us /= 10;
	}
	n += 6;
	b[n] = '\0';
	return n;
}
