// SPDX-License-Identifier: BSD-3-Clause
/* email.c - address extraction with the semantics of Zeek's find_all over
 * its e-mail regexes (spec §8.5) and the Received-header IP rules (§8.2),
 * written as small scanners. Never reads outside [s, s+len). */
#include "sink/email.h"

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

static bool is_blank(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static bool lead_char(unsigned char c)
{
	return c == '<' || c == ',' || c == ':' || is_blank(c);
}

static bool local_char(unsigned char c)
{
	return !lead_char(c) && c != '@';
}

static bool domain_char(unsigned char c)
{
	return c != '>' && c != ',' && c != ';' && !is_blank(c);
}

/* Longest match of (^|[<,:blank])[^<,:blank@]+@[^>,;blank]+([>,;blank]|$)
 * starting at i; returns its end, or 0 for no match and then sets *next
 * to where the next match may start: a start inside the local part that
 * failed has the same local part's end, and fails the same way. Without
 * the skip a long run of local characters was quadratic. */
static size_t match_addr(const unsigned char *p, size_t n, size_t i,
			 size_t *next)
{
	size_t j = i, at;

	if (j < n && lead_char(p[j]))
		j++;
	at = j;
	while (at < n && local_char(p[at]))
		at++;
	*next = at > i + 1 ? at : i + 1;
	if (at == j || at >= n || p[at] != '@')
		return 0;
	j = at + 1;
	while (j < n && domain_char(p[j]))
		j++;
	if (j == at + 1)
		return 0;
	if (j < n)
		j++; /* the terminator */
	return j;
}

static bool strip_char(unsigned char c)
{
	return c == '<' || c == '>' || c == ',' || c == ':' || c == ';' ||
	       is_blank(c);
}

int email_extract_addrs(const void *vs, size_t len, struct email_piece *out,
			int max, char *arena, size_t arena_len)
{
	const unsigned char *p = vs;
	size_t i = 0, a = 0;
	int n = 0;

	if (len > EMAIL_MAX_INPUT)
		return -1;
	while (i < len && n < max) {
		size_t next, e = match_addr(p, len, i, &next);

		if (!e) {
			i = next;
			continue;
		}
		if (a + (e - i) + 1 > arena_len)
			break;
		out[n].s = arena + a;
		out[n].len = 0;
		for (size_t k = i; k < e; k++)
			if (!strip_char(p[k]))
				out[n].s[out[n].len++] = (char)p[k];
		out[n].s[out[n].len] = '\0';
		a += out[n].len + 1;
		n++;
		i = e;
	}
	return n;
}

/* Longest match of ("[^"]*")?[^,]+@[^,]+ at i; 0 for none. */
static size_t match_mime(const unsigned char *p, size_t n, size_t i)
{
	size_t j = i, best = 0;

	for (int quoted = 1; quoted >= 0; quoted--) {
		size_t k = i, last_at = 0, end;

		if (quoted) {
			if (k >= n || p[k] != '"')
				continue;
			k++;
			while (k < n && p[k] != '"')
				k++;
			if (k >= n)
				continue;
			k++;
		}
		j = k;
		/* [^,]+@[^,]+ : the run of non-commas must contain an '@'
		 * with at least one char before and after it. */
		end = j;
		while (end < n && p[end] != ',')
			end++;
		for (size_t x = end; x > j; x--) {
			if (p[x - 1] == '@') {
				last_at = x - 1;
				break;
			}
		}
		if (last_at > j && last_at + 1 < end && end > best)
			best = end;
	}
	return best;
}

/* No address starts at i: none starts before the next quote or the next
 * comma's end either, as their unquoted runs are tails of i's run, which
 * failed. Without the skip a long header without commas was quadratic. */
static size_t mime_next_start(const unsigned char *p, size_t n, size_t i)
{
	size_t k = i + 1;

	while (k < n && p[k] != '"' && p[k - 1] != ',')
		k++;
	return k;
}

int email_split_mime(const void *vs, size_t len, struct email_piece *out,
		     int max, char *arena, size_t arena_len)
{
	const unsigned char *p = vs;
	size_t i = 0, a = 0;
	int n = 0;

	if (len > EMAIL_MAX_INPUT)
		return -1;
	while (i < len && n < max) {
		size_t e = match_mime(p, len, i), s, t;

		if (!e) {
			i = mime_next_start(p, len, i);
			continue;
		}
		s = i;
		t = e;
		while (s < t && (is_blank(p[s]) || p[s] == '\r' || p[s] == '\n'))
			s++;
		while (t > s && (is_blank(p[t - 1]) || p[t - 1] == '\r' ||
				 p[t - 1] == '\n'))
			t--;
		if (a + (t - s) + 1 > arena_len)
			break;
		out[n].s = arena + a;
		memcpy(out[n].s, p + s, t - s);
		out[n].s[t - s] = '\0';
		out[n].len = t - s;
		a += t - s + 1;
		n++;
		i = e;
	}
	return n;
}

static const bool ip_chars[256] = {
	['0' ... '9'] = true, ['a' ... 'f'] = true, ['A' ... 'F'] = true,
	[':'] = true, ['.'] = true,
};

static bool ip_char(unsigned char c)
{
	return ip_chars[c];
}

/* Could [p, p+n) be an IPv4 address: digits and exactly three dots? */
static bool dotted_quad(const unsigned char *p, size_t n)
{
	unsigned int dots = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '.')
			dots++;
		else if (p[i] < '0' || p[i] > '9')
			return false;
	}
	return dots == 3;
}

static bool wrapped(unsigned char before, unsigned char after, bool has_b,
		    bool has_a)
{
	if (!has_b && !has_a)
		return true;
	if (!has_b || !has_a)
		return false;
	return (before == '[' && after == ']') ||
	       (before == '(' && after == ')') ||
	       (before == '{' && after == '}') ||
	       (before == ' ' && after == ' ');
}

int email_extract_ips(const void *vs, size_t len, bool check_wrapping,
		      struct mt_addr *out, int max)
{
	const unsigned char *p = vs;
	size_t i = 0;
	int n = 0;

	while (i < len && n < max) {
		size_t s, e;
		char tmp[64];

		if (!ip_char(p[i])) {
			i++;
			continue;
		}
		s = i;
		while (i < len && ip_char(p[i]))
			i++;
		e = i;
		/* a sentence's final dot is not part of an address */
		while (e > s && p[e - 1] == '.')
			e--;
		if (e - s < 2 || e - s >= sizeof(tmp))
			continue;
		if (!memchr(p + s, ':', e - s) && !dotted_quad(p + s, e - s))
			continue; /* inet_pton would say no: spare the call */
		memcpy(tmp, p + s, e - s);
		tmp[e - s] = '\0';
		memset(&out[n], 0, sizeof(out[n]));
		if (strchr(tmp, ':')) {
			if (inet_pton(AF_INET6, tmp, out[n].addr) != 1)
				continue;
			out[n].family = AF_INET6;
		} else {
			if (inet_pton(AF_INET, tmp, out[n].addr) != 1)
				continue;
			out[n].family = AF_INET;
		}
		if (check_wrapping &&
		    !wrapped(s ? p[s - 1] : 0, e < len ? p[e] : 0, s > 0,
			     e < len))
			continue;
		n++;
	}
	return n;
}

bool email_is_private(const struct mt_addr *a)
{
	const uint8_t *b = a->addr;

	if (a->family == AF_INET)
		return b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) ||
		       (b[0] == 192 && b[1] == 168) || b[0] == 127 ||
		       (b[0] == 169 && b[1] == 254) ||
		       (b[0] == 100 && (b[1] & 0xc0) == 64);
	if ((b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80))
		return true;
	for (int i = 0; i < 15; i++)
		if (b[i])
			return false;
	return b[15] == 1; /* ::1 */
}
