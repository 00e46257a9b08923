// SPDX-License-Identifier: BSD-3-Clause
/* config.c - mailtapd's options: defaults, command line, key = value file.
 * Owns option names and their parsing; every long option is also a key. */
#include "daemon/config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/version.h"

void config_defaults(struct mt_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->attach = ATTACH_TC;
	cfg->ring_size = 16u << 20;
	cfg->ring_wake_bytes = 256u << 10;
	cfg->ring_poll_ms = 5;
	cfg->smtp_ports[0] = 25;
	cfg->smtp_ports[1] = 587;
	cfg->n_smtp_ports = 2;
	cfg->pop3_ports[0] = 110;
	cfg->n_pop3_ports = 1;
	cfg->log_format = LOG_FORMAT_ZEEK;
	cfg->socket_path = "/run/mailtap/mailtap.sock";
	cfg->file_hashes = MT_HASH_MD5 | MT_HASH_SHA1 | MT_HASH_SHA256;
	cfg->hotplug = true;
	cfg->tls_bypass = true;
	cfg->lim = (struct mt_limits){
		.max_flows = 262144,
		.tcp_inactivity_timeout = 300.0,
		.reasm_max_ooo = 1u << 20,
		.ack_gap_delay = -1, /* auto: 0 offline, 0.5 live */
		.mem_budget = 256u << 20,
		.smtp_max_pending_cmds = 1000,
		.bdat_max_line_length = 4096,
		.max_invalid_mail_transactions = 25,
		.mail_transaction_validation = true,
		.max_rcptto_addresses = 1000,
		.max_to_addresses = 1000,
		.max_cc_addresses = 1000,
		.max_path_length = 1000,
		.pop3_max_pending_commands = 10,
		.pop3_max_unknown_client_commands = 10,
		.pop3_error_threshold = 3,
		.mime_max_depth = 100,
		.mime_max_header_bytes = 65536,
		.mime_segment_length = 1024,
		.max_line_length = 16u * 1024 * 1024 - 100,
		.log_max_field_string_bytes = 4096,
		.log_max_field_container_elements = 100,
		.log_max_total_container_elements = 500,
		.log_max_total_string_bytes = 256000,
		.extract_max_bytes = 100u << 20,
		.max_data_bytes = 0,
	};
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	/* size suffixes */
	if (*end == 'k' || *end == 'K')
		v <<= 10, end++;
	else if (*end == 'm' || *end == 'M')
		v <<= 20, end++;
	else if (*end == 'g' || *end == 'G')
		v <<= 30, end++;
	if (*end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_u32(const char *s, uint32_t *out)
{
	uint64_t v;
	int err = parse_u64(s, UINT32_MAX, &v);

	if (!err)
		*out = (uint32_t)v;
	return err;
}

static int parse_bool(const char *s, bool *out)
{
	if (!s || !strcasecmp(s, "yes") || !strcasecmp(s, "true") ||
	    !strcmp(s, "1") || !strcasecmp(s, "on"))
		*out = true;
	else if (!strcasecmp(s, "no") || !strcasecmp(s, "false") ||
		 !strcmp(s, "0") || !strcasecmp(s, "off"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static int parse_ports(const char *s, uint16_t *ports, unsigned int *n)
{
	char buf[256];
	char *save = NULL;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	*n = 0;
	for (char *tok = strtok_r(buf, ", ", &save); tok;
	     tok = strtok_r(NULL, ", ", &save)) {
		uint64_t v;

		if (parse_u64(tok, 65535, &v) || v == 0 || *n == MT_MAX_PORTS)
			return -EINVAL;
		ports[(*n)++] = (uint16_t)v;
	}
	return 0;
}

static int parse_hashes(const char *s, unsigned int *out)
{
	char buf[64];
	char *save = NULL;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	*out = 0;
	for (char *tok = strtok_r(buf, ", ", &save); tok;
	     tok = strtok_r(NULL, ", ", &save)) {
		if (!strcasecmp(tok, "md5"))
			*out |= MT_HASH_MD5;
		else if (!strcasecmp(tok, "sha1"))
			*out |= MT_HASH_SHA1;
		else if (!strcasecmp(tok, "sha256"))
			*out |= MT_HASH_SHA256;
		else if (!strcasecmp(tok, "none"))
			;
		else
			return -EINVAL;
	}
	return 0;
}

/* Every string setting is copied and owned by the config, so a setting
 * read from a file (or given twice, or reread on SIGHUP into a scratch
 * config) is freed with it by config_free(). */
struct cfg_string {
	struct cfg_string *next;
	char s[];
};

static int keep(struct mt_config *cfg, const char **field, const char *v)
{
	size_t n = strlen(v) + 1;
	struct cfg_string *c = malloc(sizeof(*c) + n);

	if (!c)
		return -ENOMEM;
	memcpy(c->s, v, n);
	c->next = cfg->owned;
	cfg->owned = c;
	*field = c->s;
	return 0;
}

void config_free(struct mt_config *cfg)
{
	while (cfg->owned) {
		struct cfg_string *c = cfg->owned;

		cfg->owned = c->next;
		free(c);
	}
}

#define U32(key, field)                                  \
	if (!strcmp(k, key))                             \
		return parse_u32(v, &cfg->lim.field)
#define U64(key, field)                                                  \
	if (!strcmp(k, key))                                             \
		return parse_u64(v, UINT64_MAX, &cfg->lim.field)

int config_set(struct mt_config *cfg, const char *k, const char *v)
{
	uint64_t u;
	int err;

	if (!strcmp(k, "read") || !strcmp(k, "read-file"))
		return keep(cfg, &cfg->read_file, v);
	if (!strcmp(k, "interface") || !strcmp(k, "iface")) {
		if (cfg->n_ifaces == MT_MAX_IFACES)
			return -E2BIG;
		err = keep(cfg, &cfg->ifaces[cfg->n_ifaces], v);
		if (!err)
			cfg->n_ifaces++;
		return err;
	}
	if (!strcmp(k, "pcap-live"))
		return keep(cfg, &cfg->pcap_live, v);
	if (!strcmp(k, "attach")) {
		if (!strcmp(v, "tc"))
			cfg->attach = ATTACH_TC;
		else if (!strcmp(v, "socket"))
			cfg->attach = ATTACH_SOCKET;
		else
			return -EINVAL;
		return 0;
	}
	if (!strcmp(k, "ring-size")) {
		err = parse_u64(v, 1u << 30, &u);
		if (!err)
			cfg->ring_size = (uint32_t)u;
		return err;
	}
	if (!strcmp(k, "ring-wake-bytes")) {
		err = parse_u64(v, 1u << 30, &u);
		if (!err)
			cfg->ring_wake_bytes = (uint32_t)u;
		return err;
	}
	if (!strcmp(k, "ring-poll-ms")) {
		err = parse_u64(v, 1000, &u);
		if (!err && u == 0)
			err = -EINVAL;
		if (!err)
			cfg->ring_poll_ms = (uint32_t)u;
		return err;
	}
	if (!strcmp(k, "smtp-ports"))
		return parse_ports(v, cfg->smtp_ports, &cfg->n_smtp_ports);
	if (!strcmp(k, "pop3-ports"))
		return parse_ports(v, cfg->pop3_ports, &cfg->n_pop3_ports);
	if (!strcmp(k, "log-dir"))
		return keep(cfg, &cfg->log_dir, v);
	if (!strcmp(k, "log-format")) {
		if (!strcmp(v, "zeek") || !strcmp(v, "tsv"))
			cfg->log_format = LOG_FORMAT_ZEEK;
		else if (!strcmp(v, "json"))
			cfg->log_format = LOG_FORMAT_JSON;
		else
			return -EINVAL;
		return 0;
	}
	if (!strcmp(k, "socket"))
		return keep(cfg, &cfg->socket_path, v);
	if (!strcmp(k, "events"))
		return keep(cfg, &cfg->events_file, v);
	if (!strcmp(k, "dump-streams"))
		return keep(cfg, &cfg->dump_streams, v);
	if (!strcmp(k, "extract-files"))
		return keep(cfg, &cfg->extract_files, v);
	if (!strcmp(k, "file-hashes"))
		return parse_hashes(v, &cfg->file_hashes);
	if (!strcmp(k, "log-passwords"))
		return parse_bool(v, &cfg->log_passwords);
	if (!strcmp(k, "pop3-legacy-log"))
		return parse_bool(v, &cfg->pop3_legacy_log);
	if (!strcmp(k, "hotplug"))
		return parse_bool(v, &cfg->hotplug);
	if (!strcmp(k, "tls-bypass"))
		return parse_bool(v, &cfg->tls_bypass);
	if (!strcmp(k, "no-logs"))
		return parse_bool(v, &cfg->no_logs);
	if (!strcmp(k, "user"))
		return keep(cfg, &cfg->user, v);
	if (!strcmp(k, "pid-file"))
		return keep(cfg, &cfg->pid_file, v);
	if (!strcmp(k, "syslog"))
		return parse_bool(v, &cfg->syslog);
	if (!strcmp(k, "verbose")) {
		err = parse_u64(v, 9, &u);
		if (!err)
			cfg->verbose = (int)u;
		return err;
	}
	if (!strcmp(k, "tcp-inactivity-timeout")) {
		char *end;
		double d = strtod(v, &end);

		if (end == v || *end || d <= 0)
			return -EINVAL;
		cfg->lim.tcp_inactivity_timeout = d;
		return 0;
	}
	if (!strcmp(k, "ack-gap-delay")) {
		char *end;
		double d = strtod(v, &end);

		if (end == v || *end || d < 0)
			return -EINVAL;
		cfg->lim.ack_gap_delay = d;
		return 0;
	}
	if (!strcmp(k, "mail-transaction-validation"))
		return parse_bool(v, &cfg->lim.mail_transaction_validation);
	U32("max-flows", max_flows);
	U64("reasm-max-buffer", reasm_max_ooo);
	U64("mem-budget", mem_budget);
	U32("smtp-max-pending-cmds", smtp_max_pending_cmds);
	U32("bdat-max-line-length", bdat_max_line_length);
	U32("max-invalid-mail-transactions", max_invalid_mail_transactions);
	U32("max-rcptto-addresses", max_rcptto_addresses);
	U32("max-to-addresses", max_to_addresses);
	U32("max-cc-addresses", max_cc_addresses);
	U32("max-path-length", max_path_length);
	U32("pop3-max-pending-commands", pop3_max_pending_commands);
	U32("pop3-max-unknown-client-commands",
	    pop3_max_unknown_client_commands);
	U32("pop3-error-threshold", pop3_error_threshold);
	U32("mime-max-depth", mime_max_depth);
	U32("mime-max-header-bytes", mime_max_header_bytes);
	U32("mime-segment-length", mime_segment_length);
	U32("max-line-length", max_line_length);
	U32("log-max-field-string-bytes", log_max_field_string_bytes);
	U32("log-max-field-container-elements",
	    log_max_field_container_elements);
	U64("extract-max-bytes", extract_max_bytes);
	U64("max-data-bytes", max_data_bytes);
	return -ENOENT;
}

int config_load_file(struct mt_config *cfg, const char *path)
{
	FILE *f = fopen(path, "re");
	char line[1024];
	int lineno = 0, err = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *k = line, *v, *e;

		lineno++;
		while (isspace((unsigned char)*k))
			k++;
		if (*k == '#' || *k == ';' || *k == '\0')
			continue;
		v = strchr(k, '=');
		if (!v) {
			fprintf(stderr, "%s:%d: expected key = value\n", path,
				lineno);
			err = -EINVAL;
			break;
		}
		*v++ = '\0';
		for (e = v + strlen(v); e > v && isspace((unsigned char)e[-1]);)
			*--e = '\0';
		while (isspace((unsigned char)*v))
			v++;
		for (e = k + strlen(k); e > k && isspace((unsigned char)e[-1]);)
			*--e = '\0';
		err = config_set(cfg, k, v);
		if (err) {
			fprintf(stderr, "%s:%d: %s: %s\n", path, lineno, k,
				err == -ENOENT ? "unknown key" : "bad value");
			break;
		}
	}
	fclose(f);
	return err;
}

int config_port_proto(const struct mt_config *cfg, uint16_t port)
{
	for (unsigned int i = 0; i < cfg->n_smtp_ports; i++)
		if (cfg->smtp_ports[i] == port)
			return 1; /* MT_PROTO_SMTP */
	for (unsigned int i = 0; i < cfg->n_pop3_ports; i++)
		if (cfg->pop3_ports[i] == port)
			return 2; /* MT_PROTO_POP3 */
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: mailtapd -r FILE [-L DIR] [-F zeek|json] [options]\n"
		"       mailtapd -i IFACE [-i IFACE...] [-a tc|socket] [options]\n"
		"\n"
		"  -r, --read FILE          analyze a capture (pcap, pcapng, .gz, '-' = stdin)\n"
		"  -i, --interface IFACE    attach to IFACE (repeatable)\n"
		"  -a, --attach tc|socket   how to attach the BPF program (default tc)\n"
		"      --pcap-live IFACE    capture with libpcap instead of BPF\n"
		"  -L, --log-dir DIR        where logs go (default . with -r, /var/log/mailtap live)\n"
		"  -F, --log-format FMT     zeek (TSV, default) or json\n"
		"  -S, --socket PATH        control/event socket (default /run/mailtap/mailtap.sock)\n"
		"  -E, --events FILE        also write every event as a JSON line ('-' = stdout)\n"
		"      --smtp-ports LIST    default 25,587\n"
		"      --pop3-ports LIST    default 110\n"
		"  -u, --user USER          drop privileges to USER after attaching\n"
		"  -c, --config FILE        read key = value settings (keys are long option names)\n"
		"      --dump-streams DIR   write reassembled bytes per connection and direction\n"
		"      --extract-files DIR  write MIME entities to files (size-capped)\n"
		"      --file-hashes LIST   md5,sha1,sha256 (default all) or none\n"
		"      --max-data-bytes N   stop analyzing message bodies beyond N bytes\n"
		"      --log-passwords      do not redact credentials\n"
		"      --pop3-legacy-log    also write the line-oriented pop3 log of pop3.bro\n"
		"      --ring-size BYTES    BPF ring buffer size (default 16M)\n"
		"      --no-logs            do not write log files\n"
		"      --set hotplug=no     drop CAP_NET_ADMIN too (no re-attach of interfaces)\n"
		"      --set tls-bypass=no  capture encrypted payload after STARTTLS (benchmarks)\n"
		"      --pid-file FILE      --syslog   -v, --verbose\n"
		"  -V, --version            -h, --help\n"
		"Every limit has a key too (see mailtapd(8)), e.g. --set max-flows=1000.\n");
}

int config_parse_args(struct mt_config *cfg, int argc, char **argv)
{
	enum {
		OPT_SMTP_PORTS = 256,
		OPT_POP3_PORTS,
		OPT_DUMP,
		OPT_EXTRACT,
		OPT_MAX_DATA,
		OPT_LOG_PW,
		OPT_POP3_LEGACY,
		OPT_PCAP_LIVE,
		OPT_RING,
		OPT_HASHES,
		OPT_NO_LOGS,
		OPT_PID,
		OPT_SYSLOG,
		OPT_SET,
	};
	static const struct option opts[] = {
		{ "read", required_argument, NULL, 'r' },
		{ "interface", required_argument, NULL, 'i' },
		{ "attach", required_argument, NULL, 'a' },
		{ "log-dir", required_argument, NULL, 'L' },
		{ "log-format", required_argument, NULL, 'F' },
		{ "socket", required_argument, NULL, 'S' },
		{ "events", required_argument, NULL, 'E' },
		{ "user", required_argument, NULL, 'u' },
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ "smtp-ports", required_argument, NULL, OPT_SMTP_PORTS },
		{ "pop3-ports", required_argument, NULL, OPT_POP3_PORTS },
		{ "dump-streams", required_argument, NULL, OPT_DUMP },
		{ "extract-files", required_argument, NULL, OPT_EXTRACT },
		{ "max-data-bytes", required_argument, NULL, OPT_MAX_DATA },
		{ "log-passwords", no_argument, NULL, OPT_LOG_PW },
		{ "pop3-legacy-log", no_argument, NULL, OPT_POP3_LEGACY },
		{ "pcap-live", required_argument, NULL, OPT_PCAP_LIVE },
		{ "ring-size", required_argument, NULL, OPT_RING },
		{ "file-hashes", required_argument, NULL, OPT_HASHES },
		{ "no-logs", no_argument, NULL, OPT_NO_LOGS },
		{ "pid-file", required_argument, NULL, OPT_PID },
		{ "syslog", no_argument, NULL, OPT_SYSLOG },
		{ "set", required_argument, NULL, OPT_SET },
		{ NULL, 0, NULL, 0 },
	};
	const char *key;
	int c, err;

	/* A -c file is read first so the command line overrides it. */
	for (int i = 1; i < argc - 1; i++) {
		if (!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) {
			cfg->config_file = argv[i + 1];
			err = config_load_file(cfg, cfg->config_file);
			if (err) {
				fprintf(stderr, "mailtapd: %s: %s\n",
					cfg->config_file, strerror(-err));
				return err;
			}
		}
	}

	optind = 1;
	while ((c = getopt_long(argc, argv, "r:i:a:L:F:S:E:u:c:vVh", opts,
				NULL)) != -1) {
		const char *v = optarg;

		switch (c) {
		case 'r': key = "read"; break;
		case 'i': key = "interface"; break;
		case 'a': key = "attach"; break;
		case 'L': key = "log-dir"; break;
		case 'F': key = "log-format"; break;
		case 'S': key = "socket"; break;
		case 'E': key = "events"; break;
		case 'u': key = "user"; break;
		case 'c': continue; /* already read */
		case 'v': cfg->verbose++; continue;
		case 'V':
			printf("mailtapd %s\n", MAILTAP_VERSION);
			return 1;
		case 'h':
			usage(stdout);
			return 1;
		case OPT_SMTP_PORTS: key = "smtp-ports"; break;
		case OPT_POP3_PORTS: key = "pop3-ports"; break;
		case OPT_DUMP: key = "dump-streams"; break;
		case OPT_EXTRACT: key = "extract-files"; break;
		case OPT_MAX_DATA: key = "max-data-bytes"; break;
		case OPT_LOG_PW: key = "log-passwords"; v = "yes"; break;
		case OPT_POP3_LEGACY: key = "pop3-legacy-log"; v = "yes"; break;
		case OPT_PCAP_LIVE: key = "pcap-live"; break;
		case OPT_RING: key = "ring-size"; break;
		case OPT_HASHES: key = "file-hashes"; break;
		case OPT_NO_LOGS: key = "no-logs"; v = "yes"; break;
		case OPT_PID: key = "pid-file"; break;
		case OPT_SYSLOG: key = "syslog"; v = "yes"; break;
		case OPT_SET: {
			char kbuf[128];
			const char *eq = strchr(optarg, '=');

			if (!eq || (size_t)(eq - optarg) >= sizeof(kbuf)) {
				fprintf(stderr, "mailtapd: --set wants KEY=VALUE\n");
				return -EINVAL;
			}
			memcpy(kbuf, optarg, eq - optarg);
			kbuf[eq - optarg] = '\0';
			err = config_set(cfg, kbuf, eq + 1);
			if (err) {
				fprintf(stderr, "mailtapd: --set %s: %s\n", kbuf,
					err == -ENOENT ? "unknown key" : "bad value");
				return err;
			}
			continue;
		}
		default:
			usage(stderr);
			return -EINVAL;
		}
		err = config_set(cfg, key, v);
		if (err) {
			fprintf(stderr, "mailtapd: --%s %s: invalid value\n", key,
				v ? v : "");
			return err;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mailtapd: unexpected argument '%s'\n",
			argv[optind]);
		return -EINVAL;
	}
	if (cfg->pcap_live && !cfg->n_ifaces)
		cfg->ifaces[cfg->n_ifaces++] = cfg->pcap_live;
	if (!cfg->read_file && !cfg->n_ifaces && !cfg->pcap_live) {
		usage(stderr);
		return -EINVAL;
	}
	if (!cfg->log_dir)
		cfg->log_dir = cfg->read_file ? "." : "/var/log/mailtap";
	if (cfg->lim.ack_gap_delay < 0)
		cfg->lim.ack_gap_delay = cfg->read_file ? 0 : 0.5;
	return 0;
}
