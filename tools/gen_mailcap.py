#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""gen_mailcap.py - write a realistic SMTP + POP3 capture (pcap).

Sessions are complete TCP conversations (handshake, MSS-sized segments,
ACKs, FIN) between private addresses: SMTP with multi-line greetings and
EHLO replies, AUTH PLAIN/LOGIN, pipelining, multipart mail with base64
attachments and dot-stuffing; POP3 with USER/PASS, STAT, LIST, UIDL, RETR,
DELE. Deterministic for a given --seed. Used by `make demo` (small) and
`make bench` (hundreds of MB).

  gen_mailcap.py -o out.pcap [--smtp N] [--pop3 N] [--size MB] [--seed S]
"""
import argparse
import base64
import random
import struct
import sys

MSS = 1460


class PcapWriter:
    def __init__(self, f):
        self.f = f
        self.bytes = 0
        # pcap, microsecond timestamps, Ethernet
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))

    def packet(self, ts, frame):
        sec = int(ts)
        usec = int(round((ts - sec) * 1e6))
        if usec >= 1000000:
            sec, usec = sec + 1, usec - 1000000
        self.f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
        self.f.write(frame)
        self.bytes += 16 + len(frame)


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


class Conn:
    """One TCP connection; writes frames for both directions."""

    CMAC = b"\x02\x00\x00\x00\x00\x01"
    SMAC = b"\x02\x00\x00\x00\x00\x02"

    def __init__(self, w, t, cip, cport, sip, sport, rng):
        self.w, self.t, self.rng = w, t, rng
        self.ep = {True: (cip, cport), False: (sip, sport)}
        self.seq = {True: rng.randrange(1 << 32), False: rng.randrange(1 << 32)}
        self.ipid = rng.randrange(65536)

    def frame(self, is_orig, flags, payload=b""):
        (src, sp), (dst, dp) = self.ep[is_orig], self.ep[not is_orig]
        ack = self.seq[not is_orig] if flags & 0x10 else 0
        tcp = struct.pack("!HHIIBBHHH", sp, dp, self.seq[is_orig] & 0xFFFFFFFF,
                          ack & 0xFFFFFFFF, 5 << 4, flags, 65535, 0, 0)
        self.ipid = (self.ipid + 1) & 0xFFFF
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload),
                         self.ipid, 0x4000, 64, 6, 0, src, dst)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        eth = (self.SMAC + self.CMAC if is_orig else self.CMAC + self.SMAC) + b"\x08\x00"
        self.w.packet(self.t, eth + ip + tcp + payload)
        self.seq[is_orig] += len(payload) + (1 if flags & 0x03 else 0)

    def tick(self, dt):
        self.t += dt

    def handshake(self):
        self.frame(True, 0x02)
        self.tick(0.0002)
        self.frame(False, 0x12)
        self.tick(0.0002)
        self.frame(True, 0x10)
        self.tick(0.0005)

    def send(self, is_orig, data):
        """Send data in MSS segments; the peer ACKs every other segment."""
        n = 0
        for off in range(0, len(data), MSS):
            self.frame(is_orig, 0x18 if off + MSS >= len(data) else 0x10,
                       data[off:off + MSS])
            n += 1
            self.tick(0.00002)
            if n % 2 == 0:
                self.frame(not is_orig, 0x10)
        self.tick(0.0003)

    def close(self):
        self.frame(True, 0x11)
        self.tick(0.0002)
        self.frame(False, 0x11)
        self.tick(0.0002)
        self.frame(True, 0x10)


WORDS = ("mail relay queue invoice meeting report budget draft schedule "
         "review project update quarterly notes agenda summary server "
         "network policy account access request approved pending").split()


def text_lines(rng, n):
    out = []
    for _ in range(n):
        line = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(4, 14)))
        if rng.random() < 0.03:
            line = "." + line  # needs dot-stuffing on the wire
        out.append(line.capitalize())
    return out


def make_message(rng, i, sender, rcpts, attach_size):
    boundary = "----=_Part_%d_%08x" % (i, rng.randrange(1 << 32))
    date = "Tue, 24 Nov 2026 %02d:%02d:%02d +0000" % (i // 3600 % 24, i // 60 % 60, i % 60)
    hdr = [
        "Received: from client%d.example.net (client%d.example.net [10.0.%d.%d])" %
        (i, i, i // 250 % 250, i % 250 + 1),
        "\tby mx.example.org (Postfix) with ESMTPSA id %08X;" % rng.randrange(1 << 32),
        "\t" + date,
        "Received: from [192.168.%d.%d] (unknown [192.168.%d.%d])" % (i % 200, i % 250 + 1, i % 200, i % 250 + 1),
        "\tby client%d.example.net; %s" % (i, date),
        "From: \"Sender %d\" <%s>" % (i, sender),
        "To: " + ", ".join("<%s>" % r for r in rcpts[:2]),
    ]
    if len(rcpts) > 2:
        hdr.append("Cc: " + ", ".join(rcpts[2:]))
    hdr += [
        "Subject: %s %s #%d" % (rng.choice(WORDS).capitalize(), rng.choice(WORDS), i),
        "Date: " + date,
        "Message-ID: <%d.%08x@example.net>" % (i, rng.randrange(1 << 32)),
        "X-Mailer: gen_mailcap 1.0",
        "MIME-Version: 1.0",
        "Content-Type: multipart/mixed;",
        "\tboundary=\"%s\"" % boundary,
        "",
        "This is a multi-part message in MIME format.",
        "",
        "--" + boundary,
        "Content-Type: text/plain; charset=us-ascii",
        "Content-Transfer-Encoding: 7bit",
        "",
    ]
    body = text_lines(rng, rng.randrange(5, 40))
    lines = hdr + body
    if attach_size:
        blob = rng.randbytes(attach_size) if hasattr(rng, "randbytes") else \
            bytes(rng.randrange(256) for _ in range(attach_size))
        b64 = base64.encodebytes(blob).decode().splitlines()
        lines += ["", "--" + boundary,
                  "Content-Type: application/octet-stream; name=\"file%d.bin\"" % i,
                  "Content-Transfer-Encoding: base64",
                  "Content-Disposition: attachment; filename=\"file%d.bin\"" % i,
                  ""] + b64
    lines += ["--" + boundary + "--", ""]
    return lines


def smtp_session(w, t, rng, i, attach_size):
    cip = bytes([10, 0, i // 250 % 250, i % 250 + 1])
    c = Conn(w, t, cip, 1024 + rng.randrange(60000), bytes([10, 1, 0, 25]),
             rng.choice((25, 25, 587)), rng)
    c.handshake()
    c.send(False, b"220-mx.example.org ESMTP Postfix\r\n220 no UCE\r\n")
    c.send(True, b"EHLO client%d.example.net\r\n" % i)
    c.send(False, b"250-mx.example.org\r\n250-PIPELINING\r\n250-SIZE 52428800\r\n"
           b"250-AUTH PLAIN LOGIN\r\n250-8BITMIME\r\n250 CHUNKING\r\n")
    user = b"user%d" % i
    if i % 3 == 0:
        blob = base64.b64encode(b"\0" + user + b"\0secret%d" % i)
        c.send(True, b"AUTH PLAIN " + blob + b"\r\n")
        c.send(False, b"235 2.7.0 Authentication successful\r\n")
    elif i % 3 == 1:
        c.send(True, b"AUTH LOGIN\r\n")
        c.send(False, b"334 VXNlcm5hbWU6\r\n")
        c.send(True, base64.b64encode(user) + b"\r\n")
        c.send(False, b"334 UGFzc3dvcmQ6\r\n")
        c.send(True, base64.b64encode(b"secret%d" % i) + b"\r\n")
        c.send(False, b"235 2.7.0 Authentication successful\r\n")
    sender = "user%d@example.net" % i
    rcpts = ["rcpt%d@example.org" % (i * 7 % 1000 + k) for k in range(rng.randrange(1, 5))]
    msg = make_message(rng, i, sender, rcpts, attach_size)
    wire = b"".join((("." + l) if l.startswith(".") else l).encode() + b"\r\n" for l in msg)
    if i % 2 == 0:  # pipelined envelope
        env = b"MAIL FROM:<%s>\r\n" % sender.encode() + \
            b"".join(b"RCPT TO:<%s>\r\n" % r.encode() for r in rcpts) + b"DATA\r\n"
        c.send(True, env)
        c.send(False, b"250 2.1.0 Ok\r\n" + b"250 2.1.5 Ok\r\n" * len(rcpts) +
               b"354 End data with <CR><LF>.<CR><LF>\r\n")
    else:
        c.send(True, b"MAIL FROM:<%s>\r\n" % sender.encode())
        c.send(False, b"250 2.1.0 Ok\r\n")
        for r in rcpts:
            c.send(True, b"RCPT TO:<%s>\r\n" % r.encode())
            c.send(False, b"250 2.1.5 Ok\r\n")
        c.send(True, b"DATA\r\n")
        c.send(False, b"354 End data with <CR><LF>.<CR><LF>\r\n")
    c.send(True, wire + b".\r\n")
    c.send(False, b"250 2.0.0 Ok: queued as %08X\r\n" % rng.randrange(1 << 32))
    c.send(True, b"QUIT\r\n")
    c.send(False, b"221 2.0.0 Bye\r\n")
    c.close()
    return c.t


def pop3_session(w, t, rng, i, attach_size):
    cip = bytes([10, 2, i // 250 % 250, i % 250 + 1])
    c = Conn(w, t, cip, 1024 + rng.randrange(60000), bytes([10, 1, 0, 110]), 110, rng)
    c.handshake()
    c.send(False, b"+OK Dovecot ready.\r\n")
    c.send(True, b"CAPA\r\n")
    c.send(False, b"+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nUSER\r\nSASL PLAIN LOGIN\r\n.\r\n")
    c.send(True, b"USER mbox%d\r\n" % i)
    c.send(False, b"+OK\r\n")
    c.send(True, b"PASS hunter%d\r\n" % i)
    if i % 10 == 9:
        c.send(False, b"-ERR [AUTH] Authentication failed.\r\n")
        c.send(True, b"QUIT\r\n")
        c.send(False, b"+OK Logging out\r\n")
        c.close()
        return c.t
    c.send(False, b"+OK Logged in.\r\n")
    c.send(True, b"STAT\r\n")
    c.send(False, b"+OK 2 %d\r\n" % (attach_size * 2 + 4000))
    c.send(True, b"LIST\r\n")
    c.send(False, b"+OK 2 messages:\r\n1 %d\r\n2 1200\r\n.\r\n" % (attach_size + 3000))
    c.send(True, b"UIDL\r\n")
    c.send(False, b"+OK\r\n1 %08x\r\n2 %08x\r\n.\r\n" % (rng.randrange(1 << 32), rng.randrange(1 << 32)))
    msg = make_message(rng, 100000 + i, "sender%d@example.org" % i, ["mbox%d@example.net" % i], attach_size)
    wire = b"".join((("." + l) if l.startswith(".") else l).encode() + b"\r\n" for l in msg)
    c.send(True, b"RETR 1\r\n")
    c.send(False, b"+OK %d octets\r\n" % len(wire) + wire + b".\r\n")
    c.send(True, b"DELE 1\r\n")
    c.send(False, b"+OK Marked to be deleted.\r\n")
    c.send(True, b"QUIT\r\n")
    c.send(False, b"+OK Logging out, messages deleted.\r\n")
    c.close()
    return c.t


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", "--out", required=True)
    ap.add_argument("--smtp", type=int, default=20, help="SMTP sessions (per round)")
    ap.add_argument("--pop3", type=int, default=10, help="POP3 sessions (per round)")
    ap.add_argument("--attach", type=int, default=30000, help="attachment bytes")
    ap.add_argument("--size", type=float, default=0, help="repeat rounds until this many MB")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    t = 1795000000.0
    with open(a.out, "wb") as f:
        w = PcapWriter(f)
        i = 0
        while True:
            for _ in range(a.smtp):
                t = smtp_session(w, t, rng, i, rng.randrange(a.attach // 2, a.attach * 3 // 2 + 1) if i % 4 else 0) + 0.001
                i += 1
            for k in range(a.pop3):
                t = pop3_session(w, t, rng, i + k, a.attach) + 0.001
            i += a.pop3
            if w.bytes >= a.size * 1e6:
                break
    print("%s: %d sessions, %.1f MB" % (a.out, i, w.bytes / 1e6), file=sys.stderr)


if __name__ == "__main__":
    main()
