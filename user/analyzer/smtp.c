// SPDX-License-Identifier: BSD-3-Clause
/* smtp.c - Zeek's SMTP analyzer (spec §2, §3, §6): line splitting,
 * command/reply matching with pipelining, the state machine, DATA and
 * BDAT mail, AUTH, STARTTLS, TURN, gaps. Owns one connection's SMTP state;
 * never looks at packets, logs or sockets. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/analyzer.h"
#include "analyzer/line.h"
#include "analyzer/mime.h"
#include "analyzer/smtp_bdat.h"

enum smtp_cmd {
#define X(name, str) SMTP_CMD_##name,
#include "analyzer/smtp_cmd.def"
#undef X
	SMTP_CMD__COUNT,
	SMTP_CMD_UNKNOWN = -1, /* "(UNKNOWN)": no command known */
	SMTP_CMD_NONE = -2,    /* empty pending slot */
};

static const char *const cmd_names[SMTP_CMD__COUNT] = {
#define X(name, str) [SMTP_CMD_##name] = str,
#include "analyzer/smtp_cmd.def"
#undef X
};

/* The numbers appear in unexpected-event details, as in Zeek. */
enum smtp_state {
	SMTP_CONNECTED = 0,   /* before the greeting; after TURN */
	SMTP_INITIATED = 1,   /* greeting expected/seen: EHLO/HELO next */
	SMTP_NOT_AVAILABLE = 2, /* greeting was 421/554 */
	SMTP_READY = 3,       /* after EHLO/HELO (or RSET, a finished mail) */
	SMTP_MAIL_OK = 4,     /* after MAIL/SEND/SOML/SAML */
	SMTP_RCPT_OK = 5,     /* after at least one RCPT */
	SMTP_IN_DATA = 6,     /* after DATA: client lines are mail */
	SMTP_AFTER_DATA = 7,  /* after '.' or BDAT LAST, before the reply */
	SMTP_IN_AUTH = 8,     /* after AUTH + 334: client lines are answers */
	SMTP_IN_TLS = 9,      /* after STARTTLS + 220: nothing more parsed */
	SMTP_QUIT = 10,       /* after QUIT (or 421 to DATA) */
	SMTP_AFTER_GAP = 11,  /* after a content gap (or mid-stream start) */
	SMTP_GAP_RECOVERY = 12, /* after the first reply following a gap */
	SMTP_IN_BDAT = 13,    /* receiving BDAT chunk data */
};

struct smtp {
	struct an_ctx *ctx;
	struct line_splitter ls[2]; /* [0] orig, [1] resp */
	struct line_weirds lw;
	bool orig_is_sender; /* flipped by TURN */
	enum smtp_state state;
	int slot;            /* first pending command, or SMTP_CMD_NONE */
	uint8_t *fifo;       /* further pending commands (ring) */
	uint32_t fifo_head, fifo_count, fifo_cap;
	int last_replied;
	int cont_code;       /* code of a continuing multi-line reply, 0 = none */
	struct mime_mail *mail;
	/* BDAT */
	bool bdat_open;      /* a BDAT transfer is in progress */
	bool bdat_last;      /* the chunk in flight is the LAST one */
	bool bdat_done;      /* LAST chunk complete, its reply pending */
	uint64_t bdat_remaining;
	struct smtp_bdat bdat;
	bool eof[2];
	bool disabled;       /* gave up (STARTTLS): ignore everything */
	/* --max-data-bytes: body bytes analyzed and skipped in this mail */
	uint64_t body_bytes;
	uint64_t body_skipped;
};

/* Count n body bytes; false when they are beyond --max-data-bytes (they
 * are then skipped: no MIME, no smtp_data, a file gap at the end). */
static bool body_take(struct smtp *s, uint64_t n)
{
	uint64_t max = s->ctx->cfg->lim.max_data_bytes;

	if (!max || s->body_bytes + n <= max) {
		s->body_bytes += n;
		return true;
	}
	if (!s->body_skipped) {
		char addl[32];

		snprintf(addl, sizeof(addl), "%llu", (unsigned long long)max);
		an_weird_str(s->ctx, "smtp_data_truncated", addl, "SMTP");
		/* DATA bodies (not BDAT, whose byte counts must be seen):
		 * live, the kernel may skip the rest, '.' included */
		if (s->state == SMTP_IN_DATA && s->orig_is_sender)
			s->ctx->skip_orig = true;
	}
	s->body_skipped += n;
	return false;
}

static bool sender_dir(const struct smtp *s, bool is_orig)
{
	return is_orig == s->orig_is_sender;
}

/* --- events ---------------------------------------------------------------- */

static void ev_request(struct smtp *s, const char *cmd, size_t cmdlen,
		       const uint8_t *arg, size_t arglen, uint32_t redact)
{
	struct event ev = {
		.type = EV_smtp_request,
		.is_orig = s->orig_is_sender,
		.redact_from = redact,
		.request = { .command = EV_BYTES(cmd, cmdlen),
			     .arg = EV_BYTES(arg, arglen) },
	};

	an_emit(s->ctx, &ev);
}

static void ev_unexpected(struct smtp *s, bool sender, const char *msg,
			  const void *detail, size_t len)
{
	struct event ev = {
		.type = EV_smtp_unexpected,
		.is_orig = sender ? s->orig_is_sender : !s->orig_is_sender,
		.redact_from = EV_NO_REDACT,
		.unexpected = { .msg = EV_STR(msg),
				.detail = EV_BYTES(detail, len) },
	};

	an_emit(s->ctx, &ev);
}

static const char *cmd_table_name(int cmd)
{
	if (cmd >= 0 && cmd < SMTP_CMD__COUNT)
		return cmd_names[cmd];
	return "(UNKNOWN)";
}

/* The cmd argument of smtp_reply: table names, but '>' for the greeting
 * and '.' for end of data. */
static const char *cmd_reply_name(int cmd)
{
	if (cmd == SMTP_CMD_CONN_ESTABLISHMENT)
		return ">";
	if (cmd == SMTP_CMD_END_OF_DATA)
		return ".";
	return cmd_table_name(cmd);
}

static void unexpected_command(struct smtp *s, int cmd, int reply)
{
	char d[96];
	int n = snprintf(d, sizeof(d), "%s reply = %d state = %d",
			 cmd_table_name(cmd), reply, (int)s->state);

	ev_unexpected(s, true, "unexpected command", d, (size_t)n);
}

static void unexpected_reply(struct smtp *s, int cmd, int reply)
{
	char d[96];
	int n = snprintf(d, sizeof(d), "%d state = %d, last command = %s",
			 reply, (int)s->state, cmd_table_name(cmd));

	ev_unexpected(s, true, "unexpected reply", d, (size_t)n);
}

/* --- mail ------------------------------------------------------------------ */

static void bdat_teardown(struct smtp *s)
{
	if (!s->bdat_open)
		return;
	if (s->bdat_remaining) {
		an_weird_str(s->ctx, "smtp_bdat_remaining_at_end_data", NULL,
			     "SMTP");
		s->bdat_remaining = 0;
		line_set_plain(&s->ls[0], 0);
		line_set_plain(&s->ls[1], 0);
	}
	smtp_bdat_done(&s->bdat, s->mail);
	s->bdat_open = false;
	s->bdat_last = false;
}

/* A truncated body shows in files.log as missing bytes. */
static void close_mail(struct smtp *s)
{
	s->ctx->skip_orig = false;
	if (s->mail && s->body_skipped)
		mime_mail_gap(s->mail, s->body_skipped);
	s->body_skipped = 0;
	mime_mail_end(&s->mail);
}

static void begin_mail(struct smtp *s)
{
	if (s->mail) {
		an_weird_str(s->ctx, "smtp_nested_mail_transaction", NULL,
			     "SMTP");
		bdat_teardown(s);
		close_mail(s);
	}
	if (mime_mail_new(&s->mail, s->ctx, "SMTP", s->orig_is_sender))
		s->mail = NULL;
	s->body_bytes = s->body_skipped = 0;
}

static void end_mail(struct smtp *s)
{
	bdat_teardown(s);
	if (!s->mail) {
		an_weird_str(s->ctx, "smtp_unmatched_end_of_data", NULL,
			     "SMTP");
		return;
	}
	close_mail(s);
}

/* --- pending commands (pipelining) --------------------------------------- */

static void push_cmd(struct smtp *s, int cmd)
{
	uint32_t cap = s->ctx->cfg->lim.smtp_max_pending_cmds;

	if (s->slot == SMTP_CMD_NONE) {
		s->slot = cmd;
		return;
	}
	if (cap && s->fifo_count >= cap) {
		s->fifo_count = 0;
		s->fifo_head = 0;
		an_weird_str(s->ctx, "smtp_excessive_pending_cmds", NULL,
			     "SMTP");
	}
	if (s->fifo_count == s->fifo_cap) {
		uint32_t ncap = s->fifo_cap ? s->fifo_cap * 2 : 16;
		uint8_t *nf;

		if (cap && ncap > cap)
			ncap = cap;
		nf = malloc(ncap);
		if (!nf)
			return;
		for (uint32_t i = 0; i < s->fifo_count; i++)
			nf[i] = s->fifo[(s->fifo_head + i) % s->fifo_cap];
		free(s->fifo);
		s->fifo = nf;
		s->fifo_cap = ncap;
		s->fifo_head = 0;
	}
	s->fifo[(s->fifo_head + s->fifo_count) % s->fifo_cap] = (uint8_t)cmd;
	s->fifo_count++;
}

static int pop_cmd(struct smtp *s)
{
	int cmd = s->slot;

	if (s->fifo_count) {
		s->slot = s->fifo[s->fifo_head];
		s->fifo_head = (s->fifo_head + 1) % s->fifo_cap;
		s->fifo_count--;
	} else {
		s->slot = SMTP_CMD_NONE;
	}
	return cmd == SMTP_CMD_NONE ? SMTP_CMD_UNKNOWN : cmd;
}

static void clear_pending(struct smtp *s)
{
	s->slot = SMTP_CMD_NONE;
	s->fifo_count = 0;
	s->fifo_head = 0;
	s->last_replied = SMTP_CMD_UNKNOWN;
	s->cont_code = 0;
}

/* --- the state machine (spec §2.6) -------------------------------------- */

static void expect(struct smtp *s, int cmd, int reply, enum smtp_state want)
{
	if (s->state != want)
		unexpected_command(s, cmd, reply);
}

static bool in_list(int code, const int *codes)
{
	for (; *codes; codes++)
		if (*codes == code)
			return true;
	return false;
}

static void start_tls(struct smtp *s)
{
	struct event ev = { .type = EV_smtp_starttls,
			    .redact_from = EV_NO_REDACT };

	s->state = SMTP_IN_TLS;
	an_emit(s->ctx, &ev);
	s->ctx->want_bypass = true;
}

static void update_state(struct smtp *s, int cmd, int reply)
{
	static const int ehlo_err[] = { 421, 500, 501, 504, 550, 0 };
	static const int mail_err[] = { 421, 451, 452, 500, 501, 503,
					550, 552, 553, 0 };
	static const int rcpt_ok[] = { 250, 251, 421, 450, 451, 452, 500,
				       501, 503, 550, 551, 552, 553, 554, 0 };
	static const int data_err[] = { 451, 500, 501, 503, 554, 0 };
	static const int bdat_ok[] = { 250, 421, 451, 500, 501, 503, 554, 0 };
	static const int eod_ok[] = { 250, 421, 451, 452, 552, 554, 0 };

	if (reply == 0 && s->state == SMTP_QUIT)
		unexpected_command(s, cmd, reply);

	switch (cmd) {
	case SMTP_CMD_CONN_ESTABLISHMENT:
		if (!reply) {
			expect(s, cmd, reply, SMTP_CONNECTED);
			s->state = SMTP_INITIATED;
		} else if (reply == 421 || reply == 554) {
			s->state = SMTP_NOT_AVAILABLE;
		} else if (reply != 220) {
			unexpected_reply(s, cmd, reply);
		}
		break;
	case SMTP_CMD_EHLO:
	case SMTP_CMD_HELO:
		if (!reply) {
			expect(s, cmd, reply, SMTP_INITIATED);
			s->state = SMTP_READY;
		} else if (in_list(reply, ehlo_err)) {
			s->state = SMTP_INITIATED;
		} else if (reply != 250) {
			unexpected_reply(s, cmd, reply);
		}
		break;
	case SMTP_CMD_MAIL:
	case SMTP_CMD_SEND:
	case SMTP_CMD_SOML:
	case SMTP_CMD_SAML:
		if (!reply) {
			expect(s, cmd, reply, SMTP_READY);
			s->state = SMTP_MAIL_OK;
		} else if (in_list(reply, mail_err)) {
			if (s->state != SMTP_IN_DATA)
				s->state = SMTP_READY;
		} else if (reply != 250) {
			unexpected_reply(s, cmd, reply);
		}
		break;
	case SMTP_CMD_RCPT:
		if (!reply) {
			if (s->state != SMTP_MAIL_OK && s->state != SMTP_RCPT_OK)
				unexpected_command(s, cmd, reply);
			s->state = SMTP_RCPT_OK;
		} else if (!in_list(reply, rcpt_ok)) {
			unexpected_reply(s, cmd, reply);
		}
		break;
	case SMTP_CMD_DATA:
		if (!reply) {
			expect(s, cmd, reply, SMTP_RCPT_OK);
			begin_mail(s);
			s->state = SMTP_IN_DATA;
		} else if (reply == 354) {
			;
		} else if (reply == 421) {
			if (s->state == SMTP_IN_DATA)
				end_mail(s);
			s->state = SMTP_QUIT;
		} else {
			if (!in_list(reply, data_err))
				unexpected_reply(s, cmd, reply);
			if (s->state == SMTP_IN_DATA)
				end_mail(s);
			s->state = SMTP_READY;
		}
		break;
	case SMTP_CMD_BDAT:
		if (!reply) {
			/* Checked before the transfer starts, so only a BDAT
			 * in the wrong state is unexpected (Zeek checks after
			 * and flags every BDAT: docs/zeek-differences.md). */
			if (s->state != SMTP_RCPT_OK && s->state != SMTP_IN_BDAT)
				unexpected_command(s, cmd, reply);
			s->state = SMTP_IN_BDAT;
		} else if (s->bdat_done && !s->bdat_open) {
			/* the reply to the LAST chunk ends the transaction */
			s->bdat_done = false;
			if (!in_list(reply, eod_ok))
				unexpected_reply(s, cmd, reply);
			s->state = SMTP_READY;
		} else if (!in_list(reply, bdat_ok)) {
			unexpected_reply(s, cmd, reply);
		}
		break;
	case SMTP_CMD_END_OF_DATA:
		if (!reply) {
			if (s->state != SMTP_IN_DATA && s->state != SMTP_IN_BDAT)
				unexpected_command(s, cmd, reply);
			end_mail(s);
			s->state = SMTP_AFTER_DATA;
		} else {
			if (!in_list(reply, eod_ok))
				unexpected_reply(s, cmd, reply);
			s->state = SMTP_READY;
		}
		break;
	case SMTP_CMD_RSET:
		if (!reply)
			s->state = SMTP_READY;
		else if (reply != 250)
			unexpected_reply(s, cmd, reply);
		break;
	case SMTP_CMD_QUIT:
		if (!reply)
			s->state = SMTP_QUIT;
		else if (reply != 221)
			unexpected_reply(s, cmd, reply);
		break;
	case SMTP_CMD_AUTH:
		expect(s, cmd, reply, SMTP_READY);
		if (reply == 334)
			s->state = SMTP_IN_AUTH;
		else if (reply)
			s->state = SMTP_INITIATED;
		break;
	case SMTP_CMD_AUTH_ANSWER:
		expect(s, cmd, reply, SMTP_IN_AUTH);
		if (reply == 334)
			s->state = SMTP_IN_AUTH;
		else if (reply)
			s->state = SMTP_INITIATED;
		break;
	case SMTP_CMD_TURN:
		expect(s, cmd, reply, SMTP_READY);
		if (reply == 250) {
			s->orig_is_sender = !s->orig_is_sender;
			s->state = SMTP_CONNECTED;
		}
		break;
	case SMTP_CMD_STARTTLS:
	case SMTP_CMD_X_ANONYMOUSTLS:
		expect(s, cmd, reply, SMTP_READY);
		if (reply == 220)
			start_tls(s);
		break;
	default: /* VRFY, EXPN, HELP, NOOP, ETRN, (UNKNOWN) */
		if (reply == 354 && s->state == SMTP_GAP_RECOVERY) {
			begin_mail(s);
			s->state = SMTP_IN_DATA;
		}
		break;
	}
}

/* --- BDAT argument (spec §2.7) ------------------------------------------- */

/* Returns NULL (and fills size, last, huge), or Zeek's error text. */
static const char *parse_bdat_arg(const uint8_t *a, size_t n, uint64_t *size,
				  bool *last, bool *huge)
{
	size_t i = 0;
	uint64_t v = 0;

	*last = false;
	*huge = false;
	if (n < 1 || n > 25)
		return "BDAT argument bad length";
	if (a[0] < '0' || a[0] > '9')
		return "BDAT not followed by a valid chunk-size";
	for (; i < n && a[i] >= '0' && a[i] <= '9'; i++) {
		unsigned int d = a[i] - '0';

		if (v > (UINT64_MAX - d) / 10)
			return "BDAT chunk-size too large";
		v = v * 10 + d;
	}
	if (i < n && a[i] != ' ')
		return "BDAT chunk-size not valid";
	if (i < n) {
		static const char kw[] = " LAST";

		if (n - i != 5)
			return "BDAT chunk-size followed by junk";
		for (size_t k = 0; k < 5; k++) {
			uint8_t c = a[i + k];

			if (c >= 'a' && c <= 'z')
				c -= 32;
			if (c != (uint8_t)kw[k])
				return "BDAT chunk-size followed by junk";
		}
		*last = true;
	}
	*size = v;
	*huge = v > (uint64_t)INT64_MAX;
	return NULL;
}

/* LAST chunk fully received: the END_OF_DATA transition. */
static void bdat_check_complete(struct smtp *s)
{
	if (!s->bdat_open || !s->bdat_last || s->bdat_remaining)
		return;
	smtp_bdat_finish(&s->bdat, s->mail);
	smtp_bdat_done(&s->bdat, s->mail);
	s->bdat_open = false;
	s->bdat_last = false;
	s->bdat_done = true;
	update_state(s, SMTP_CMD_END_OF_DATA, 0);
}

static void bdat_command(struct smtp *s, const uint8_t *arg, size_t n)
{
	uint64_t size;
	bool last, huge;
	const char *err = parse_bdat_arg(arg, n, &size, &last, &huge);

	if (err) {
		an_weird_str(s->ctx, "smtp_invalid_bdat_command", err, "SMTP");
		return;
	}
	if (huge) {
		char d[24];

		snprintf(d, sizeof(d), "%llu", (unsigned long long)size);
		an_weird_str(s->ctx, "smtp_huge_bdat_chunk", d, "SMTP");
		return;
	}
	if (!s->bdat_open) {
		update_state(s, SMTP_CMD_BDAT, 0);
		begin_mail(s);
		smtp_bdat_init(&s->bdat, s->ctx,
			       s->ctx->cfg->lim.bdat_max_line_length);
		s->bdat_open = true;
	} else {
		update_state(s, SMTP_CMD_BDAT, 0);
	}
	s->bdat_last = last;
	s->bdat_done = false;
	s->bdat_remaining = size;
	line_set_plain(&s->ls[s->orig_is_sender ? 0 : 1], size);
	bdat_check_complete(s);
}

/* --- lines ------------------------------------------------------------- */

static int lookup_cmd(const uint8_t *w, size_t n)
{
	for (int c = 0; c < SMTP_CMD__COUNT; c++) {
		const char *name = cmd_names[c];
		size_t i = 0;

		for (; i < n && name[i]; i++) {
			uint8_t a = w[i], b = (uint8_t)name[i];

			if (a >= 'a' && a <= 'z')
				a -= 32;
			if (a == b || (b == '_' && a == '-'))
				continue;
			break;
		}
		if (i == n && !name[i])
			return c;
	}
	return SMTP_CMD_UNKNOWN;
}

static void client_line(struct smtp *s, const uint8_t *line, size_t len)
{
	size_t w = 0, a, wire;
	int cmd;

	switch (s->state) {
	case SMTP_AFTER_GAP:
		return;
	case SMTP_IN_DATA:
		if (len == 1 && line[0] == '.') {
			push_cmd(s, SMTP_CMD_END_OF_DATA);
			update_state(s, SMTP_CMD_END_OF_DATA, 0);
			ev_request(s, ".", 1, line, 1, EV_NO_REDACT);
			return;
		}
		wire = len + 2;
		if (len && line[0] == '.') {
			line++;
			len--;
		}
		if (!s->mail)
			begin_mail(s);
		if (!body_take(s, len + 2))
			return;
		if (s->mail)
			mime_mail_deliver(s->mail, line, len, true);
		if (bus_wants(s->ctx->bus, EV_smtp_data)) {
			struct event ev = {
				.type = EV_smtp_data,
				.is_orig = s->orig_is_sender,
				.redact_from = EV_NO_REDACT,
				.data = { .data = EV_BYTES(line, len),
					  .length = wire },
			};

			an_emit(s->ctx, &ev);
		}
		return;
	case SMTP_IN_AUTH:
		push_cmd(s, SMTP_CMD_AUTH_ANSWER);
		ev_request(s, "**", 2, line, len, 0);
		update_state(s, SMTP_CMD_AUTH_ANSWER, 0);
		return;
	default:
		break;
	}

	while (w < len && line[w] != ' ' && line[w] != '\t' && line[w] != '\0')
		w++;
	cmd = lookup_cmd(line, w);
	if (cmd == SMTP_CMD_UNKNOWN) {
		ev_unexpected(s, true, "unknown command", line, w);
		return;
	}
	a = w;
	while (a < len && (line[a] == ' ' || line[a] == '\t'))
		a++;
	push_cmd(s, cmd);
	{
		char up[24];
		uint32_t redact = EV_NO_REDACT;

		for (size_t i = 0; i < w; i++)
			up[i] = (char)(line[i] >= 'a' && line[i] <= 'z' ?
					       line[i] - 32 : line[i]);
		if (cmd == SMTP_CMD_AUTH) {
			/* AUTH <mechanism> [initial-response] */
			size_t m = a;

			while (m < len && line[m] != ' ')
				m++;
			while (m < len && line[m] == ' ')
				m++;
			if (m < len)
				redact = (uint32_t)(m - a);
		}
		ev_request(s, up, w, line + a, len - a, redact);
	}
	if (cmd == SMTP_CMD_BDAT) {
		bdat_command(s, line + a, len - a);
		return;
	}
	if (s->bdat_open) {
		an_weird_str(s->ctx, "smtp_missing_bdat_last_chunk", NULL,
			     "SMTP");
		end_mail(s);
	}
	update_state(s, cmd, 0);
}

static void server_line(struct smtp *s, bool is_orig, const uint8_t *line,
			size_t len)
{
	int code = -1, cmd;
	bool cont;
	size_t m;
	struct event ev = { .type = EV_smtp_reply, .is_orig = is_orig,
			    .redact_from = EV_NO_REDACT };

	if (len >= 3 && line[0] >= '0' && line[0] <= '9' && line[1] >= '0' &&
	    line[1] <= '9' && line[2] >= '0' && line[2] <= '9')
		code = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
		       (line[2] - '0');
	if (code < 100 || code > 599) {
		ev_unexpected(s, false, "reply code out of range", line, len);
		return;
	}
	cont = len > 3 && line[3] == '-';
	if (s->cont_code && code != s->cont_code) {
		ev_unexpected(s, false,
			      "reply code does not match the continuing reply",
			      line, len);
		s->cont_code = 0;
	}
	if (!s->cont_code && s->state == SMTP_IN_DATA && s->ctx->skip_orig &&
	    code != 354) {
		/* the kernel skipped the rest of the body and its '.': this
		 * reply ends the data */
		push_cmd(s, SMTP_CMD_END_OF_DATA);
		update_state(s, SMTP_CMD_END_OF_DATA, 0);
		ev_request(s, ".", 1, (const uint8_t *)".", 1, EV_NO_REDACT);
	}
	if (!s->cont_code) {
		/* the first line of a reply */
		if (s->state == SMTP_AFTER_GAP) {
			s->state = SMTP_GAP_RECOVERY;
			ev_request(s, "(UNKNOWN)", 9, (const uint8_t *)"", 0,
				   EV_NO_REDACT);
			s->slot = SMTP_CMD_NONE;
			s->fifo_count = 0;
			cmd = SMTP_CMD_UNKNOWN;
		} else {
			cmd = pop_cmd(s);
		}
		s->last_replied = cmd;
		update_state(s, cmd, code);
	}
	s->cont_code = cont ? code : 0;
	m = len > 3 ? 4 : len;
	while (m < len && (line[m] == ' ' || line[m] == '\t'))
		m++;
	ev.smtp_reply.code = (uint32_t)code;
	ev.smtp_reply.cmd = EV_STR(cmd_reply_name(s->last_replied));
	ev.smtp_reply.msg = EV_BYTES(line + m, len - m);
	ev.smtp_reply.cont_resp = cont;
	an_emit(s->ctx, &ev);
}

static void on_line(struct smtp *s, bool is_orig, const uint8_t *line,
		    size_t len)
{
	if (s->disabled || s->state == SMTP_IN_TLS)
		return;
	if (sender_dir(s, is_orig))
		client_line(s, line, len);
	else
		server_line(s, is_orig, line, len);
}

static void on_line_orig(void *arg, const uint8_t *line, size_t len)
{
	on_line(arg, true, line, len);
}

static void on_line_resp(void *arg, const uint8_t *line, size_t len)
{
	on_line(arg, false, line, len);
}

/* DATA body lines in bulk while no one takes smtp_data: straight to
 * MIME (mime_mail_bulk), counted against --max-data-bytes as a whole. */
static size_t bulk(struct smtp *s, bool is_orig, const uint8_t *data,
		   size_t len, size_t max_line)
{
	size_t k;

	if (s->disabled || s->state != SMTP_IN_DATA || !s->mail ||
	    !sender_dir(s, is_orig) || bus_wants(s->ctx->bus, EV_smtp_data))
		return 0;
	len = an_body_room(s->body_bytes, s->ctx->cfg->lim.max_data_bytes, len);
	if (!len)
		return 0;
	k = mime_mail_bulk(s->mail, data, len, max_line);
	s->body_bytes += k;
	return k;
}

static size_t bulk_orig(void *arg, const uint8_t *data, size_t len,
			size_t max_line)
{
	return bulk(arg, true, data, len, max_line);
}

static size_t bulk_resp(void *arg, const uint8_t *data, size_t len,
			size_t max_line)
{
	return bulk(arg, false, data, len, max_line);
}

static void on_plain(struct smtp *s, const uint8_t *p, size_t n)
{
	if (n > s->bdat_remaining) { /* cannot happen: the splitter counts */
		an_weird_str(s->ctx, "smtp_bdat_chunk_overflow", NULL,
			     "SMTP_BDAT");
		n = s->bdat_remaining;
	}
	s->bdat_remaining -= n;
	if (s->bdat_open && body_take(s, n))
		smtp_bdat_deliver(&s->bdat, s->mail, p, n);
	bdat_check_complete(s);
}

static void on_plain_orig(void *arg, const uint8_t *p, size_t n)
{
	on_plain(arg, p, n);
}

static void on_plain_resp(void *arg, const uint8_t *p, size_t n)
{
	on_plain(arg, p, n);
}

/* --- analyzer interface ---------------------------------------------------- */

static int smtp_new(void **state, struct an_ctx *ctx)
{
	struct smtp *s = calloc(1, sizeof(*s));
	uint32_t max = ctx->cfg->lim.max_line_length;

	if (!s)
		return -ENOMEM;
	s->ctx = ctx;
	s->orig_is_sender = true;
	s->slot = SMTP_CMD_NONE;
	s->last_replied = SMTP_CMD_UNKNOWN;
	line_init(&s->ls[0], ctx, &s->lw, true, max, on_line_orig,
		  on_plain_orig, s);
	line_init(&s->ls[1], ctx, &s->lw, true, max, on_line_resp,
		  on_plain_resp, s);
	line_set_bulk(&s->ls[0], bulk_orig);
	line_set_bulk(&s->ls[1], bulk_resp);
	/* The greeting is matched to the connection establishment. */
	s->state = SMTP_CONNECTED;
	push_cmd(s, SMTP_CMD_CONN_ESTABLISHMENT);
	update_state(s, SMTP_CMD_CONN_ESTABLISHMENT, 0);
	if (ctx->conn && ctx->conn->partial) {
		/* Mid-stream: resynchronise on the first server reply, as
		 * after a gap (Zeek ignores such connections). */
		clear_pending(s);
		s->state = SMTP_AFTER_GAP;
	}
	*state = s;
	return 0;
}

static void smtp_deliver(void *state, bool is_orig, const uint8_t *data,
			 size_t len)
{
	struct smtp *s = state;

	if (s->disabled || s->state == SMTP_IN_TLS)
		return;
	line_deliver(&s->ls[is_orig ? 0 : 1], data, len);
}

static void smtp_gap(void *state, bool is_orig, uint64_t offset,
		     uint64_t len)
{
	struct smtp *s = state;
	char d[64];
	int n;

	if (s->disabled || s->state == SMTP_IN_TLS)
		return;
	n = snprintf(d, sizeof(d), "seq = %llu, len = %llu",
		     (unsigned long long)offset + 1, (unsigned long long)len);
	{
		struct event ev = {
			.type = EV_smtp_unexpected,
			.is_orig = is_orig,
			.redact_from = EV_NO_REDACT,
			.unexpected = { .msg = EV_STR("content gap"),
					.detail = EV_BYTES(d, (size_t)n) },
		};

		an_emit(s->ctx, &ev);
	}
	line_reset(&s->ls[is_orig ? 0 : 1]);
	if (s->state == SMTP_IN_DATA || s->state == SMTP_IN_BDAT) {
		if (s->mail)
			mime_mail_gap(s->mail, len);
		end_mail(s);
	} else if (s->bdat_open) {
		bdat_teardown(s);
	}
	clear_pending(s);
	s->state = SMTP_AFTER_GAP;
}

static void smtp_eof(void *state, bool is_orig)
{
	struct smtp *s = state;

	if (!s->disabled && s->state != SMTP_IN_TLS)
		line_eof(&s->ls[is_orig ? 0 : 1]);
	s->eof[is_orig ? 0 : 1] = true;
	if (s->eof[0] && s->eof[1] && s->mail) {
		bdat_teardown(s);
		close_mail(s);
	}
}

static void smtp_free(void **state)
{
	struct smtp *s;

	if (!state || !*state)
		return;
	s = *state;
	bdat_teardown(s);
	close_mail(s);
	line_free(&s->ls[0]);
	line_free(&s->ls[1]);
	free(s->fifo);
	free(s);
	*state = NULL;
}

const struct analyzer_ops smtp_analyzer_ops = {
	.name = "SMTP",
	.new = smtp_new,
	.deliver = smtp_deliver,
	.gap = smtp_gap,
	.eof = smtp_eof,
	.free = smtp_free,
};
