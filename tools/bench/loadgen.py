# SPDX-License-Identifier: BSD-3-Clause
"""loadgen.py - what the load generators share: addresses, a listening
socket with a thread per connection, and client threads that run sessions
for a time and count them."""
import os
import socket
import threading
import time

# seconds each client thread rests between sessions (LOAD_PAUSE=0: none)
PAUSE = float(os.environ.get("LOAD_PAUSE", "0"))


def hostport(s, default_port):
    """"HOST[:PORT]" -> (host, port)."""
    host, _, port = s.partition(":")
    return host, int(port or default_port)


def listen(addr, default_port):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(hostport(addr, default_port))
    ls.listen(512)
    return ls


def serve_threads(ls, session):
    """Accept forever; session(conn) runs in a thread of its own, and the
    connection is closed when it returns or fails."""
    def run(c):
        try:
            session(c)
        except OSError:  # ssl.SSLError is one too
            pass
        finally:
            c.close()

    while True:
        c, _ = ls.accept()
        threading.Thread(target=run, args=(c,), daemon=True).start()


def run_clients(seconds, threads, session):
    """THREADS threads call session(k) (k = thread number) until SECONDS
    have passed; it returns the bytes it counts for the session. Prints
    "sessions bytes" at the end."""
    end = time.time() + seconds
    count = [0, 0]
    lock = threading.Lock()

    def worker(k):
        while time.time() < end:
            try:
                n = session(k)
                with lock:
                    count[0] += 1
                    count[1] += n
                time.sleep(PAUSE)
            except OSError:
                time.sleep(0.01)

    ts = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print(count[0], count[1])
