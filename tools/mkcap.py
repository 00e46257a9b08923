#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# mkcap.py - write small test captures (no scapy): an SMTP-like exchange
# with chosen link type, IP version, segment order, retransmissions and
# sequence numbers near 2^32.
#   mkcap.py OUT.pcap [--link eth|vlan|qinq|sll|sll2|raw|null|loop]
#            [--v6] [--ooo] [--rexmit] [--wrap] [--drop] [--snap N]
#            [--seed N]
#   mkcap.py --big OUT.pcap IN.pcap MBYTES   repeat IN with shifted ports/times
import argparse, random, struct

LT = {'eth': 1, 'vlan': 1, 'qinq': 1, 'sll': 113, 'sll2': 276, 'raw': 101,
      'null': 0, 'loop': 108}

def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def tcp(sp, dp, seq, ack, flags, data):
    return struct.pack('!HHIIBBHHH', sp, dp, seq & 0xffffffff,
                       ack & 0xffffffff, 5 << 4, flags, 65535, 0, 0) + data

def ip(v6, src, dst, l4):
    if v6:
        # with a hop-by-hop and a destination options header
        hbh = bytes([60, 0]) + b'\x01\x04\0\0\0\0'
        dst_o = bytes([6, 0]) + b'\x01\x04\0\0\0\0'
        ext = hbh + dst_o
        return struct.pack('!IHBB', 6 << 28, len(ext) + len(l4), 0, 64) + \
            src + dst + ext + l4
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(l4), 0, 0x4000, 64,
                    6, 0, src, dst)
    h = h[:10] + struct.pack('!H', csum(h)) + h[12:]
    return h + l4

def link(kind, v6, pkt):
    et = 0x86dd if v6 else 0x0800
    mac = b'\x02\0\0\0\0\x01\x02\0\0\0\0\x02'
    if kind == 'eth':
        return mac + struct.pack('!H', et) + pkt
    if kind == 'vlan':
        return mac + struct.pack('!HHH', 0x8100, 42, et) + pkt
    if kind == 'qinq':
        return mac + struct.pack('!HHHHH', 0x88a8, 7, 0x8100, 42, et) + pkt
    if kind == 'sll':
        return struct.pack('!HHH8sH', 0, 1, 6, b'\x02' * 6 + b'\0\0',
                           et) + pkt
    if kind == 'sll2':
        return struct.pack('!HHIHBB8s', et, 0, 3, 1, 0, 6,
                           b'\x02' * 6 + b'\0\0') + pkt
    if kind == 'raw':
        return pkt
    if kind == 'null':
        return struct.pack('<I', 30 if v6 else 2) + pkt
    if kind == 'loop':
        return struct.pack('!I', 30 if v6 else 2) + pkt
    raise SystemExit('bad link')

def write_pcap(path, lt, pkts):
    with open(path, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, lt))
        for ts, p, wire in pkts:
            sec = int(ts)
            f.write(struct.pack('<IIII', sec, int((ts - sec) * 1e6),
                                len(p), wire))
            f.write(p)

def conversation(a):
    rnd = random.Random(a.seed)
    if a.v6:
        c = bytes.fromhex('20010db8000000000000000000000001')
        s = bytes.fromhex('20010db8000000000000000000000002')
    else:
        c, s = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
    cp, sp = 40000 + a.seed, 25
    ci = 0xffffff00 if a.wrap else rnd.getrandbits(32)
    si = 0xfffffff0 if a.wrap else rnd.getrandbits(32)
    segs = []  # (from_client, flags, seq, ack, data)
    segs.append((True, 0x02, ci, 0, b''))
    segs.append((False, 0x12, si, ci + 1, b''))
    segs.append((True, 0x10, ci + 1, si + 1, b''))
    cs, ss = ci + 1, si + 1
    script = [(False, b'220 mx.example ESMTP\r\n'),
              (True, b'EHLO client.example\r\n'),
              (False, b'250-mx.example\r\n250 PIPELINING\r\n'),
              (True, b'MAIL FROM:<a@example>\r\n'),
              (False, b'250 ok\r\n'),
              (True, b'RCPT TO:<b@example>\r\n'),
              (False, b'250 ok\r\n'),
              (True, b'DATA\r\n'),
              (False, b'354 go ahead\r\n')]
    body = b''.join(b'Line %04d of the message body, padding text.\r\n' % i
                    for i in range(200)) + b'.\r\n'
    script.append((True, body))
    script += [(False, b'250 queued\r\n'), (True, b'QUIT\r\n'),
               (False, b'221 bye\r\n')]
    for frm, data in script:
        # split into segments of random size
        burst = []
        while data:
            n = rnd.randint(1, 700)
            chunk, data = data[:n], data[n:]
            if frm:
                burst.append((True, 0x18, cs, ss, chunk))
                cs += len(chunk)
            else:
                burst.append((False, 0x18, ss, cs, chunk))
                ss += len(chunk)
        if a.ooo and len(burst) > 1:
            rnd.shuffle(burst)
        if a.rexmit and burst:
            burst.append(burst[0])
            b = burst[-2]
            if len(b[4]) > 4:  # partial overlap retransmission
                burst.append((b[0], b[1], b[2] + 2, b[3], b[4][2:]))
        segs += burst
        segs.append((not frm, 0x10, ss if frm else cs, cs if frm else ss,
                     b''))
    segs.append((True, 0x11, cs, ss, b''))
    segs.append((False, 0x11, ss, cs + 1, b''))
    segs.append((True, 0x10, cs + 1, ss + 1, b''))
    if a.drop:
        # lose the middle data segment of the client's body (its ACK
        # still comes: the bytes are a gap)
        big_segs = [i for i, x in enumerate(segs) if x[0] and len(x[4]) > 100]
        del segs[big_segs[len(big_segs) // 2]]
    pkts, t = [], 1700000000.0 + a.seed
    for frm, fl, seq, ack, data in segs:
        src, dst = (c, s) if frm else (s, c)
        p1, p2 = (cp, sp) if frm else (sp, cp)
        pkt = ip(a.v6, src, dst, tcp(p1, p2, seq, ack, fl, data))
        fr = link(a.link, a.v6, pkt)
        pkts.append((t, fr[:a.snap] if a.snap else fr, len(fr)))
        t += 0.001
    write_pcap(a.out, LT[a.link], pkts)

def big(out, src, mbytes):
    # Repeat a pcap (Ethernet/IPv4 only) with shifted client ports and
    # times until OUT reaches MBYTES MiB.
    data = open(src, 'rb').read()
    hdr, body = data[:24], data[24:]
    recs, off = [], 0
    while off + 16 <= len(body):
        sec, usec, cl, ln = struct.unpack('<IIII', body[off:off + 16])
        recs.append((sec, usec, body[off + 16:off + 16 + cl]))
        off += 16 + cl
    with open(out, 'wb') as f:
        f.write(hdr)
        size, rep, npkt = 24, 0, 0
        while size < mbytes << 20:
            port_add = rep % 20000
            for sec, usec, p in recs:
                p = bytearray(p)
                if len(p) >= 38 and p[12:14] == b'\x08\x00':
                    ihl = (p[14] & 15) * 4
                    o = 14 + ihl
                    sp, dp = struct.unpack('!HH', p[o:o + 4])
                    if dp in (25, 587, 110):
                        sp = 1024 + (sp + port_add) % 60000
                    elif sp in (25, 587, 110):
                        dp = 1024 + (dp + port_add) % 60000
                    p[o:o + 4] = struct.pack('!HH', sp, dp)
                # monotonic synthetic times, 10 ms apart (flows that never close
                # then expire at the 300 s idle timeout as they would live)
                tus = npkt * 10000
                npkt += 1
                rec = struct.pack('<IIII', 1600000000 + tus // 1000000,
                                  tus % 1000000, len(p), len(p)) + bytes(p)
                f.write(rec)
                size += len(rec)
            rep += 1

ap = argparse.ArgumentParser()
ap.add_argument('out')
ap.add_argument('--link', default='eth', choices=LT)
ap.add_argument('--v6', action='store_true')
ap.add_argument('--ooo', action='store_true')
ap.add_argument('--rexmit', action='store_true')
ap.add_argument('--wrap', action='store_true')
ap.add_argument('--seed', type=int, default=1)
ap.add_argument('--drop', action='store_true', help='lose one segment')
ap.add_argument('--snap', type=int, default=0, help='snap length')
ap.add_argument('--big', nargs=2, metavar=('IN', 'MBYTES'))
a = ap.parse_args()
if a.big:
    big(a.out, a.big[0], int(a.big[1]))
else:
    conversation(a)
