/* SPDX-License-Identifier: BSD-3-Clause */
/* config.h - every run-time option of mailtapd, with Zeek's defaults.
 * Owns option parsing (command line and key = value file); nothing else. */
#ifndef MAILTAP_CONFIG_H
#define MAILTAP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MT_MAX_PORTS 32
#define MT_MAX_IFACES 16

enum log_format { LOG_FORMAT_ZEEK = 0, LOG_FORMAT_JSON = 1 };
enum attach_mode { ATTACH_TC = 0, ATTACH_SOCKET = 1 };

/* File hash analyzers (files.log md5/sha1/sha256). */
#define MT_HASH_MD5 1u
#define MT_HASH_SHA1 2u
#define MT_HASH_SHA256 4u

struct mt_limits {
	/* flow table and reassembly */
	uint32_t max_flows;          /* 262144 */
	double tcp_inactivity_timeout; /* 300 s */
	uint64_t reasm_max_ooo;      /* 1 MiB per direction */
	/* An ACK for bytes not seen becomes a gap after this many seconds
	 * (0 = at once, offline; live records from different CPUs arrive
	 * slightly out of order, so the live default is 0.5). */
	double ack_gap_delay;
	uint64_t mem_budget;         /* 256 MiB */
	/* SMTP (spec §7) */
	uint32_t smtp_max_pending_cmds;   /* 1000 */
	uint32_t bdat_max_line_length;    /* 4096 */
	uint32_t max_invalid_mail_transactions; /* 25 (0 = never) */
	bool mail_transaction_validation; /* true */
	uint32_t max_rcptto_addresses;    /* 1000 */
	uint32_t max_to_addresses;        /* 1000 */
	uint32_t max_cc_addresses;        /* 1000 */
	uint32_t max_path_length;         /* 1000 */
	/* POP3 */
	uint32_t pop3_max_pending_commands;        /* 10 */
	uint32_t pop3_max_unknown_client_commands; /* 10 */
	uint32_t pop3_error_threshold;             /* 3 */
	/* MIME */
	uint32_t mime_max_depth;        /* 100 */
	uint32_t mime_max_header_bytes; /* 65536 */
	uint32_t mime_segment_length;   /* 1024 */
	/* line splitter */
	uint32_t max_line_length;       /* 16 MiB - 100 */
	/* logs (Zeek's Log::default_max_*) */
	uint32_t log_max_field_string_bytes;     /* 4096 */
	uint32_t log_max_field_container_elements; /* 100 */
	uint32_t log_max_total_container_elements; /* 500 */
	uint32_t log_max_total_string_bytes;      /* 256000 */
	/* files */
	uint64_t extract_max_bytes;   /* per extracted file, 100 MiB */
	uint64_t max_data_bytes;      /* 0 = no limit; body bytes per transaction */
};

struct mt_config {
	/* capture */
	const char *read_file;              /* -r */
	const char *ifaces[MT_MAX_IFACES];  /* -i */
	unsigned int n_ifaces;
	const char *pcap_live;              /* --pcap-live */
	enum attach_mode attach;            /* -a */
	uint32_t ring_size;                 /* bytes, default 16 MiB */
	/* Payload wakes the daemon once this much waits in the ring (0 =
	 * every record, the kernel's rule); meanwhile it drains the ring
	 * every ring_poll_ms while connections are open. */
	uint32_t ring_wake_bytes;           /* default 256 KiB, <= ring/8 */
	uint32_t ring_poll_ms;              /* default 5 */
	uint16_t smtp_ports[MT_MAX_PORTS];
	unsigned int n_smtp_ports;
	uint16_t pop3_ports[MT_MAX_PORTS];
	unsigned int n_pop3_ports;
	/* outputs */
	const char *log_dir;                /* -L */
	enum log_format log_format;         /* -F */
	const char *socket_path;            /* -S */
	const char *events_file;            /* -E */
	const char *dump_streams;           /* --dump-streams */
	const char *extract_files;          /* --extract-files */
	unsigned int file_hashes;           /* MT_HASH_* mask */
	bool log_passwords;
	bool pop3_legacy_log;
	bool no_logs;                       /* --no-logs */
	bool hotplug;                       /* re-attach vanished interfaces */
	bool tls_bypass; /* stop encrypted (STARTTLS/STLS) payload in the kernel */
	/* process */
	const char *config_file;            /* -c */
	const char *user;                   /* -u */
	const char *pid_file;
	bool syslog;
	int verbose;
	struct mt_limits lim;
	struct cfg_string *owned; /* copies of set strings; config_free() */
};

/* Fill in every default. */
void config_defaults(struct mt_config *cfg);
/* Parse argv (and the -c file, if any). Returns 0, 1 when the program
 * should exit successfully (--help, --version), or -errno. */
int config_parse_args(struct mt_config *cfg, int argc, char **argv);
/* Apply one "key = value" setting; key names are the long option names. */
int config_set(struct mt_config *cfg, const char *key, const char *value);
int config_load_file(struct mt_config *cfg, const char *path);
/* Free the strings config_set() copied (the struct itself is the
 * caller's); every const char * setting is dangling afterwards. */
void config_free(struct mt_config *cfg);
/* Is port p an SMTP/POP3 port? */
int config_port_proto(const struct mt_config *cfg, uint16_t port);

#endif
