#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""gen_hostile.py - captures of hostile traffic, each with one ordinary
SMTP session in the middle that must still be logged in full.

  gen_hostile.py CASE -o out.pcap [--scale F]

Cases: synflood, longline, pipeline, rcpt, mimebomb, bdathuge, overlap,
ooostorm, garbage, reversed, idleflows. --scale shrinks or grows the
attack (1.0 = the sizes named in issue 10: 1M SYNs, a 100 MB line, 1M
commands, 100k RCPT).
"""
import argparse
import os
import random
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_mailcap import Conn, PcapWriter, smtp_session  # noqa: E402

SERVER = bytes([10, 1, 0, 25])


def client(i):
    return bytes([10, 9, (i >> 8) & 0xFF, i & 0xFF or 1])


def normal(w, t, rng):
    """The ordinary session whose smtp.log row must survive."""
    return smtp_session(w, t, rng, 4242, 5000)


def stream(c, is_orig, data, chunk=1460):
    for off in range(0, len(data), chunk):
        c.frame(is_orig, 0x18, data[off:off + chunk])
        c.tick(0.00001)


def synflood(w, t, rng, scale):
    n = int(1_000_000 * scale)
    for i in range(n):
        src = struct.pack("!I", 0x0B000000 + rng.randrange(1 << 24))
        c = Conn(w, t, src, 1024 + rng.randrange(60000), SERVER, 25, rng)
        c.frame(True, 0x02)
        t += 0.00001
        if i == n // 2:
            t = normal(w, t, rng)
    return t


def idleflows(w, t, rng, scale):
    """N established connections that each send a greeting and then idle."""
    n = int(100_000 * scale)
    for i in range(n):
        src = struct.pack("!I", 0x0B000000 + i)
        c = Conn(w, t, src, 1024 + i % 60000, SERVER, 25, rng)
        c.handshake()
        c.send(False, b"220 mx ESMTP\r\n")
        t = c.t
    return normal(w, t + 1, rng)


def longline(w, t, rng, scale):
    c = Conn(w, t, client(1), 40000, SERVER, 25, rng)
    c.handshake()
    c.send(False, b"220 mx ESMTP\r\n")
    c.send(True, b"EHLO x\r\n")
    c.send(False, b"250 mx\r\n")
    size = int(100 * 1024 * 1024 * scale)
    piece = b"A" * 65536
    sent, done_normal = 0, False
    c.frame(True, 0x18, b"MAIL FROM:<")
    while sent < size:
        stream(c, True, piece)
        sent += len(piece)
        if not done_normal and sent >= size // 2:
            c.t = normal(w, c.t, rng)
            done_normal = True
    c.close()
    return c.t


def pipeline(w, t, rng, scale):
    c = Conn(w, t, client(2), 40001, SERVER, 25, rng)
    c.handshake()
    c.send(False, b"220 mx ESMTP\r\n")
    n = int(1_000_000 * scale)
    batch = b"NOOP\r\n" * 1000
    for i in range(n // 1000):
        stream(c, True, batch)
        if i == n // 2000:
            c.t = normal(w, c.t, rng)
    c.close()
    return c.t


def rcpt(w, t, rng, scale):
    c = Conn(w, t, client(3), 40002, SERVER, 25, rng)
    c.handshake()
    c.send(False, b"220 mx ESMTP\r\n")
    c.send(True, b"EHLO x\r\n")
    c.send(False, b"250 mx\r\n")
    c.send(True, b"MAIL FROM:<a@b.example>\r\n")
    c.send(False, b"250 ok\r\n")
    n = int(100_000 * scale)
    for i in range(n):
        c.send(True, b"RCPT TO:<r%d@example.org>\r\n" % i)
        c.send(False, b"250 ok\r\n")
        if i == n // 2:
            c.t = normal(w, c.t, rng)
    c.send(True, b"DATA\r\n")
    c.send(False, b"354 go\r\n")
    c.send(True, b"Subject: many\r\n\r\nhi\r\n.\r\n")
    c.send(False, b"250 queued\r\n")
    c.close()
    return c.t


def mimebomb(w, t, rng, scale):
    c = Conn(w, t, client(4), 40003, SERVER, 25, rng)
    c.handshake()
    c.send(False, b"220 mx ESMTP\r\n")
    for cmd, rep in ((b"EHLO x", b"250 mx"), (b"MAIL FROM:<a@b.example>", b"250 ok"),
                     (b"RCPT TO:<c@d.example>", b"250 ok"), (b"DATA", b"354 go")):
        c.send(True, cmd + b"\r\n")
        c.send(False, rep + b"\r\n")
    out = [b"Subject: bomb", b"X-Huge: start"]
    out += [b"\tcontinuation %d" % i for i in range(int(20000 * scale))]
    depth = int(500 * scale) or 1
    for d in range(depth):
        out += [b"Content-Type: multipart/mixed; boundary=\"b%d_x\"" % d, b"", b"--b%d_x" % d]
    parts = int(5000 * scale)
    for p in range(parts):
        out += [b"Content-Type: text/plain", b"", b"part %d" % p, b"--b%d_x" % (depth - 1)]
    for d in reversed(range(depth)):
        out += [b"--b%d_x--" % d]
    stream(c, True, b"\r\n".join(out) + b"\r\n.\r\n")
    c.send(False, b"250 queued\r\n")
    c.close()
    return normal(w, c.t, rng)


def bdathuge(w, t, rng, scale):
    c = Conn(w, t, client(5), 40004, SERVER, 25, rng)
    c.handshake()
    c.send(False, b"220 mx ESMTP\r\n")
    for cmd, rep in ((b"EHLO x", b"250 mx"), (b"MAIL FROM:<a@b.example>", b"250 ok"),
                     (b"RCPT TO:<c@d.example>", b"250 ok"),
                     (b"BDAT 18446744073709551615 LAST", b"521 syntax"),
                     (b"BDAT 9223372036854775807", b"250 ok")):
        c.send(True, cmd + b"\r\n")
        c.send(False, rep + b"\r\n")
    stream(c, True, b"x" * 100000)
    c.close()
    return normal(w, c.t, rng)


def overlap(w, t, rng, scale):
    c = Conn(w, t, client(6), 40005, SERVER, 25, rng)
    c.handshake()
    c.send(False, b"220 mx ESMTP\r\n")
    base = c.seq[True]
    c.frame(True, 0x18, b"EHLO first\r\n")
    c.seq[True] = base  # retransmit the same range with other bytes
    c.frame(True, 0x18, b"EHLO xxxxx\r\nNOOP\r\n")
    c.send(False, b"250 mx\r\n250 ok\r\n")
    c.close()
    return normal(w, c.t, rng)


def ooostorm(w, t, rng, scale):
    """Segments far ahead of a hole that is never filled: the reassembly
    buffer cap must hold, then the hole becomes a gap."""
    c = Conn(w, t, client(7), 40006, SERVER, 25, rng)
    c.handshake()
    c.send(False, b"220 mx ESMTP\r\n")
    c.send(True, b"EHLO x\r\n")
    c.send(False, b"250 mx\r\n")
    hole = c.seq[True]
    c.seq[True] += 1000
    n = int(4000 * scale) or 1
    for i in range(n):
        c.frame(True, 0x10, b"N" * 1400)
        c.tick(0.00001)
    c.seq[True] = hole + 1000 + 1400 * n
    c.close()
    return normal(w, c.t, rng)


def garbage(w, t, rng, scale):
    for port, n in ((25, 0), (110, 1)):
        c = Conn(w, t, client(8 + n), 40007 + n, SERVER, port, rng)
        c.handshake()
        blob = bytes(rng.randrange(256) for _ in range(int(200000 * scale) or 1))
        stream(c, True, blob)
        stream(c, False, blob[::-1])
        c.close()
        t = c.t
    return normal(w, t, rng)


def reversed_roles(w, t, rng, scale):
    c = Conn(w, t, client(10), 40009, SERVER, 25, rng)
    c.handshake()
    c.send(True, b"220 I am the client but I speak like a server\r\n")
    c.send(False, b"EHLO server\r\n")
    c.send(True, b"250-hello\r\n250 PIPELINING\r\n")
    c.send(False, b"MAIL FROM:<x@y>\r\n")
    c.close()
    return normal(w, c.t, rng)


CASES = {
    "synflood": synflood, "idleflows": idleflows, "longline": longline,
    "pipeline": pipeline, "rcpt": rcpt, "mimebomb": mimebomb,
    "bdathuge": bdathuge, "overlap": overlap, "ooostorm": ooostorm,
    "garbage": garbage, "reversed": reversed_roles,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("case", choices=sorted(CASES))
    ap.add_argument("-o", "--out", required=True)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    with open(a.out, "wb") as f:
        w = PcapWriter(f)
        CASES[a.case](w, 1795000000.0, rng, a.scale)
    print("%s: %s, %.1f MB" % (a.out, a.case, w.bytes / 1e6), file=sys.stderr)


if __name__ == "__main__":
    main()
