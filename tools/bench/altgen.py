#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""altgen.py - a second, deliberately plain SMTP + POP3 capture generator.

Written apart from tools/gen_mailcap.py (no code shared), so that `make
bench` ratios can be checked on a capture whose shape mailtap was not
tuned on: `BENCH_PCAP=FILE make bench`. Two of every three sessions are
SMTP (EHLO, one MAIL/RCPT, DATA, QUIT), the third POP3 (USER/PASS, STAT,
RETR, QUIT); every message is multipart with a plain-text part of 5 to 80
lines and a base64 attachment of 2, 30 or 120 kB. Each segment is
acknowledged by a pure ACK from the other side.

  altgen.py -o out.pcap [--size MB] [--split mss|line] [--seed S]
            [--body mixed|qp|text|small] [--bdat]

--split mss cuts each side's bytes into 1460-byte segments; --split line
sends one line a segment (a client that writes line by line, with Nagle
off: many small packets). --body chooses the messages: mixed (the default,
above), qp (an HTML part in quoted-printable, with =XX for '=' and UTF-8
and a soft break ending most lines), text (a long 7bit text part) or small
(a few lines, no MIME). --bdat sends SMTP messages in BDAT chunks of
64 kB (RFC 3030 CHUNKING, as postfix and Exchange do) instead of DATA.
"""
import argparse
import base64
import quopri
import random
import struct
import sys

ETH = b"\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00"


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


class Capture:
    def __init__(self, f, split):
        self.f = f
        self.split = split
        self.ts = 1700000000.0
        self.written = 0
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))

    def packet(self, src, dst, sp, dp, seq, ack, flags, data=b""):
        tcp = struct.pack("!HHIIBBHHH", sp, dp, seq & 0xFFFFFFFF,
                          ack & 0xFFFFFFFF, 5 << 4, flags, 65535, 0, 0)
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(data),
                         0, 0x4000, 64, 6, 0, src, dst)
        ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
        frame = ETH + ip + tcp + data
        self.ts += 0.00001
        sec = int(self.ts)
        usec = int((self.ts - sec) * 1e6)
        self.f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
        self.f.write(frame)
        self.written += 16 + len(frame)

    def session(self, rnd, port, sport, turns):
        c = bytes([10, 1, rnd.randrange(256), rnd.randrange(1, 255)])
        s = bytes([10, 2, 0, 1])
        cs, ss = rnd.randrange(1 << 31), rnd.randrange(1 << 31)
        self.packet(c, s, sport, port, cs, 0, 0x02)
        self.packet(s, c, port, sport, ss, cs + 1, 0x12)
        self.packet(c, s, sport, port, cs + 1, ss + 1, 0x10)
        cs += 1
        ss += 1
        for client, data in turns:
            if self.split == "line":
                pieces = data.splitlines(keepends=True)
            else:
                pieces = [data[i:i + 1460] for i in range(0, len(data), 1460)]
            for p in pieces:
                if client:
                    self.packet(c, s, sport, port, cs, ss, 0x18, p)
                    cs += len(p)
                    self.packet(s, c, port, sport, ss, cs, 0x10)
                else:
                    self.packet(s, c, port, sport, ss, cs, 0x18, p)
                    ss += len(p)
                    self.packet(c, s, sport, port, cs, ss, 0x10)
        self.packet(c, s, sport, port, cs, ss, 0x11)
        self.packet(s, c, port, sport, ss, cs + 1, 0x11)
        self.packet(c, s, sport, port, cs + 1, ss + 1, 0x10)


def message(rnd, i):
    blob = rnd.randbytes(rnd.choice([2000, 30000, 120000]))
    att = base64.encodebytes(blob).replace(b"\n", b"\r\n")
    text = b"".join(b"Line %d of a plain text body, with some words in it "
                    b"to look real.\r\n" % k
                    for k in range(rnd.randrange(5, 80)))
    return (b"From: a%d@ex.org\r\nTo: b@ex.net\r\nSubject: test %d\r\n"
            b"Message-ID: <%d@ex.org>\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n"
            b"--XX\r\nContent-Type: text/plain\r\n\r\n" % (i, i, i) + text +
            b"--XX\r\nContent-Type: application/pdf; name=\"f.pdf\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + att +
            b"--XX--\r\n")


WORDS = [b"mail", b"relay", b"caf\xc3\xa9", b"na\xc3\xafve", b"r\xc3\xa9sum\xc3\xa9",
         b"meeting", b"report", b"=sum", b"budget", b"schedule", b"update",
         b"project", b"notes", b"agenda"]


def words(rnd, n):
    return b" ".join(rnd.choice(WORDS) for _ in range(n))


def head(i, ctype, cte):
    return (b"From: a%d@ex.org\r\nTo: b@ex.net\r\nSubject: test %d\r\n"
            b"Message-ID: <%d@ex.org>\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: %s\r\nContent-Transfer-Encoding: %s\r\n\r\n"
            % (i, i, i, ctype, cte))


def message_qp(rnd, i):
    html = b"".join(b"<p style=\"margin: 0; color: #333\">" +
                    words(rnd, rnd.randrange(8, 40)) + b"</p>\n"
                    for _ in range(rnd.randrange(20, 400)))
    body = quopri.encodestring(b"<html><body>\n" + html + b"</body></html>\n")
    return (head(i, b"text/html; charset=utf-8", b"quoted-printable") +
            body.replace(b"\n", b"\r\n"))


def message_text(rnd, i):
    text = b"".join(words(rnd, rnd.randrange(4, 14)).replace(b"=", b"")
                    .decode("utf-8").encode("ascii", "replace") + b"\r\n"
                    for _ in range(rnd.randrange(50, 1500)))
    return head(i, b"text/plain; charset=us-ascii", b"7bit") + text


def message_small(rnd, i):
    return (b"From: a%d@ex.org\r\nTo: b@ex.net\r\nSubject: note %d\r\n"
            b"Message-ID: <%d@ex.org>\r\n\r\nHi,\r\n%s.\r\n"
            % (i, i, i, words(rnd, 8).replace(b"=", b"")))


BODIES = {"mixed": message, "qp": message_qp, "text": message_text,
          "small": message_small}


def smtp_turns(i, m):
    return [(False, b"220 mx.ex.net ESMTP\r\n"),
            (True, b"EHLO client.ex.org\r\n"),
            (False, b"250-mx.ex.net\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
             b"250 8BITMIME\r\n"),
            (True, b"MAIL FROM:<a%d@ex.org>\r\n" % i),
            (False, b"250 2.1.0 Ok\r\n"),
            (True, b"RCPT TO:<b@ex.net>\r\n"),
            (False, b"250 2.1.5 Ok\r\n"),
            (True, b"DATA\r\n"),
            (False, b"354 End data with <CR><LF>.<CR><LF>\r\n"),
            (True, m + b".\r\n"),
            (False, b"250 2.0.0 Ok: queued as ABC%d\r\n" % i),
            (True, b"QUIT\r\n"),
            (False, b"221 2.0.0 Bye\r\n")]


def bdat_turns(i, m):
    turns = smtp_turns(i, m)[:7]
    turns[2] = (False, b"250-mx.ex.net\r\n250-PIPELINING\r\n250-CHUNKING\r\n"
                b"250 8BITMIME\r\n")
    for k in range(0, len(m), 65536):
        c = m[k:k + 65536]
        last = b" LAST" if k + 65536 >= len(m) else b""
        turns += [(True, b"BDAT %d%s\r\n" % (len(c), last) + c),
                  (False, b"250 2.0.0 Ok\r\n")]
    turns[-1] = (False, b"250 2.0.0 Ok: queued as ABC%d\r\n" % i)
    return turns + [(True, b"QUIT\r\n"), (False, b"221 2.0.0 Bye\r\n")]


def pop3_turns(m):
    return [(False, b"+OK POP3 ready\r\n"),
            (True, b"USER bob\r\n"), (False, b"+OK\r\n"),
            (True, b"PASS secret\r\n"), (False, b"+OK Logged in.\r\n"),
            (True, b"STAT\r\n"), (False, b"+OK 1 %d\r\n" % len(m)),
            (True, b"RETR 1\r\n"),
            (False, b"+OK %d octets\r\n" % len(m) + m + b".\r\n"),
            (True, b"QUIT\r\n"), (False, b"+OK Bye\r\n")]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", "--out", required=True)
    ap.add_argument("--size", type=int, default=200, help="MB (default 200)")
    ap.add_argument("--split", choices=("mss", "line"), default="mss")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--body", choices=sorted(BODIES), default="mixed")
    ap.add_argument("--bdat", action="store_true")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    with open(a.out, "wb") as f:
        cap = Capture(f, a.split)
        i = 0
        while cap.written < a.size * 1000000:
            i += 1
            m = BODIES[a.body](rnd, i)
            if i % 3:
                cap.session(rnd, 25, 1024 + i % 60000,
                            (bdat_turns if a.bdat else smtp_turns)(i, m))
            else:
                cap.session(rnd, 110, 1024 + i % 60000, pop3_turns(m))
    print(f"{a.out}: {i} sessions, {cap.written} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
