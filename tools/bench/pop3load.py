#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""pop3load.py - a POP3 load generator and server for the soak run.

  pop3load.py server HOST[:PORT]
      answer POP3 (default port 110) until killed: any USER/PASS logs in,
      the mailbox holds one MIME message with a base64 attachment.
  pop3load.py client HOST[:PORT] SECONDS THREADS
      run sessions (USER, PASS, STAT, LIST, UIDL, RETR 1, DELE 1, QUIT) as
      fast as THREADS connections allow for SECONDS; prints "sessions
      bytes" at the end (bytes: the messages retrieved).
"""
import base64
import socket
import sys

from loadgen import hostport, listen, run_clients, serve_threads


def message():
    att = base64.encodebytes(bytes(range(256)) * 40).replace(b"\n", b"\r\n")
    return (b"From: pop@load.test\r\nTo: user@load.test\r\nSubject: pop3 load\r\n"
            b"MIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
            b"--b1\r\nContent-Type: text/plain\r\n\r\nhello from the soak\r\n"
            b"--b1\r\nContent-Type: application/octet-stream\r\n"
            b"Content-Transfer-Encoding: base64\r\n"
            b"Content-Disposition: attachment; filename=\"load.bin\"\r\n\r\n"
            + att + b"--b1--\r\n")


def server(addr):
    msg = message()

    def session(c):
        c.sendall(b"+OK load POP3 ready\r\n")
        for line in c.makefile("rb"):
            verb = line[:4].upper()
            if verb == b"QUIT":
                c.sendall(b"+OK bye\r\n")
                break
            if verb == b"STAT":
                c.sendall(b"+OK 1 %d\r\n" % len(msg))
            elif verb == b"LIST":
                c.sendall(b"+OK 1 messages\r\n1 %d\r\n.\r\n" % len(msg))
            elif verb == b"UIDL":
                c.sendall(b"+OK\r\n1 load-1\r\n.\r\n")
            elif verb == b"RETR":
                c.sendall(b"+OK %d octets\r\n" % len(msg) + msg + b".\r\n")
            else:
                c.sendall(b"+OK\r\n")

    serve_threads(listen(addr, 110), session)


def client(addr, seconds, threads):
    def multi(f):
        n = 0
        while True:
            line = f.readline()
            if not line or line == b".\r\n":
                return n
            n += len(line)

    def session(k):
        with socket.create_connection(hostport(addr, 110)) as s:
            f = s.makefile("rb")
            f.readline()
            for cmd in (b"USER load%d" % k, b"PASS secret", b"STAT"):
                s.sendall(cmd + b"\r\n")
                f.readline()
            got = 0
            for cmd in (b"LIST", b"UIDL", b"RETR 1"):
                s.sendall(cmd + b"\r\n")
                f.readline()
                got = multi(f)
            for cmd in (b"DELE 1", b"QUIT"):
                s.sendall(cmd + b"\r\n")
                f.readline()
            return got

    run_clients(seconds, threads, session)


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(sys.argv[2])
    else:
        client(sys.argv[2], float(sys.argv[3]), int(sys.argv[4]))
