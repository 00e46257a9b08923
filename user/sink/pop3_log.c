// SPDX-License-Identifier: BSD-3-Clause
/* pop3_log.c - the POP3 logs Zeek never ported: pop3.log (one row per
 * session, at connection end), notice.log (POP3::Excessive_Errors when a
 * client address passes error_threshold -ERR replies, as pop3.bro warned)
 * and, on request, pop3.bro's line-oriented log (seed 002). Owns
 * per-connection and per-client-address state, both bounded. */
#include "sink/pop3_log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sink/conn_state.h"
#include "sink/log.h"
#include "util/ptrmap.h"

#define P3_MAX_FUIDS 64
#define P3_MAX_CLIENTS 4096    /* addresses tracked for the notice */
#define P3_CLIENT_EXPIRE 3600.0 /* pop3.bro: &read_expire = 60 mins */

static const struct log_field pop3_fields[] = {
	{ "ts", LOG_TIME },
	{ "uid", LOG_STRING },
	{ "id.orig_h", LOG_ADDR },
	{ "id.orig_p", LOG_PORT },
	{ "id.resp_h", LOG_ADDR },
	{ "id.resp_p", LOG_PORT },
	{ "user", LOG_STRING },
	{ "password", LOG_STRING },
	{ "auth_method", LOG_STRING },
	{ "login", LOG_STRING },
	{ "commands", LOG_COUNT },
	{ "errors", LOG_COUNT },
	{ "retrieved", LOG_COUNT },
	{ "deleted", LOG_COUNT },
	{ "bytes_retrieved", LOG_COUNT },
	{ "tls", LOG_BOOL },
	{ "last_reply", LOG_STRING },
	{ "fuids", LOG_VEC_STRING },
};

#define NP (sizeof(pop3_fields) / sizeof(pop3_fields[0]))
static const struct log_schema pop3_schema = { "pop3", pop3_fields, NP };

static const struct log_field notice_fields[] = {
	{ "ts", LOG_TIME },	      { "uid", LOG_STRING },
	{ "id.orig_h", LOG_ADDR },    { "id.orig_p", LOG_PORT },
	{ "id.resp_h", LOG_ADDR },    { "id.resp_p", LOG_PORT },
	{ "fuid", LOG_STRING },	      { "file_mime_type", LOG_STRING },
	{ "file_desc", LOG_STRING },  { "proto", LOG_STRING },
	{ "note", LOG_STRING },	      { "msg", LOG_STRING },
	{ "sub", LOG_STRING },	      { "src", LOG_ADDR },
	{ "dst", LOG_ADDR },	      { "p", LOG_PORT },
	{ "n", LOG_COUNT },	      { "peer_descr", LOG_STRING },
	{ "actions", LOG_SET_STRING }, { "email_dest", LOG_SET_STRING },
	{ "suppress_for", LOG_INTERVAL },
};

#define NN (sizeof(notice_fields) / sizeof(notice_fields[0]))
static const struct log_schema notice_schema = { "notice", notice_fields, NN };

struct p3conn {
	double ts;
	unsigned int legacy_id;
	char user[256];
	size_t user_len;
	char pass[256];
	size_t pass_len;
	char auth[16];
	const char *login; /* "success", "failure", "none" */
	uint64_t commands, errors, retrieved, deleted, bytes;
	bool tls;
	bool last_cmd_ignored; /* legacy log: STAT suppressed */
	char last_reply[512];
	size_t last_reply_len;
	char fuids[P3_MAX_FUIDS][MT_UID_LEN];
	unsigned int n_fuids;
};

struct p3client {
	uint64_t errors;
	double last;
	bool warned;
};

struct pop3_log {
	struct sink sink;
	const struct mt_config *cfg;
	struct bus *bus;
	struct conn_states conns;
	/* per client address: key = an interned copy of the address */
	struct ptrmap clients;
	struct mt_addr *client_keys;
	size_t n_clients;
	FILE *legacy;
	unsigned int legacy_next;
};

static struct p3conn *conn_of(struct pop3_log *pl, const struct event *ev)
{
	struct p3conn *pc = cs_get(&pl->conns, ev->conn);

	if (pc)
		return pc;
	pc = calloc(1, sizeof(*pc));
	if (!pc || cs_put(&pl->conns, ev->conn, pc)) {
		free(pc);
		return NULL;
	}
	pc->ts = ev->ts;
	pc->login = "none";
	pc->legacy_id = ++pl->legacy_next;
	if (pl->legacy) {
		char a[MT_ADDR_STRLEN], b[MT_ADDR_STRLEN];

		fprintf(pl->legacy, "%.6f #%u %s/%u > %s/%u: new connection\n",
			ev->ts, pc->legacy_id,
			mt_addr_str(&ev->conn->id.orig_h, a),
			ev->conn->id.orig_p,
			mt_addr_str(&ev->conn->id.resp_h, b),
			ev->conn->id.resp_p);
	}
	return pc;
}

static void cpy(char *dst, size_t cap, size_t *len, struct ev_bytes b)
{
	size_t n = b.len < cap - 1 ? b.len : cap - 1;

	memcpy(dst, b.p, n);
	dst[n] = '\0';
	if (len)
		*len = n;
}

static bool eq(struct ev_bytes b, const char *s)
{
	return b.len == strlen(s) && memcmp(b.p, s, b.len) == 0;
}

/* The line a legacy log shows for a secret: redacted unless asked. */
static void legacy_print(struct pop3_log *pl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void legacy_print(struct pop3_log *pl, const char *fmt, ...)
{
	va_list ap;

	if (!pl->legacy)
		return;
	va_start(ap, fmt);
	vfprintf(pl->legacy, fmt, ap);
	va_end(ap);
}

static struct p3client *client_of(struct pop3_log *pl, const struct event *ev)
{
	const struct mt_addr *a = &ev->conn->id.orig_h;

	for (size_t i = 0; i < pl->n_clients; i++)
		if (mt_addr_eq(&pl->client_keys[i], a))
			return ptrmap_get(&pl->clients, &pl->client_keys[i]);
	return NULL;
}

static struct p3client *client_add(struct pop3_log *pl, const struct event *ev)
{
	struct p3client *c = client_of(pl, ev);

	if (c)
		return c;
	if (pl->n_clients == P3_MAX_CLIENTS || !pl->client_keys)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	pl->client_keys[pl->n_clients] = ev->conn->id.orig_h;
	if (ptrmap_put(&pl->clients, &pl->client_keys[pl->n_clients], c)) {
		free(c);
		return NULL;
	}
	pl->n_clients++;
	return c;
}

static void notice(struct pop3_log *pl, const struct event *ev,
		   uint64_t errors)
{
	const struct conn_info *c = ev->conn;
	struct log_value v[NN];
	struct event row = { .type = EV_log, .redact_from = EV_NO_REDACT };
	char msg[160], sub[64];
	struct ev_bytes act = EV_STR("Notice::ACTION_LOG");

	memset(v, 0, sizeof(v));
	snprintf(msg, sizeof(msg),
		 "%llu -ERR replies to this client, more than the threshold of %u",
		 (unsigned long long)errors, pl->cfg->lim.pop3_error_threshold);
	snprintf(sub, sizeof(sub), "%llu errors", (unsigned long long)errors);
	v[0] = (struct log_value){ .set = true, .t = ev->ts };
	log_conn_values(&v[1], c);
	v[9] = (struct log_value){ .set = true, .s = EV_STR("tcp") };
	v[10] = (struct log_value){ .set = true,
				    .s = EV_STR("POP3::Excessive_Errors") };
	v[11] = (struct log_value){ .set = true, .s = EV_STR(msg) };
	v[12] = (struct log_value){ .set = true, .s = EV_STR(sub) };
	v[13] = (struct log_value){ .set = true, .a = c->id.orig_h };
	v[14] = (struct log_value){ .set = true, .a = c->id.resp_h };
	v[15] = (struct log_value){ .set = true, .u = c->id.resp_p };
	v[16] = (struct log_value){ .set = true, .u = errors };
	v[18] = (struct log_value){ .set = true, .strs = { &act, 1 } };
	v[20] = (struct log_value){ .set = true, .t = P3_CLIENT_EXPIRE };
	row.ts = ev->ts;
	row.conn = c;
	row.log.schema = &notice_schema;
	row.log.values = v;
	bus_emit(pl->bus, &row);
}

static void count_error(struct pop3_log *pl, const struct event *ev,
			struct p3conn *pc)
{
	struct p3client *cl = client_add(pl, ev);

	if (!cl)
		return;
	if (cl->last && ev->ts - cl->last > P3_CLIENT_EXPIRE) {
		cl->errors = 0;
		cl->warned = false;
	}
	cl->last = ev->ts;
	if (++cl->errors > pl->cfg->lim.pop3_error_threshold) {
		char a[MT_ADDR_STRLEN], b[MT_ADDR_STRLEN];

		legacy_print(pl,
			     "%.6f #%u %s/%u > %s/%u WARNING: error count exceeds threshold\n",
			     ev->ts, pc->legacy_id,
			     mt_addr_str(&ev->conn->id.orig_h, a),
			     ev->conn->id.orig_p,
			     mt_addr_str(&ev->conn->id.resp_h, b),
			     ev->conn->id.resp_p);
		if (!cl->warned) {
			cl->warned = true;
			notice(pl, ev, cl->errors);
		}
	}
}

static void write_row(struct pop3_log *pl, const struct event *ev,
		      struct p3conn *pc)
{
	const struct conn_info *c = ev->conn;
	struct log_value v[NP];
	struct ev_bytes fu[P3_MAX_FUIDS];
	struct event row = { .type = EV_log, .redact_from = EV_NO_REDACT };

	memset(v, 0, sizeof(v));
	for (unsigned int i = 0; i < pc->n_fuids; i++)
		fu[i] = EV_STR(pc->fuids[i]);
	v[0] = (struct log_value){ .set = true, .t = pc->ts };
	log_conn_values(&v[1], c);
	if (pc->user_len)
		v[6] = (struct log_value){ .set = true,
					   .s = EV_BYTES(pc->user,
							 pc->user_len) };
	if (pl->cfg->log_passwords && pc->pass_len)
		v[7] = (struct log_value){ .set = true,
					   .s = EV_BYTES(pc->pass,
							 pc->pass_len) };
	if (pc->auth[0])
		v[8] = (struct log_value){ .set = true, .s = EV_STR(pc->auth) };
	v[9] = (struct log_value){ .set = true, .s = EV_STR(pc->login) };
	v[10] = (struct log_value){ .set = true, .u = pc->commands };
	v[11] = (struct log_value){ .set = true, .u = pc->errors };
	v[12] = (struct log_value){ .set = true, .u = pc->retrieved };
	v[13] = (struct log_value){ .set = true, .u = pc->deleted };
	v[14] = (struct log_value){ .set = true, .u = pc->bytes };
	v[15] = (struct log_value){ .set = true, .b = pc->tls };
	if (pc->last_reply_len)
		v[16] = (struct log_value){ .set = true,
					    .s = EV_BYTES(pc->last_reply,
							  pc->last_reply_len) };
	v[17] = (struct log_value){ .set = true, .strs = { fu, pc->n_fuids } };
	row.ts = ev->ts;
	row.conn = c;
	row.log.schema = &pop3_schema;
	row.log.values = v;
	bus_emit(pl->bus, &row);
}

static void on_request(struct pop3_log *pl, const struct event *ev,
		       struct p3conn *pc)
{
	struct ev_bytes cmd = ev->request.command, arg = ev->request.arg;
	bool stat = eq(cmd, "STAT");

	pc->commands++;
	if (eq(cmd, "RETR") || eq(cmd, "TOP"))
		pc->retrieved++;
	else if (eq(cmd, "DELE"))
		pc->deleted++;
	if (eq(cmd, "USER")) {
		cpy(pc->user, sizeof(pc->user), &pc->user_len, arg);
		snprintf(pc->auth, sizeof(pc->auth), "USER");
	} else if (eq(cmd, "APOP")) {
		snprintf(pc->auth, sizeof(pc->auth), "APOP");
	} else if (eq(cmd, "AUTH") && arg.len) {
		size_t k = 0;

		while (k < arg.len && arg.p[k] != ' ' && k < sizeof(pc->auth) - 1)
			k++;
		for (size_t i = 0; i < k; i++)
			pc->auth[i] = (char)(arg.p[i] >= 'a' && arg.p[i] <= 'z' ?
						     arg.p[i] - 32 : arg.p[i]);
		pc->auth[k] = '\0';
	}
	pc->last_cmd_ignored = stat;
	if (!stat && pl->legacy) {
		size_t shown = arg.len;

		if (!pl->cfg->log_passwords && ev->redact_from != EV_NO_REDACT &&
		    ev->redact_from < arg.len)
			shown = ev->redact_from;
		legacy_print(pl, "%.6f #%u > %.*s %.*s%s\n", ev->ts,
			     pc->legacy_id, (int)cmd.len, (const char *)cmd.p,
			     (int)shown, (const char *)arg.p,
			     shown < arg.len ? "<redacted>" : "");
	}
}

static void on_reply(struct pop3_log *pl, const struct event *ev,
		     struct p3conn *pc)
{
	struct ev_bytes cmd = ev->pop3_reply.cmd, msg = ev->pop3_reply.msg;
	/* "CMD MSG", MSG cut at 400 bytes and, as a C string, at a NUL */
	size_t c = strnlen((const char *)cmd.p, cmd.len), m;
	const char *z;

	/* the command is "OK" or "ERR" (pop3.c); a longer one would be cut
	 * here, where snprintf cut the message */
	if (c > sizeof(pc->last_reply) - 402)
		c = sizeof(pc->last_reply) - 402;
	m = msg.len > 400 ? 400 : msg.len;
	if (m && (z = memchr(msg.p, '\0', m)))
		m = (size_t)(z - (const char *)msg.p);
	memcpy(pc->last_reply, cmd.p, c);
	pc->last_reply[c] = ' ';
	if (m)
		memcpy(pc->last_reply + c + 1, msg.p, m);
	pc->last_reply[c + 1 + m] = '\0';
	pc->last_reply_len = c + 1 + m;
	if (!pc->last_cmd_ignored)
		legacy_print(pl, "%.6f #%u < %s\n", ev->ts, pc->legacy_id,
			     pc->last_reply);
	if (eq(cmd, "ERR")) {
		pc->errors++;
		count_error(pl, ev, pc);
	}
}

static void new_file(void *arg, const struct conn_info *conn,
		     const char *fuid)
{
	struct pop3_log *pl = arg;
	struct p3conn *pc;

	if (conn->proto != MT_PROTO_POP3)
		return;
	pc = cs_get(&pl->conns, conn);
	if (pc && pc->n_fuids < P3_MAX_FUIDS)
		snprintf(pc->fuids[pc->n_fuids++], MT_UID_LEN, "%s", fuid);
}

static void pl_on_event(struct sink *s, const struct event *ev)
{
	struct pop3_log *pl = (struct pop3_log *)s;
	struct p3conn *pc;

	if (!ev->conn || ev->conn->proto != MT_PROTO_POP3)
		return;
	if (ev->type == EV_conn_end) {
		pc = cs_del(&pl->conns, ev->conn);
		if (pc) {
			write_row(pl, ev, pc);
			free(pc);
		}
		return;
	}
	pc = conn_of(pl, ev);
	if (!pc)
		return;
	switch (ev->type) {
	case EV_pop3_request:
		on_request(pl, ev, pc);
		break;
	case EV_pop3_reply:
		on_reply(pl, ev, pc);
		break;
	case EV_pop3_data:
		if (ev->data.message)
			pc->bytes += ev->data.length;
		break;
	case EV_pop3_starttls:
		pc->tls = true;
		break;
	case EV_pop3_login_success:
	case EV_pop3_login_failure: {
		bool ok = ev->type == EV_pop3_login_success;

		pc->login = ok ? "success" : "failure";
		cpy(pc->user, sizeof(pc->user), &pc->user_len, ev->login.user);
		cpy(pc->pass, sizeof(pc->pass), &pc->pass_len,
		    ev->login.password);
		legacy_print(pl, "%.6f #%u > login %s: user %.*s password: %s\n",
			     ev->ts, pc->legacy_id,
			     ok ? "successful" : "failed",
			     (int)ev->login.user.len,
			     (const char *)ev->login.user.p,
			     !pl->cfg->log_passwords ? "<redacted>" :
			     pc->pass_len		  ? pc->pass :
							    "");
		break;
	}
	case EV_pop3_unexpected:
		legacy_print(pl, "%.6f #%u unexpected cmd: %.*s detail: %.*s\n",
			     ev->ts, pc->legacy_id,
			     (int)ev->unexpected.msg.len,
			     (const char *)ev->unexpected.msg.p,
			     (int)ev->unexpected.detail.len,
			     (const char *)ev->unexpected.detail.p);
		break;
	default:
		break;
	}
}

int pop3_log_new(struct pop3_log **out, const struct mt_config *cfg,
		 struct bus *bus, struct files_log *files)
{
	struct pop3_log *pl = calloc(1, sizeof(*pl));

	if (!pl)
		return -ENOMEM;
	cs_init(&pl->conns, CONN_SLOT_POP3_LOG);
	pl->cfg = cfg;
	pl->bus = bus;
	pl->client_keys = calloc(P3_MAX_CLIENTS, sizeof(*pl->client_keys));
	if (cfg->pop3_legacy_log && !cfg->no_logs) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/pop3_legacy.log", cfg->log_dir);
		pl->legacy = fopen(path, "ae");
		if (!pl->legacy) {
			int err = -errno;

			free(pl->client_keys);
			free(pl);
			return err;
		}
		setvbuf(pl->legacy, NULL, _IOLBF, 0);
	}
	pl->sink.name = "pop3-log";
	/* bytes_retrieved only adds up data lengths */
	pl->sink.merged_ok = EV_BIT(EV_pop3_data);
	pl->sink.mask = EV_BIT(EV_pop3_request) | EV_BIT(EV_pop3_reply) |
			EV_BIT(EV_pop3_data) | EV_BIT(EV_pop3_starttls) |
			EV_BIT(EV_pop3_login_success) |
			EV_BIT(EV_pop3_login_failure) |
			EV_BIT(EV_pop3_unexpected) | EV_BIT(EV_conn_end);
	pl->sink.on_event = pl_on_event;
	if (files)
		files_log_on_new(files, new_file, pl);
	*out = pl;
	return 0;
}

struct sink *pop3_log_sink(struct pop3_log *pl)
{
	return &pl->sink;
}

void pop3_log_free(struct pop3_log **plp)
{
	struct pop3_log *pl;

	if (!plp || !*plp)
		return;
	pl = *plp;
	cs_free(&pl->conns, free);
	ptrmap_free_values(&pl->clients, free);
	free(pl->client_keys);
	if (pl->legacy)
		fclose(pl->legacy);
	free(pl);
	*plp = NULL;
}
