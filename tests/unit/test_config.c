// SPDX-License-Identifier: BSD-3-Clause
/* test_config.c - option parsing owns its strings: a setting given twice,
 * a config file read again (as SIGHUP does) and the command line all end
 * up freed by config_free() (the ASan build's leak check fails otherwise),
 * and the values read are the ones given. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/config.h"

static void test_set_twice(void **state)
{
	struct mt_config cfg;

	(void)state;
	config_defaults(&cfg);
	assert_int_equal(config_set(&cfg, "log-dir", "/tmp/a"), 0);
	assert_int_equal(config_set(&cfg, "log-dir", "/tmp/b"), 0);
	assert_int_equal(config_set(&cfg, "interface", "veth0"), 0);
	assert_int_equal(config_set(&cfg, "interface", "veth1"), 0);
	assert_string_equal(cfg.log_dir, "/tmp/b");
	assert_int_equal(cfg.n_ifaces, 2);
	assert_string_equal(cfg.ifaces[1], "veth1");
	assert_int_not_equal(config_set(&cfg, "no-such-key", "1"), 0);
	config_free(&cfg);
	assert_null(cfg.owned);
	config_free(&cfg); /* twice is harmless */
}

static void test_reload_file(void **state)
{
	char path[] = "/tmp/mailtap-test-config.XXXXXX";
	int fd = mkstemp(path);
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs("# comment\nlog-dir = /var/log/mailtap\nsocket = /run/x.sock\n"
	      "pid-file = /run/x.pid\nfile-hashes = sha256\n",
	      f);
	fclose(f);
	/* what SIGHUP does, many times: read into a scratch config, free it */
	for (int i = 0; i < 100; i++) {
		struct mt_config n;

		config_defaults(&n);
		assert_int_equal(config_load_file(&n, path), 0);
		assert_string_equal(n.log_dir, "/var/log/mailtap");
		assert_string_equal(n.socket_path, "/run/x.sock");
		assert_int_equal(n.file_hashes, MT_HASH_SHA256);
		config_free(&n);
	}
	unlink(path);
}

static void test_args(void **state)
{
	char *argv[] = { "mailtapd", "-r", "x.pcap", "-L", "/tmp/logs",
			 "--set", "max-line-length=100", NULL };
	struct mt_config cfg;

	(void)state;
	config_defaults(&cfg);
	assert_int_equal(config_parse_args(&cfg, 7, argv), 0);
	assert_string_equal(cfg.read_file, "x.pcap");
	assert_string_equal(cfg.log_dir, "/tmp/logs");
	assert_int_equal(cfg.lim.max_line_length, 100);
	config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_twice),
		cmocka_unit_test(test_reload_file),
		cmocka_unit_test(test_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
