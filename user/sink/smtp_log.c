// SPDX-License-Identifier: BSD-3-Clause
/* smtp_log.c - builds smtp.log the way Zeek's scripts do (spec §8):
 * SMTP::Info records created on first activity, written on the reply to
 * '.', on a final BDAT LAST reply, on MAIL FROM with pending activity, and
 * at connection end; headers from the first entity only; Received path;
 * transaction validation. Owns per-connection records (sets capped). */
#include "sink/smtp_log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sink/conn_state.h"
#include "sink/email.h"
#include "sink/log.h"
#include "util/numfmt.h"

static const struct log_field smtp_fields[] = {
	{ "ts", LOG_TIME },
	{ "uid", LOG_STRING },
	{ "id.orig_h", LOG_ADDR },
	{ "id.orig_p", LOG_PORT },
	{ "id.resp_h", LOG_ADDR },
	{ "id.resp_p", LOG_PORT },
	{ "trans_depth", LOG_COUNT },
	{ "helo", LOG_STRING },
	{ "mailfrom", LOG_STRING },
	{ "rcptto", LOG_SET_STRING },
	{ "date", LOG_STRING },
	{ "from", LOG_STRING },
	{ "to", LOG_SET_STRING },
	{ "cc", LOG_SET_STRING },
	{ "reply_to", LOG_STRING },
	{ "msg_id", LOG_STRING },
	{ "in_reply_to", LOG_STRING },
	{ "subject", LOG_STRING },
	{ "x_originating_ip", LOG_ADDR },
	{ "first_received", LOG_STRING },
	{ "second_received", LOG_STRING },
	{ "last_reply", LOG_STRING },
	{ "path", LOG_VEC_ADDR },
	{ "user_agent", LOG_STRING },
	{ "tls", LOG_BOOL },
	{ "fuids", LOG_VEC_STRING },
	{ "is_webmail", LOG_BOOL },
};

#define NF (sizeof(smtp_fields) / sizeof(smtp_fields[0]))

static const struct log_schema smtp_schema = { "smtp", smtp_fields, NF };

/* An owned byte string (NULL p = unset). */
struct str {
	uint8_t *p;
	size_t len;
};

struct strset {
	struct str *v;
	size_t n, cap;
	bool set; /* created (may be empty) */
};

struct addrvec {
	struct mt_addr *v;
	size_t n, cap;
};

enum { F_DATE, F_FROM, F_REPLY_TO, F_MSG_ID, F_IN_REPLY_TO, F_SUBJECT,
       F_FIRST_RECV, F_SECOND_RECV, F_LAST_REPLY, F_USER_AGENT, F_HELO,
       F_MAILFROM, F__COUNT };

struct smtp_rec {
	double ts;
	uint64_t trans_depth;
	struct str f[F__COUNT];
	struct strset rcptto, to, cc, fuids;
	struct addrvec path;
	struct mt_addr xoip;
	bool has_xoip;
	bool tls;
	bool is_webmail;
	bool has_client_activity;
	bool process_smtp_headers;
	bool process_received_from;
	unsigned int entity_count;
};

struct smtp_conn {
	struct smtp_rec rec;
	bool has_rec;
	struct str helo;
	uint64_t messages;
	bool mail_from_seen, rcpt_to_seen;
	uint64_t invalid;
	bool bdat_last_observed;
};

struct smtp_log {
	struct sink sink;
	const struct mt_config *cfg;
	struct bus *bus;
	struct conn_states conns;
};

/* --- owned values ---------------------------------------------------------- */

static void str_set(struct str *s, const void *p, size_t n)
{
	uint8_t *np = malloc(n ? n : 1);

	if (!np)
		return;
	memcpy(np, p, n);
	free(s->p);
	s->p = np;
	s->len = n;
}

static void str_free(struct str *s)
{
	free(s->p);
	s->p = NULL;
	s->len = 0;
}

static bool set_has(const struct strset *s, const void *p, size_t n)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].len == n && !memcmp(s->v[i].p, p, n))
			return true;
	return false;
}

/* Add (p, n); dedup unless vec. Returns false when at the cap. */
static bool set_add(struct strset *s, const void *p, size_t n, size_t cap,
		    bool vec)
{
	s->set = true;
	if (!vec && set_has(s, p, n))
		return true;
	if (cap && s->n >= cap)
		return false;
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 4;
		struct str *nv = realloc(s->v, nc * sizeof(*nv));

		if (!nv)
			return true;
		s->v = nv;
		s->cap = nc;
	}
	s->v[s->n].p = NULL;
	str_set(&s->v[s->n], p, n);
	if (s->v[s->n].p)
		s->n++;
	return true;
}

static void set_free(struct strset *s)
{
	for (size_t i = 0; i < s->n; i++)
		str_free(&s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static void path_add(struct addrvec *v, const struct mt_addr *a)
{
	if (v->n == v->cap) {
		size_t nc = v->cap ? v->cap * 2 : 4;
		struct mt_addr *nv = realloc(v->v, nc * sizeof(*nv));

		if (!nv)
			return;
		v->v = nv;
		v->cap = nc;
	}
	v->v[v->n++] = *a;
}

static void rec_free(struct smtp_rec *r)
{
	for (int i = 0; i < F__COUNT; i++)
		str_free(&r->f[i]);
	set_free(&r->rcptto);
	set_free(&r->to);
	set_free(&r->cc);
	set_free(&r->fuids);
	free(r->path.v);
	memset(r, 0, sizeof(*r));
}

/* --- records ------------------------------------------------------------- */

static void weird(struct smtp_log *sl, const struct event *ev,
		  const char *name, const char *addl, const char *source)
{
	struct event w = { .type = EV_weird, .redact_from = EV_NO_REDACT };

	w.ts = ev->ts;
	w.conn = ev->conn;
	w.weird.name = name;
	w.weird.addl = addl ? EV_STR(addl) : EV_BYTES(NULL, 0);
	w.weird.source = source;
	bus_emit(sl->bus, &w);
}

static void new_rec(struct smtp_conn *sc, const struct event *ev)
{
	struct smtp_rec *r = &sc->rec;

	rec_free(r);
	sc->has_rec = true;
	r->ts = ev->ts;
	r->trans_depth = sc->messages + 1;
	r->process_smtp_headers = true;
	r->process_received_from = true;
	if (sc->helo.p)
		str_set(&r->f[F_HELO], sc->helo.p, sc->helo.len);
	path_add(&r->path, &ev->conn->id.resp_h);
	path_add(&r->path, &ev->conn->id.orig_h);
}

static struct smtp_conn *session(struct smtp_log *sl, const struct event *ev)
{
	struct smtp_conn *sc = cs_get(&sl->conns, ev->conn);

	if (!sc) {
		sc = calloc(1, sizeof(*sc));
		if (!sc || cs_put(&sl->conns, ev->conn, sc)) {
			free(sc);
			return NULL;
		}
	}
	if (!sc->has_rec)
		new_rec(sc, ev);
	return sc;
}

static void vstr(struct log_value *v, const struct str *s)
{
	if (s->p)
		*v = (struct log_value){ .set = true,
					 .s = EV_BYTES(s->p, s->len) };
}

static void vset(struct log_value *v, const struct strset *s, void *tmp)
{
	struct ev_bytes *b = tmp;

	if (!s->set)
		return;
	for (size_t i = 0; i < s->n; i++)
		b[i] = EV_BYTES(s->v[i].p, s->v[i].len);
	*v = (struct log_value){ .set = true, .strs = { b, s->n } };
}

static void write_rec(struct smtp_log *sl, const struct event *ev,
		      struct smtp_conn *sc)
{
	const struct conn_info *c = ev->conn;
	struct smtp_rec *r = &sc->rec;
	struct log_value v[NF];
	struct event row = { .type = EV_log, .redact_from = EV_NO_REDACT };
	size_t nb = r->rcptto.n + r->to.n + r->cc.n + r->fuids.n + 4;
	struct ev_bytes *tmp = malloc(nb * sizeof(*tmp));

	if (!tmp)
		return;
	memset(v, 0, sizeof(v));
	v[0] = (struct log_value){ .set = true, .t = r->ts };
	log_conn_values(&v[1], c);
	v[6] = (struct log_value){ .set = true, .u = r->trans_depth };
	vstr(&v[7], &r->f[F_HELO]);
	vstr(&v[8], &r->f[F_MAILFROM]);
	vset(&v[9], &r->rcptto, tmp);
	vstr(&v[10], &r->f[F_DATE]);
	vstr(&v[11], &r->f[F_FROM]);
	vset(&v[12], &r->to, tmp + r->rcptto.n);
	vset(&v[13], &r->cc, tmp + r->rcptto.n + r->to.n);
	vstr(&v[14], &r->f[F_REPLY_TO]);
	vstr(&v[15], &r->f[F_MSG_ID]);
	vstr(&v[16], &r->f[F_IN_REPLY_TO]);
	vstr(&v[17], &r->f[F_SUBJECT]);
	if (r->has_xoip)
		v[18] = (struct log_value){ .set = true, .a = r->xoip };
	vstr(&v[19], &r->f[F_FIRST_RECV]);
	vstr(&v[20], &r->f[F_SECOND_RECV]);
	vstr(&v[21], &r->f[F_LAST_REPLY]);
	v[22] = (struct log_value){ .set = true,
				    .addrs = { r->path.v, r->path.n } };
	vstr(&v[23], &r->f[F_USER_AGENT]);
	v[24] = (struct log_value){ .set = true, .b = r->tls };
	r->fuids.set = true;
	vset(&v[25], &r->fuids, tmp + r->rcptto.n + r->to.n + r->cc.n);
	v[26] = (struct log_value){ .set = true, .b = r->is_webmail };
	row.ts = ev->ts;
	row.conn = c;
	row.log.schema = &smtp_schema;
	row.log.values = v;
	bus_emit(sl->bus, &row);
	free(tmp);
}

/* Zeek's smtp_message(): write if there was client activity, and start a
 * new record. */
static bool flush(struct smtp_log *sl, const struct event *ev,
		  struct smtp_conn *sc)
{
	if (!sc->has_rec || !sc->rec.has_client_activity)
		return false;
	write_rec(sl, ev, sc);
	new_rec(sc, ev);
	return true;
}

static bool prefix_ci(struct ev_bytes b, const char *p)
{
	size_t n = strlen(p);

	return b.len >= n && strncasecmp((const char *)b.p, p, n) == 0;
}

static bool bytes_eq(struct ev_bytes b, const char *s)
{
	return b.len == strlen(s) && memcmp(b.p, s, b.len) == 0;
}

static void invalid_transaction(struct smtp_log *sl, const struct event *ev,
				struct smtp_conn *sc, const char *why)
{
	uint32_t max = sl->cfg->lim.max_invalid_mail_transactions;

	weird(sl, ev, "smtp_mail_transaction_invalid", why, "SMTP");
	sc->invalid++;
	if (max && sc->invalid == (uint64_t)max + 1) {
		char addl[48];

		snprintf(addl, sizeof(addl), "%llu > %u",
			 (unsigned long long)sc->invalid, max);
		weird(sl, ev, "smtp_excessive_invalid_mail_transactions", addl,
		      "SMTP");
	}
}

static void on_request(struct smtp_log *sl, const struct event *ev,
		       struct smtp_conn *sc)
{
	struct ev_bytes cmd = ev->request.command, arg = ev->request.arg;
	struct smtp_rec *r = &sc->rec;
	bool validate = sl->cfg->lim.mail_transaction_validation;

	if (bytes_eq(cmd, "HELO") || bytes_eq(cmd, "EHLO")) {
		str_set(&sc->helo, arg.p, arg.len);
		str_set(&r->f[F_HELO], arg.p, arg.len);
	} else if (bytes_eq(cmd, "RCPT") && prefix_ci(arg, "TO:")) {
		struct email_piece pc[64];
		char arena[EMAIL_MAX_INPUT + 128];
		int n = email_extract_addrs(arg.p, arg.len, pc, 64, arena,
					    sizeof(arena));

		if (n < 0)
			weird(sl, ev, "max_find_all_string_length_exceeded",
			      NULL, NULL);
		r->rcptto.set = true;
		for (int i = 0; i < n; i++) {
			/* gsub(/ORCPT=rfc822;?/, "") */
			char *s = pc[i].s, *o;

			while ((o = strcasestr(s, "ORCPT=rfc822"))) {
				size_t k = 12 + (o[12] == ';');

				memmove(o, o + k, strlen(o + k) + 1);
			}
			if (!set_add(&r->rcptto, s, strlen(s),
				     sl->cfg->lim.max_rcptto_addresses, false)) {
				weird(sl, ev, "smtp_too_many_rcptto_addresses",
				      NULL, NULL);
				break;
			}
		}
		r->has_client_activity = true;
		if (validate) {
			if (!sc->mail_from_seen)
				invalid_transaction(sl, ev, sc,
						    "rcpt to missing mail from");
			sc->rcpt_to_seen = true;
		}
	} else if (bytes_eq(cmd, "MAIL") && prefix_ci(arg, "FROM:")) {
		struct email_piece pc[1];
		char arena[EMAIL_MAX_INPUT + 8];
		int n;

		flush(sl, ev, sc);
		r = &sc->rec;
		n = email_extract_addrs(arg.p, arg.len, pc, 1, arena,
					sizeof(arena));
		if (n > 0 && pc[0].len)
			str_set(&r->f[F_MAILFROM], pc[0].s, pc[0].len);
		r->has_client_activity = true;
		if (validate) {
			sc->mail_from_seen = true;
			sc->rcpt_to_seen = false;
		}
	} else if (validate && (bytes_eq(cmd, "DATA") || bytes_eq(cmd, "BDAT"))) {
		if (!sc->rcpt_to_seen)
			invalid_transaction(sl, ev, sc, "data missing rcpt to");
	}
	if (bytes_eq(cmd, "BDAT") && arg.len >= 5 &&
	    memcmp(arg.p + arg.len - 5, " LAST", 5) == 0) {
		sc->bdat_last_observed = true;
		sc->mail_from_seen = sc->rcpt_to_seen = false;
	} else if (bytes_eq(cmd, ".")) {
		sc->mail_from_seen = sc->rcpt_to_seen = false;
	}
}

static void on_reply(struct smtp_log *sl, const struct event *ev,
		     struct smtp_conn *sc)
{
	char buf[NUMFMT_MAX];
	size_t n = fmt_u64(buf, ev->smtp_reply.code);
	struct str *lr = &sc->rec.f[F_LAST_REPLY];
	uint8_t *np;

	buf[n++] = ' ';
	np = malloc(n + ev->smtp_reply.msg.len + 1);
	if (np) {
		memcpy(np, buf, n);
		memcpy(np + n, ev->smtp_reply.msg.p, ev->smtp_reply.msg.len);
		free(lr->p);
		lr->p = np;
		lr->len = n + ev->smtp_reply.msg.len;
	}
	/* a message ends: at the reply to '.', or the final reply to a
	 * BDAT ... LAST */
	if (bytes_eq(ev->smtp_reply.cmd, ".") ||
	    (bytes_eq(ev->smtp_reply.cmd, "BDAT") &&
	     !ev->smtp_reply.cont_resp && sc->bdat_last_observed)) {
		if (bytes_eq(ev->smtp_reply.cmd, "BDAT"))
			sc->bdat_last_observed = false;
		sc->messages++;
		if (!flush(sl, ev, sc))
			new_rec(sc, ev); /* a fresh record either way */
	}
}

static bool webmail_agent(const struct str *ua)
{
	static const char *const agents[] = {
		"iPlanet Messenger", "Sun Java(tm) System Messenger Express",
		"(IMP)", "SquirrelMail", "NeoMail", "ZimbraWebClient",
	};
	char tmp[512];
	size_t n;

	if (!ua->p)
		return false;
	n = ua->len < sizeof(tmp) - 1 ? ua->len : sizeof(tmp) - 1;
	memcpy(tmp, ua->p, n);
	tmp[n] = '\0';
	for (size_t i = 0; i < sizeof(agents) / sizeof(agents[0]); i++)
		if (strstr(tmp, agents[i]))
			return true;
	return false;
}

static void addr_header(struct smtp_log *sl, const struct event *ev,
			struct strset *set, struct ev_bytes v, uint32_t cap,
			const char *too_many)
{
	struct email_piece pc[256];
	char arena[EMAIL_MAX_INPUT + 300];
	int n = email_split_mime(v.p, v.len, pc, 256, arena, sizeof(arena));

	set->set = true;
	if (n < 0)
		weird(sl, ev, "max_find_all_string_length_exceeded", NULL, NULL);
	for (int i = 0; i < n; i++) {
		if (!set_add(set, pc[i].s, pc[i].len, cap, false)) {
			weird(sl, ev, too_many, NULL, NULL);
			break;
		}
	}
}

static void on_header(struct smtp_log *sl, const struct event *ev,
		      struct smtp_conn *sc)
{
	const struct mime_header *h = &ev->one_header.h;
	struct smtp_rec *r = &sc->rec;
	struct ev_bytes v = h->value;
	const struct mt_limits *lim = &sl->cfg->lim;

	if (!r->process_smtp_headers)
		return;
	if (bytes_eq(h->name, "MESSAGE-ID")) {
		str_set(&r->f[F_MSG_ID], v.p, v.len);
	} else if (bytes_eq(h->name, "RECEIVED")) {
		struct mt_addr ips[16];
		int n;

		if (r->f[F_FIRST_RECV].p) {
			str_free(&r->f[F_SECOND_RECV]);
			r->f[F_SECOND_RECV] = r->f[F_FIRST_RECV];
			r->f[F_FIRST_RECV].p = NULL;
		}
		str_set(&r->f[F_FIRST_RECV], v.p, v.len);
		if (!r->process_received_from)
			return;
		n = email_extract_ips(v.p, v.len, true, ips, 16);
		if (n <= 0)
			return;
		{
			const struct mt_addr *ip = &ips[n > 1 ? 1 : 0];

			/* mail_path_capture = ALL_HOSTS matches every
			 * address, so the path is never cut short. */
			if (r->path.n &&
			    mt_addr_eq(&r->path.v[r->path.n - 1], ip))
				return;
			if (lim->max_path_length &&
			    r->path.n >= lim->max_path_length) {
				weird(sl, ev, "smtp_max_path_length_exceeded",
				      NULL, NULL);
				return;
			}
			path_add(&r->path, ip);
		}
	} else if (bytes_eq(h->name, "IN-REPLY-TO")) {
		str_set(&r->f[F_IN_REPLY_TO], v.p, v.len);
	} else if (bytes_eq(h->name, "SUBJECT")) {
		str_set(&r->f[F_SUBJECT], v.p, v.len);
	} else if (bytes_eq(h->name, "FROM")) {
		str_set(&r->f[F_FROM], v.p, v.len);
	} else if (bytes_eq(h->name, "REPLY-TO")) {
		str_set(&r->f[F_REPLY_TO], v.p, v.len);
	} else if (bytes_eq(h->name, "DATE")) {
		str_set(&r->f[F_DATE], v.p, v.len);
	} else if (bytes_eq(h->name, "TO")) {
		addr_header(sl, ev, &r->to, v, lim->max_to_addresses,
			    "smtp_too_many_to_addresses");
	} else if (bytes_eq(h->name, "CC")) {
		addr_header(sl, ev, &r->cc, v, lim->max_cc_addresses,
			    "smtp_too_many_cc_addresses");
	} else if (bytes_eq(h->name, "X-ORIGINATING-IP")) {
		struct mt_addr ip;

		if (email_extract_ips(v.p, v.len, false, &ip, 1) == 1) {
			r->xoip = ip;
			r->has_xoip = true;
		}
	} else if (bytes_eq(h->name, "X-MAILER") ||
		   bytes_eq(h->name, "USER-AGENT") ||
		   bytes_eq(h->name, "X-USER-AGENT")) {
		str_set(&r->f[F_USER_AGENT], v.p, v.len);
		if (bytes_eq(h->name, "USER-AGENT") &&
		    webmail_agent(&r->f[F_USER_AGENT]))
			r->is_webmail = true;
	}
}

static void new_file(void *arg, const struct conn_info *conn,
		     const char *fuid)
{
	struct smtp_log *sl = arg;
	struct smtp_conn *sc;

	if (conn->proto != MT_PROTO_SMTP)
		return;
	sc = cs_get(&sl->conns, conn);
	if (!sc || !sc->has_rec || sc->rec.tls)
		return;
	set_add(&sc->rec.fuids, fuid, strlen(fuid), 0, true);
}

static void conn_free(void *p)
{
	struct smtp_conn *sc = p;

	rec_free(&sc->rec);
	str_free(&sc->helo);
	free(sc);
}

static void sl_on_event(struct sink *s, const struct event *ev)
{
	struct smtp_log *sl = (struct smtp_log *)s;
	struct smtp_conn *sc;

	if (!ev->conn || ev->conn->proto != MT_PROTO_SMTP)
		return;
	if (ev->type == EV_conn_end) {
		sc = cs_del(&sl->conns, ev->conn);
		if (sc) {
			flush(sl, ev, sc);
			conn_free(sc);
		}
		return;
	}
	if (ev->type == EV_mime_begin_entity ||
	    ev->type == EV_mime_one_header) {
		sc = cs_get(&sl->conns, ev->conn);
		if (!sc || !sc->has_rec)
			return;
		if (ev->type == EV_mime_begin_entity) {
			if (++sc->rec.entity_count > 1)
				sc->rec.process_smtp_headers = false;
		} else {
			on_header(sl, ev, sc);
		}
		return;
	}
	sc = session(sl, ev);
	if (!sc)
		return;
	switch (ev->type) {
	case EV_smtp_request:
		on_request(sl, ev, sc);
		break;
	case EV_smtp_reply:
		on_reply(sl, ev, sc);
		break;
	case EV_smtp_starttls:
		sc->rec.tls = true;
		sc->rec.has_client_activity = true;
		break;
	default:
		break;
	}
}

int smtp_log_new(struct smtp_log **out, const struct mt_config *cfg,
		 struct bus *bus, struct files_log *files)
{
	struct smtp_log *sl = calloc(1, sizeof(*sl));

	if (!sl)
		return -ENOMEM;
	cs_init(&sl->conns, CONN_SLOT_SMTP_LOG);
	sl->cfg = cfg;
	sl->bus = bus;
	sl->sink.name = "smtp-log";
	sl->sink.mask = EV_BIT(EV_smtp_request) | EV_BIT(EV_smtp_reply) |
			EV_BIT(EV_smtp_starttls) |
			EV_BIT(EV_mime_begin_entity) |
			EV_BIT(EV_mime_one_header) | EV_BIT(EV_conn_end);
	sl->sink.on_event = sl_on_event;
	if (files)
		files_log_on_new(files, new_file, sl);
	*out = sl;
	return 0;
}

struct sink *smtp_log_sink(struct smtp_log *sl)
{
	return &sl->sink;
}

void smtp_log_free(struct smtp_log **slp)
{
	struct smtp_log *sl;

	if (!slp || !*slp)
		return;
	sl = *slp;
	cs_free(&sl->conns, conn_free);
	free(sl);
	*slp = NULL;
}
