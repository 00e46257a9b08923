// SPDX-License-Identifier: BSD-3-Clause
/* test_numfmt.c - the log writers' number formatting prints exactly what
 * printf prints: random timestamps, exact halves (where rounding to even
 * matters), carries into the next second, extremes. */
#include <inttypes.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/numfmt.h"

static void check_time(double t)
{
	char want[NUMFMT_MAX], got[NUMFMT_MAX];
	size_t n = fmt_time6(got, t);

	snprintf(want, sizeof(want), "%.6f", t);
	if (strcmp(want, got) != 0)
		fail_msg("%.17g: printf %s, fmt_time6 %s", t, want, got);
	assert_int_equal(n, strlen(want));
}

static void test_time6(void **state)
{
	static const double fixed[] = {
		0, 1, 0.5, 0.0000005, 0.0000015, 0.0078125, 0.9999995,
		0.99999949999, 1.9999999, 1254722767.875996, 1254722770.692743,
		1700000000.0000005, 2147483647.999999, 1e14 + 0.25, 1e15,
		1e30, -1e20, -1, -0.5, NAN, INFINITY, 4294967296.0000025, -0.0,
	};
	unsigned int seed = 42;

	(void)state;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		check_time(fixed[i]);
	for (int i = 0; i < 200000; i++) {
		double sec = (double)(rand_r(&seed) % 2000000000);
		double frac = (double)rand_r(&seed) / RAND_MAX;

		check_time(sec + frac);
		/* exact multiples of 2^-k: the halves printf rounds to even */
		check_time(sec + ldexp(rand_r(&seed) % 4096, -12));
		check_time(sec + (double)(rand_r(&seed) % 1000000) / 1e6);
	}
}

static void test_integers(void **state)
{
	static const uint64_t u[] = { 0, 1, 9, 10, 99, 100, 4294967295u,
				      4294967296u, UINT64_MAX };
	static const int64_t s[] = { 0, -1, 1, -10, INT64_MAX, INT64_MIN };
	char want[NUMFMT_MAX], got[NUMFMT_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		snprintf(want, sizeof(want), "%" PRIu64, u[i]);
		assert_int_equal(fmt_u64(got, u[i]), strlen(want));
		assert_string_equal(got, want);
	}
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		snprintf(want, sizeof(want), "%" PRId64, s[i]);
		assert_int_equal(fmt_i64(got, s[i]), strlen(want));
		assert_string_equal(got, want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time6),
		cmocka_unit_test(test_integers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
