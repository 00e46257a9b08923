#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""smtpload.py - an SMTP load generator and sink for the live benchmark.

  smtpload.py server HOST            answer SMTP on HOST:25 until killed
  smtpload.py client HOST SECONDS THREADS MSG_BYTES
      run sessions as fast as THREADS connections allow for SECONDS;
      prints "sessions bytes" at the end.
"""
import selectors
import socket
import sys
import threading
import time


def server(host):
    sel = selectors.DefaultSelector()
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, 25))
    ls.listen(512)
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


def client(host, seconds, threads, size):
    body = b"".join(b"line %d of the benchmark message, some text to carry\r\n" % i
                    for i in range(size // 56 + 1))[:size]
    msg = b"From: a@bench.test\r\nTo: b@bench.test\r\nSubject: bench\r\n\r\n" + body + b"\r\n.\r\n"
    end = time.time() + seconds
    count = [0]
    lock = threading.Lock()

    def worker():
        while time.time() < end:
            try:
                s = socket.create_connection((host, 25))
                f = s.makefile("rb")
                f.readline()
                for cmd in (b"EHLO load", b"MAIL FROM:<a@bench.test>", b"RCPT TO:<b@bench.test>", b"DATA"):
                    s.sendall(cmd + b"\r\n")
                    f.readline()
                s.sendall(msg)
                f.readline()
                s.sendall(b"QUIT\r\n")
                f.readline()
                s.close()
                with lock:
                    count[0] += 1
            except OSError:
                time.sleep(0.01)

    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print(count[0], count[0] * len(msg))


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(sys.argv[2])
    else:
        client(sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
