// SPDX-License-Identifier: BSD-3-Clause
/* pop3.c - Zeek's POP3 analyzer (spec §5, §6.3) with its listed bugs fixed
 * (docs/zeek-differences.md): commands processed one at a time from a
 * capped pending queue, AUTHORIZATION/TRANSACTION/UPDATE states, multi-line
 * responses, logins (USER/PASS, APOP, AUTH LOGIN/PLAIN/CRAM-MD5), STLS,
 * RETR/TOP mail through MIME. Owns one connection's POP3 state; never sees
 * packets, logs or sockets. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "analyzer/analyzer.h"
#include "analyzer/base64.h"
#include "analyzer/line.h"
#include "analyzer/mime.h"

enum pop3_cmd {
#define X(name, str) POP3_CMD_##name,
#include "analyzer/pop3_cmd.def"
#undef X
	POP3_CMD__COUNT,
	POP3_CMD_UNKNOWN = -1,
};

static const char *const cmd_names[POP3_CMD__COUNT] = {
#define X(name, str) [POP3_CMD_##name] = str,
#include "analyzer/pop3_cmd.def"
#undef X
};

enum pop3_master {
	POP3_START,         /* before the greeting */
	POP3_AUTHORIZATION, /* greeting seen: USER/PASS/APOP/AUTH */
	POP3_TRANSACTION,   /* logged in */
	POP3_UPDATE,        /* QUIT in TRANSACTION */
	POP3_FINISHED,      /* QUIT answered outside TRANSACTION */
};

/* The last processed command (Zeek's sub-state). */
enum pop3_sub {
	SUB_START, SUB_USER, SUB_PASS, SUB_APOP, SUB_AUTH, SUB_AUTH_PLAIN,
	SUB_AUTH_LOGIN, SUB_AUTH_CRAM_MD5, SUB_AUTH_OTHER, SUB_NOOP, SUB_LAST,
	SUB_STAT, SUB_LIST, SUB_RETR, SUB_DELE, SUB_UIDL, SUB_TOP, SUB_QUIT,
	SUB_RSET, SUB_CAPA, SUB_STLS, SUB_XSENDER,
};

#define POP3_VIOLATION_WINDOW 10240 /* DPD::ignore_violations_after */
#define POP3_MAX_CRED 512

struct pending {
	uint8_t *line; /* trimmed client line */
	size_t len;
};

struct pop3 {
	struct an_ctx *ctx;
	struct line_splitter ls[2];
	struct line_weirds lw;
	enum pop3_master master;
	enum pop3_sub sub;
	/* what the reply at the head answers: a processed, allowed command
	 * (SUB_*), or -1 for an unknown or refused one */
	int answering;
	bool guessing;
	enum pop3_sub guessed;
	bool multiline_requested;
	bool in_multiline;
	bool waiting_auth;
	enum pop3_sub auth_mech;
	int auth_step;
	bool unsynced;       /* mid-stream or after a gap */
	bool disabled;
	struct pending *q;   /* pending client commands (ring) */
	uint32_t q_head, q_n, q_cap;
	bool head_processed;
	uint32_t unknown_cmds;
	uint32_t violations;
	uint64_t bytes;
	char user[POP3_MAX_CRED];
	size_t user_len;
	char pass[POP3_MAX_CRED];
	size_t pass_len;
	struct mime_mail *mail;
	uint64_t body_bytes, body_skipped; /* --max-data-bytes */
	uint64_t data_merged; /* bytes of data lines not yet sent (merged) */
	uint8_t *tmp;        /* trimming scratch */
	size_t tmp_cap;
};

/* --- events ---------------------------------------------------------------- */

static void ev_request(struct pop3 *p, const char *cmd, const uint8_t *arg,
		       size_t len, uint32_t redact)
{
	struct event ev = {
		.type = EV_pop3_request,
		.is_orig = true,
		.redact_from = redact,
		.request = { .command = EV_STR(cmd),
			     .arg = EV_BYTES(arg, len) },
	};

	an_emit(p->ctx, &ev);
}

static void ev_reply(struct pop3 *p, const char *cmd, const uint8_t *msg,
		     size_t len)
{
	struct event ev = {
		.type = EV_pop3_reply,
		.is_orig = false,
		.redact_from = EV_NO_REDACT,
		.pop3_reply = { .cmd = EV_STR(cmd), .msg = EV_BYTES(msg, len) },
	};

	an_emit(p->ctx, &ev);
}

static void ev_unexpected(struct pop3 *p, bool is_orig, const char *msg,
			  const char *detail)
{
	struct event ev = {
		.type = EV_pop3_unexpected,
		.is_orig = is_orig,
		.redact_from = EV_NO_REDACT,
		.unexpected = { .msg = EV_STR(msg), .detail = EV_STR(detail) },
	};

	an_emit(p->ctx, &ev);
}

static void ev_login(struct pop3 *p, bool ok)
{
	struct event ev = {
		.type = ok ? EV_pop3_login_success : EV_pop3_login_failure,
		.is_orig = false,
		.redact_from = 0,
		.login = { .user = EV_BYTES(p->user, p->user_len),
			   .password = EV_BYTES(p->pass, p->pass_len) },
	};

	if (p->user_len)
		an_emit(p->ctx, &ev);
}

static void flush_data(struct pop3 *p);

static void violation(struct pop3 *p, const char *reason)
{
	p->violations++;
	if (p->bytes <= POP3_VIOLATION_WINDOW && !p->disabled) {
		/* Zeek's DPD disables the analyzer here. */
		p->disabled = true;
		flush_data(p);
		mime_mail_end(&p->mail);
		an_weird_str(p->ctx, "pop3_analyzer_disabled", reason, "POP3");
	}
}

/* --- helpers --------------------------------------------------------------- */

/* Do two spaces in a row occur in the n bytes at p? SSE2 compares each
 * block of sixteen with the block one byte on; the last block overlaps
 * the one before, so only lines under 17 bytes go byte by byte. */
static bool two_spaces(const uint8_t *p, size_t n)
{
	size_t i = 0;

#ifdef __SSE2__
	const __m128i sp = _mm_set1_epi8(' ');

	if (n >= 17) {
		for (;; i += 16) {
			if (i + 17 > n)
				i = n - 17;
			__m128i a = _mm_loadu_si128((const __m128i *)(p + i));
			__m128i b = _mm_loadu_si128((const __m128i *)(p + i + 1));

			if (_mm_movemask_epi8(_mm_and_si128(
				    _mm_cmpeq_epi8(a, sp), _mm_cmpeq_epi8(b, sp))))
				return true;
			if (i + 17 == n)
				return false;
		}
	}
#endif
	for (; i + 1 < n; i++)
		if (p[i] == ' ' && p[i + 1] == ' ')
			return true;
	return false;
}

/* Zeek's trimming: leading blanks dropped, runs of spaces collapsed,
 * trailing spaces dropped; and everything from a NUL on ignored. */
static size_t trim(struct pop3 *p, const uint8_t *in, size_t n,
		   const uint8_t **out)
{
	size_t o = 0, i = 0;
	const uint8_t *nul = memchr(in, '\0', n);

	if (nul)
		n = (size_t)(nul - in);
	/* fast path: nothing to trim (most data lines: base64, text) */
	if (!n || (in[0] != ' ' && in[0] != '\t' && in[n - 1] != ' ' &&
		   !two_spaces(in, n))) {
		*out = in;
		return n;
	}
	if (p->tmp_cap < n + 1) {
		uint8_t *t = realloc(p->tmp, n + 1);

		if (!t) {
			*out = (const uint8_t *)"";
			return 0;
		}
		p->tmp = t;
		p->tmp_cap = n + 1;
	}
	while (i < n && (in[i] == ' ' || in[i] == '\t'))
		i++;
	for (; i < n; i++) {
		if (in[i] == ' ' && o && p->tmp[o - 1] == ' ')
			continue;
		p->tmp[o++] = in[i];
	}
	while (o && p->tmp[o - 1] == ' ')
		o--;
	*out = p->tmp;
	return o;
}

/* token and message of a trimmed line */
static void split(const uint8_t *l, size_t n, size_t *tok_len,
		  const uint8_t **msg, size_t *msg_len)
{
	const uint8_t *sp = memchr(l, ' ', n);

	*tok_len = sp ? (size_t)(sp - l) : n;
	*msg = sp ? sp + 1 : l + n;
	*msg_len = sp ? n - *tok_len - 1 : 0;
}

/* Zeek's lookup, including its quirk of stripping one leading '+' or '-'
 * per table entry tried. */
static int lookup(const uint8_t *tok, size_t n)
{
	for (int c = 0; c < POP3_CMD__COUNT; c++) {
		size_t strip = 0;

		while (strip < n && strip <= (size_t)c &&
		       (tok[strip] == '+' || tok[strip] == '-'))
			strip++;
		if (n > strip &&
		    (tok[strip] | 0x20) == (cmd_names[c][0] | 0x20) &&
		    n - strip == strlen(cmd_names[c]) &&
		    strncasecmp((const char *)tok + strip, cmd_names[c],
				n - strip) == 0)
			return c;
	}
	return POP3_CMD_UNKNOWN;
}

static void set_cred(char *dst, size_t *dlen, const void *src, size_t n)
{
	if (n > POP3_MAX_CRED - 1)
		n = POP3_MAX_CRED - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	*dlen = n;
}

/* One base64 credential line of an AUTH exchange. */
static void auth_line(struct pop3 *p, const uint8_t *l, size_t n)
{
	uint8_t *dec;
	long d;

	if (!n)
		return;
	dec = malloc(B64_OUT_MAX(n));
	if (!dec)
		return;
	d = b64_decode_strict(p->ctx, l, n, dec);
	if (d < 0) {
		an_weird_str(p->ctx, "pop3_bad_base64_encoding", NULL, "POP3");
		free(dec);
		return;
	}
	switch (p->auth_mech) {
	case SUB_AUTH_LOGIN:
		if (p->auth_step == 0)
			set_cred(p->user, &p->user_len, dec, (size_t)d);
		else if (p->auth_step == 1)
			set_cred(p->pass, &p->pass_len, dec, (size_t)d);
		p->auth_step++;
		break;
	case SUB_AUTH_PLAIN: {
		uint8_t *n1 = memchr(dec, '\0', (size_t)d), *n2;

		n2 = n1 ? memchr(n1 + 1, '\0', (size_t)(dec + d - n1 - 1)) :
			  NULL;
		if (!n2) {
			an_weird_str(p->ctx, "pop3_malformed_auth_plain", NULL,
				     "POP3");
			break;
		}
		set_cred(p->user, &p->user_len, n1 + 1, (size_t)(n2 - n1 - 1));
		set_cred(p->pass, &p->pass_len, n2 + 1,
			 (size_t)(dec + d - n2 - 1));
		break;
	}
	case SUB_AUTH_CRAM_MD5: {
		size_t k = 0;

		while (k < (size_t)d && dec[k] != ' ')
			k++;
		set_cred(p->user, &p->user_len, dec, k);
		p->pass_len = 0;
		p->pass[0] = '\0';
		break;
	}
	default:
		break;
	}
	free(dec);
}

/* --- client commands ------------------------------------------------------- */

static void not_allowed(struct pop3 *p, int cmd, const char *state)
{
	char d[64];

	snprintf(d, sizeof(d), "not allowed in other state than '%s'", state);
	ev_unexpected(p, true, cmd_names[cmd], d);
}

static void guess(struct pop3 *p, enum pop3_sub sub)
{
	p->guessing = true;
	p->guessed = sub;
}

static void process_cmd(struct pop3 *p, const uint8_t *l, size_t n)
{
	size_t tl, ml;
	const uint8_t *msg;
	int cmd;

	p->answering = -1;
	split(l, n, &tl, &msg, &ml);
	cmd = lookup(l, tl);
	if (cmd == POP3_CMD_UNKNOWN) {
		char tok[64];
		size_t k = tl < sizeof(tok) - 1 ? tl : sizeof(tok) - 1;
		uint32_t max = p->ctx->cfg->lim.pop3_max_unknown_client_commands;

		memcpy(tok, l, k);
		tok[k] = '\0';
		an_weird_str(p->ctx, "pop3_client_command_unknown",
			     k ? tok : "???", "POP3");
		if (max && ++p->unknown_cmds > max)
			violation(p, "too many unknown client commands");
		return;
	}
	switch (cmd) {
	case POP3_CMD_OK:
	case POP3_CMD_ERR:
		an_weird_str(p->ctx, "pop3_client_sending_server_commands",
			     NULL, "POP3");
		return;
	case POP3_CMD_USER:
		if (p->master != POP3_AUTHORIZATION) {
			not_allowed(p, cmd, "authorization");
			return;
		}
		ev_request(p, "USER", msg, ml, EV_NO_REDACT);
		set_cred(p->user, &p->user_len, msg, ml);
		p->sub = SUB_USER;
		break;
	case POP3_CMD_PASS:
		if (p->master != POP3_AUTHORIZATION) {
			not_allowed(p, cmd, "authorization");
			return;
		}
		if (p->sub != SUB_USER) {
			ev_unexpected(p, true, "PASS",
				      "pass must follow the command 'USER'");
			return;
		}
		ev_request(p, "PASS", msg, ml, 0);
		set_cred(p->pass, &p->pass_len, msg, ml);
		p->sub = SUB_PASS;
		break;
	case POP3_CMD_APOP: {
		const uint8_t *sp = memchr(msg, ' ', ml);
		size_t nl = sp ? (size_t)(sp - msg) : ml;

		if (p->master != POP3_AUTHORIZATION) {
			not_allowed(p, cmd, "authorization");
			return;
		}
		ev_request(p, "APOP", msg, ml,
			   sp ? (uint32_t)(nl + 1) : EV_NO_REDACT);
		set_cred(p->user, &p->user_len, msg, nl);
		p->sub = SUB_APOP;
		break;
	}
	case POP3_CMD_AUTH: {
		const uint8_t *sp;
		size_t mlen;

		if (p->master != POP3_AUTHORIZATION) {
			not_allowed(p, cmd, "authorization");
			return;
		}
		sp = memchr(msg, ' ', ml);
		mlen = sp ? (size_t)(sp - msg) : ml;
		ev_request(p, "AUTH", msg, ml,
			   sp ? (uint32_t)(mlen + 1) : EV_NO_REDACT);
		p->sub = SUB_AUTH;
		if (!ml) {
			p->multiline_requested = true;
			break;
		}
		if (mlen == 5 && !strncasecmp((const char *)msg, "LOGIN", 5))
			p->auth_mech = SUB_AUTH_LOGIN;
		else if (mlen == 5 && !strncasecmp((const char *)msg, "PLAIN", 5))
			p->auth_mech = SUB_AUTH_PLAIN;
		else if (mlen == 8 &&
			 !strncasecmp((const char *)msg, "CRAM-MD5", 8))
			p->auth_mech = SUB_AUTH_CRAM_MD5;
		else {
			char d[96];

			snprintf(d, sizeof(d), "unknown AUTH method %.*s",
				 (int)(ml > 64 ? 64 : ml), (const char *)msg);
			ev_unexpected(p, true, "AUTH", d);
			p->auth_mech = SUB_AUTH_OTHER;
		}
		p->sub = p->auth_mech;
		p->waiting_auth = true;
		p->auth_step = 0;
		if (sp) /* initial response on the AUTH line */
			auth_line(p, sp + 1, ml - mlen - 1);
		break;
	}
	case POP3_CMD_STAT:
	case POP3_CMD_DELE:
	case POP3_CMD_RSET:
	case POP3_CMD_NOOP:
	case POP3_CMD_LAST:
	case POP3_CMD_XSENDER: {
		static const enum pop3_sub subs[] = {
			[POP3_CMD_STAT] = SUB_STAT, [POP3_CMD_DELE] = SUB_DELE,
			[POP3_CMD_RSET] = SUB_RSET, [POP3_CMD_NOOP] = SUB_NOOP,
			[POP3_CMD_LAST] = SUB_LAST,
			[POP3_CMD_XSENDER] = SUB_XSENDER,
		};

		if (p->master != POP3_TRANSACTION) {
			not_allowed(p, cmd, "transaction");
			if (cmd != POP3_CMD_STAT)
				guess(p, subs[cmd]);
			return;
		}
		ev_request(p, cmd_names[cmd], msg, ml, EV_NO_REDACT);
		p->sub = subs[cmd];
		break;
	}
	case POP3_CMD_LIST:
	case POP3_CMD_UIDL:
	case POP3_CMD_RETR:
	case POP3_CMD_TOP: {
		enum pop3_sub sub = cmd == POP3_CMD_LIST ? SUB_LIST :
				    cmd == POP3_CMD_UIDL ? SUB_UIDL :
				    cmd == POP3_CMD_RETR ? SUB_RETR :
							   SUB_TOP;
		bool multi = cmd == POP3_CMD_RETR || cmd == POP3_CMD_TOP || !ml;

		p->multiline_requested = multi;
		if (p->master != POP3_TRANSACTION) {
			not_allowed(p, cmd, "transaction");
			guess(p, sub);
			return;
		}
		ev_request(p, cmd_names[cmd], msg, ml, EV_NO_REDACT);
		p->sub = sub;
		break;
	}
	case POP3_CMD_QUIT:
		if (p->master == POP3_UPDATE || p->master == POP3_FINISHED) {
			not_allowed(p, cmd, "transaction");
			guess(p, SUB_QUIT);
			return;
		}
		ev_request(p, "QUIT", msg, ml, EV_NO_REDACT);
		p->sub = SUB_QUIT;
		break;
	case POP3_CMD_CAPA:
		ev_request(p, "CAPA", msg, ml, EV_NO_REDACT);
		p->multiline_requested = true;
		p->sub = SUB_CAPA;
		break;
	case POP3_CMD_STLS:
		ev_request(p, "STLS", msg, ml, EV_NO_REDACT);
		p->sub = SUB_STLS;
		break;
	}
	p->answering = (int)p->sub;
}

static struct pending *q_at(struct pop3 *p, uint32_t i)
{
	return &p->q[(p->q_head + i) % p->q_cap];
}

/* Process the head of the queue if it has not been yet. */
static void process_head(struct pop3 *p)
{
	struct pending *h;

	if (!p->q_n || p->head_processed || p->disabled)
		return;
	h = q_at(p, 0);
	p->head_processed = true;
	process_cmd(p, h->line, h->len);
}

static void pop_head(struct pop3 *p)
{
	if (!p->q_n)
		return;
	free(q_at(p, 0)->line);
	p->q_head = (p->q_head + 1) % p->q_cap;
	p->q_n--;
	p->head_processed = false;
	process_head(p);
}

static void q_clear(struct pop3 *p)
{
	while (p->q_n) {
		free(q_at(p, 0)->line);
		p->q_head = (p->q_head + 1) % p->q_cap;
		p->q_n--;
	}
	p->head_processed = false;
}

static void client_line(struct pop3 *p, const uint8_t *raw, size_t rn)
{
	const uint8_t *l;
	size_t n = trim(p, raw, rn, &l);
	uint32_t max = p->ctx->cfg->lim.pop3_max_pending_commands;
	struct pending *e;

	if (p->unsynced)
		return;
	if (p->waiting_auth) {
		if (n)
			auth_line(p, l, n);
		return;
	}
	if (!n)
		return;
	if (max && p->q_n >= max) {
		an_weird_str(p->ctx, "pop3_client_too_many_pending_commands",
			     NULL, "POP3");
		free(q_at(p, 0)->line);
		p->q_head = (p->q_head + 1) % p->q_cap;
		p->q_n--;
		p->head_processed = false;
	}
	if (p->q_n == p->q_cap) {
		uint32_t nc = p->q_cap ? p->q_cap * 2 : 4;
		struct pending *nq = malloc(nc * sizeof(*nq));

		if (!nq)
			return;
		for (uint32_t i = 0; i < p->q_n; i++)
			nq[i] = *q_at(p, i);
		free(p->q);
		p->q = nq;
		p->q_cap = nc;
		p->q_head = 0;
	}
	e = &p->q[(p->q_head + p->q_n) % p->q_cap];
	e->line = malloc(n ? n : 1);
	if (!e->line)
		return;
	memcpy(e->line, l, n);
	e->len = n;
	p->q_n++;
	process_head(p);
}

/* --- server replies -------------------------------------------------------- */

static void start_tls(struct pop3 *p)
{
	struct event ev = { .type = EV_pop3_starttls,
			    .redact_from = EV_NO_REDACT };

	an_emit(p->ctx, &ev);
	p->disabled = true;
	p->ctx->want_bypass = true;
}

static void server_ok(struct pop3 *p, const uint8_t *msg, size_t ml)
{
	int ans = p->answering;

	if (p->guessing) {
		p->master = POP3_TRANSACTION;
		p->sub = p->guessed;
		ans = (int)p->guessed;
		p->guessing = false;
		ev_unexpected(p, false, "OK",
			      "no auth required -> state changed to 'transaction'");
	}
	if (!p->q_n && p->master == POP3_START)
		ans = SUB_START;
	switch (ans) {
	case SUB_START:
		if (p->master == POP3_START)
			p->master = POP3_AUTHORIZATION;
		break;
	case SUB_PASS:
	case SUB_APOP:
		if (p->master == POP3_AUTHORIZATION) {
			ev_login(p, true);
			p->master = POP3_TRANSACTION;
		}
		break;
	case SUB_AUTH:
	case SUB_AUTH_LOGIN:
	case SUB_AUTH_PLAIN:
	case SUB_AUTH_CRAM_MD5:
	case SUB_AUTH_OTHER:
		if (p->multiline_requested) {
			p->in_multiline = true;
		} else if (p->waiting_auth) {
			p->waiting_auth = false;
			ev_login(p, true);
			p->master = POP3_TRANSACTION;
		}
		break;
	case SUB_RETR:
	case SUB_TOP:
		if (p->multiline_requested) {
			if (!p->mail && mime_mail_new(&p->mail, p->ctx, "POP3",
						      false))
				p->mail = NULL;
			p->in_multiline = true;
		}
		break;
	case SUB_CAPA:
	case SUB_LIST:
	case SUB_UIDL:
		if (p->multiline_requested)
			p->in_multiline = true;
		break;
	case SUB_STLS:
		start_tls(p);
		return; /* Zeek raises no pop3_reply for it */
	case SUB_QUIT:
		if (p->master == POP3_TRANSACTION)
			p->master = POP3_UPDATE;
		else
			p->master = POP3_FINISHED;
		break;
	default:
		break;
	}
	ev_reply(p, "OK", msg, ml);
	if (!p->in_multiline) {
		p->multiline_requested = false;
		pop_head(p);
	}
}

static void server_err(struct pop3 *p, const uint8_t *msg, size_t ml)
{
	int ans = p->guessing ? -1 : p->answering;

	p->in_multiline = false;
	p->multiline_requested = false;
	p->guessing = false;
	switch (ans) {
	case SUB_USER:
	case SUB_PASS:
	case SUB_APOP:
	case SUB_AUTH:
	case SUB_AUTH_LOGIN:
	case SUB_AUTH_PLAIN:
	case SUB_AUTH_CRAM_MD5:
	case SUB_AUTH_OTHER:
		p->master = POP3_AUTHORIZATION;
		p->sub = SUB_START;
		if (ans != SUB_AUTH || p->waiting_auth)
			ev_login(p, false);
		break;
	case SUB_QUIT:
		p->master = POP3_FINISHED;
		break;
	case SUB_NOOP:
	case SUB_LAST:
	case SUB_STAT:
	case SUB_RSET:
	case SUB_DELE:
	case SUB_LIST:
	case SUB_RETR:
	case SUB_UIDL:
	case SUB_TOP:
	case SUB_XSENDER:
		p->master = POP3_TRANSACTION;
		break;
	default:
		break;
	}
	p->waiting_auth = false;
	ev_reply(p, "ERR", msg, ml);
	pop_head(p);
}

/* When no sink wants each pop3_data (pop3.log only adds up their
 * lengths), the data lines of one delivery go out as one event with
 * their total length and no data. */
static void flush_data(struct pop3 *p)
{
	struct event ev = { .type = EV_pop3_data,
			    .is_orig = false,
			    .redact_from = EV_NO_REDACT };

	if (!p->data_merged)
		return;
	ev.data.length = p->data_merged;
	ev.data.message = p->mail != NULL;
	p->data_merged = 0;
	an_emit(p->ctx, &ev);
}

static void server_line(struct pop3 *p, const uint8_t *raw, size_t rn)
{
	const uint8_t *l, *msg;
	size_t n, tl, ml;
	int cmd;

	if (p->in_multiline) {
		if (rn == 1 && raw[0] == '.') {
			flush_data(p);
			p->in_multiline = false;
			p->multiline_requested = false;
			if (p->mail && p->body_skipped)
				mime_mail_gap(p->mail, p->body_skipped);
			mime_mail_end(&p->mail);
			p->body_bytes = p->body_skipped = 0;
			pop_head(p);
			return;
		}
		if (p->mail && p->ctx->cfg->lim.max_data_bytes &&
		    p->body_bytes + rn + 2 > p->ctx->cfg->lim.max_data_bytes) {
			if (!p->body_skipped)
				an_weird_str(p->ctx, "pop3_data_truncated", NULL,
					     "POP3");
			p->body_skipped += rn + 2;
			return;
		}
		p->body_bytes += rn + 2;
		if (p->mail) {
			/* dot-unstuffing (Zeek feeds the raw line) */
			if (rn && raw[0] == '.')
				mime_mail_deliver(p->mail, raw + 1, rn - 1,
						  true);
			else
				mime_mail_deliver(p->mail, raw, rn, true);
		}
		if (!bus_wants(p->ctx->bus, EV_pop3_data))
			return;
		if (!bus_wants_each(p->ctx->bus, EV_pop3_data)) {
			p->data_merged += rn + 2;
			return;
		}
		{
			struct event ev = { .type = EV_pop3_data,
					    .is_orig = false,
					    .redact_from = EV_NO_REDACT,
					    .data.length = rn + 2,
					    .data.message = p->mail != NULL };

			n = trim(p, raw, rn, &l);
			ev.data.data = EV_BYTES(l, n);
			an_emit(p->ctx, &ev);
		}
		return;
	}
	n = trim(p, raw, rn, &l);
	split(l, n, &tl, &msg, &ml);
	cmd = lookup(l, tl);
	if (p->unsynced) {
		if (cmd != POP3_CMD_OK && cmd != POP3_CMD_ERR)
			return;
		/* resynchronised: a fresh start in AUTHORIZATION; commands
		 * of TRANSACTION then move us on by guessing */
		p->unsynced = false;
		if (p->master == POP3_START)
			p->master = POP3_AUTHORIZATION;
		ev_reply(p, cmd == POP3_CMD_OK ? "OK" : "ERR", msg, ml);
		return;
	}
	if (cmd == POP3_CMD_OK) {
		server_ok(p, msg, ml);
	} else if (cmd == POP3_CMD_ERR) {
		server_err(p, msg, ml);
	} else if (p->waiting_auth) {
		return; /* "+ challenge" lines */
	} else {
		char tok[64], reason[96];
		size_t k = tl < sizeof(tok) - 1 ? tl : sizeof(tok) - 1;

		memcpy(tok, l, k);
		tok[k] = '\0';
		if (cmd != POP3_CMD_UNKNOWN)
			an_weird_str(p->ctx,
				     "pop3_server_sending_client_commands",
				     NULL, "POP3");
		an_weird_str(p->ctx, "pop3_server_command_unknown",
			     k ? tok : "???", "POP3");
		snprintf(reason, sizeof(reason), "unknown server command (%s)",
			 k ? tok : "???");
		violation(p, reason);
	}
}

/* --- analyzer interface ---------------------------------------------------- */

static void on_line_orig(void *arg, const uint8_t *line, size_t len)
{
	struct pop3 *p = arg;

	if (!p->disabled)
		client_line(p, line, len);
}

static void on_line_resp(void *arg, const uint8_t *line, size_t len)
{
	struct pop3 *p = arg;

	if (!p->disabled)
		server_line(p, line, len);
}

/* RETR/TOP body lines in bulk while no one takes each pop3_data:
 * straight to MIME (mime_mail_bulk), counted as server_line counts. */
static size_t bulk_resp(void *arg, const uint8_t *data, size_t len,
			size_t max_line)
{
	struct pop3 *p = arg;
	size_t k;

	if (p->disabled || !p->in_multiline || !p->mail ||
	    bus_wants_each(p->ctx->bus, EV_pop3_data))
		return 0;
	len = an_body_room(p->body_bytes, p->ctx->cfg->lim.max_data_bytes, len);
	if (!len)
		return 0;
	k = mime_mail_bulk(p->mail, data, len, max_line);
	p->body_bytes += k;
	if (bus_wants(p->ctx->bus, EV_pop3_data))
		p->data_merged += k;
	return k;
}

static int pop3_new(void **state, struct an_ctx *ctx)
{
	struct pop3 *p = calloc(1, sizeof(*p));
	uint32_t max = ctx->cfg->lim.max_line_length;

	if (!p)
		return -ENOMEM;
	p->ctx = ctx;
	p->answering = -1;
	line_init(&p->ls[0], ctx, &p->lw, false, max, on_line_orig, NULL, p);
	line_init(&p->ls[1], ctx, &p->lw, false, max, on_line_resp, NULL, p);
	line_set_bulk(&p->ls[1], bulk_resp);
	if (ctx->conn && ctx->conn->partial)
		p->unsynced = true;
	*state = p;
	return 0;
}

static void pop3_deliver(void *state, bool is_orig, const uint8_t *data,
			 size_t len)
{
	struct pop3 *p = state;

	if (p->disabled)
		return;
	p->bytes += len;
	line_deliver(&p->ls[is_orig ? 0 : 1], data, len);
	flush_data(p);
}

static void pop3_gap(void *state, bool is_orig, uint64_t offset,
		     uint64_t len)
{
	struct pop3 *p = state;
	char addl[64];

	(void)offset;
	if (p->disabled)
		return;
	snprintf(addl, sizeof(addl), "%s %llu bytes", is_orig ? "orig" : "resp",
		 (unsigned long long)len);
	flush_data(p);
	an_weird_str(p->ctx, "pop3_content_gap", addl, "POP3");
	line_reset(&p->ls[is_orig ? 0 : 1]);
	if (p->mail) {
		mime_mail_gap(p->mail, len);
		mime_mail_end(&p->mail);
	}
	q_clear(p);
	p->in_multiline = false;
	p->multiline_requested = false;
	p->waiting_auth = false;
	p->unsynced = true;
}

static void pop3_eof(void *state, bool is_orig)
{
	struct pop3 *p = state;

	if (p->disabled)
		return;
	line_eof(&p->ls[is_orig ? 0 : 1]);
	flush_data(p);
}

static void pop3_free(void **state)
{
	struct pop3 *p;

	if (!state || !*state)
		return;
	p = *state;
	mime_mail_end(&p->mail);
	q_clear(p);
	free(p->q);
	free(p->tmp);
	line_free(&p->ls[0]);
	line_free(&p->ls[1]);
	free(p);
	*state = NULL;
}

const struct analyzer_ops pop3_analyzer_ops = {
	.name = "POP3",
	.new = pop3_new,
	.deliver = pop3_deliver,
	.gap = pop3_gap,
	.eof = pop3_eof,
	.free = pop3_free,
};
