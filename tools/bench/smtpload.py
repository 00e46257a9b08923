#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""smtpload.py - an SMTP load generator and sink for the live benchmark.

  smtpload.py server HOST[:PORT]     answer SMTP on HOST:25 until killed
  smtpload.py client HOST[:PORT] SECONDS THREADS MSG_BYTES
      run sessions as fast as THREADS connections allow for SECONDS;
      prints "sessions bytes" at the end.
  smtpload.py tls-server HOST[:PORT] CERT KEY
  smtpload.py tls-client HOST[:PORT] SECONDS THREADS MSG_BYTES
      the same with STARTTLS: EHLO and STARTTLS in clear, the mail
      inside TLS (a thread per connection on the server side).
"""
import selectors
import socket
import ssl
import sys

from loadgen import hostport, listen, run_clients, serve_threads


def server(host):
    sel = selectors.DefaultSelector()
    ls = listen(host, 25)
    ls.setblocking(False)
    sel.register(ls, selectors.EVENT_READ, None)
    state = {}
    while True:
        for key, _ in sel.select():
            if key.data is None:
                c, _ = ls.accept()
                c.setblocking(False)
                c.sendall(b"220 bench ESMTP\r\n")
                state[c] = [b"", False]
                sel.register(c, selectors.EVENT_READ, 1)
                continue
            c = key.fileobj
            try:
                data = c.recv(1 << 20)
            except (BlockingIOError, ConnectionError):
                data = b""
            if not data:
                sel.unregister(c)
                c.close()
                state.pop(c, None)
                continue
            st = state[c]
            st[0] += data
            while True:
                if st[1]:  # in DATA: look for the end marker
                    i = st[0].find(b"\r\n.\r\n")
                    if i < 0:
                        st[0] = st[0][-4:]
                        break
                    st[0] = st[0][i + 5:]
                    st[1] = False
                    c.sendall(b"250 2.0.0 queued\r\n")
                    continue
                i = st[0].find(b"\r\n")
                if i < 0:
                    break
                line, st[0] = st[0][:i], st[0][i + 2:]
                verb = line[:4].upper()
                if verb == b"DATA":
                    st[1] = True
                    st[0] = b"\r\n" + st[0]
                    c.sendall(b"354 go\r\n")
                elif verb == b"QUIT":
                    c.sendall(b"221 bye\r\n")
                else:
                    c.sendall(b"250 ok\r\n")


def message(size):
    body = b"".join(b"line %d of the benchmark message, some text to carry\r\n" % i
                    for i in range(size // 56 + 1))[:size]
    return b"From: a@bench.test\r\nTo: b@bench.test\r\nSubject: bench\r\n\r\n" + body + b"\r\n.\r\n"


def reply(f):
    """Read one reply, multi-line or not."""
    while True:
        line = f.readline()
        if len(line) < 4 or line[3:4] != b"-":
            return line


def send_mail(s, f, msg):
    """EHLO to QUIT on a connected socket (f: its reader); returns the
    message's size."""
    for cmd in (b"EHLO load", b"MAIL FROM:<a@bench.test>", b"RCPT TO:<b@bench.test>", b"DATA"):
        s.sendall(cmd + b"\r\n")
        reply(f)
    s.sendall(msg)
    reply(f)
    s.sendall(b"QUIT\r\n")
    reply(f)
    return len(msg)


def client(host, seconds, threads, size):
    msg = message(size)

    def session(_):
        with socket.create_connection(hostport(host, 25)) as s:
            f = s.makefile("rb")
            reply(f)
            return send_mail(s, f, msg)

    run_clients(seconds, threads, session)


def smtp_loop(s, buf=b""):
    """Answer SMTP on a blocking socket until QUIT or EOF; returns True
    when the client asked for STARTTLS (answered, nothing read past it)."""
    in_data = False
    while True:
        if in_data:
            i = buf.find(b"\r\n.\r\n")
            if i < 0:
                buf = buf[-4:]
            else:
                buf = buf[i + 5:]
                in_data = False
                s.sendall(b"250 2.0.0 queued\r\n")
                continue
        else:
            i = buf.find(b"\r\n")
            if i >= 0:
                line, buf = buf[:i], buf[i + 2:]
                verb = line[:4].upper()
                if verb == b"DATA":
                    in_data = True
                    buf = b"\r\n" + buf
                    s.sendall(b"354 go\r\n")
                elif verb == b"QUIT":
                    s.sendall(b"221 bye\r\n")
                    return False
                elif verb == b"STAR":
                    s.sendall(b"220 ready to start TLS\r\n")
                    return True
                elif verb == b"EHLO":
                    s.sendall(b"250-bench\r\n250 STARTTLS\r\n")
                else:
                    s.sendall(b"250 ok\r\n")
                continue
        data = s.recv(1 << 20)
        if not data:
            return False
        buf += data


def tls_server(host, cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)

    def session(c):
        c.sendall(b"220 bench ESMTP\r\n")
        if smtp_loop(c):
            with ctx.wrap_socket(c, server_side=True) as t:
                smtp_loop(t)

    serve_threads(listen(host, 25), session)


def tls_client(host, seconds, threads, size):
    msg = message(size)
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE

    def session(_):
        with socket.create_connection(hostport(host, 25)) as s:
            f = s.makefile("rb")
            reply(f)
            s.sendall(b"EHLO load\r\n")
            reply(f)
            s.sendall(b"STARTTLS\r\n")
            reply(f)
            with ctx.wrap_socket(s) as t:
                return send_mail(t, t.makefile("rb"), msg)

    run_clients(seconds, threads, session)


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(sys.argv[2])
    elif sys.argv[1] == "tls-server":
        tls_server(sys.argv[2], sys.argv[3], sys.argv[4])
    elif sys.argv[1] == "tls-client":
        tls_client(sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    else:
        client(sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
