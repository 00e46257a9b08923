#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# test_transfer.sh - random payloads from 1 B to 8 MiB over port 25, both
# ways, with large writes (GSO/GRO make 64 KiB skbs), captured in tc and in
# socket mode: the stream dump must equal what was sent, nothing lost.
. "$(dirname "$0")/lib.sh"
netns_setup

sizes="1 1000 65536 1048576 8388608"
for s in $sizes; do head -c "$s" /dev/urandom >"$WORK/p$s"; done

cat >"$WORK/peer.py" <<'PY'
import socket, sys, threading
role, host, size, path, out = sys.argv[1:6]
size = int(size)
data = open(path, "rb").read()
if role == "server":
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, 25)); s.listen(1); c, _ = s.accept()
else:
    c = socket.create_connection((host, 25))
# both sides send their payload in big writes while reading the peer's
got = []
def reader():
    while True:
        x = c.recv(1 << 20)
        if not x: break
        got.append(x)
t = threading.Thread(target=reader); t.start()
c.sendall(data)
c.shutdown(socket.SHUT_WR)
t.join()
open(out, "wb").write(b"".join(got))
c.close()
PY

for mode in tc socket; do
	rm -rf "$WORK/ds" "$WORK/logs" "$WORK/events.json"
	mkdir -p "$WORK/ds"
	# random bytes on port 25 make the SMTP analyzer raise an event per
	# "line": no event file here, this test is about capture
	# a ring that holds both 8 MiB directions even if the consumer is
	# descheduled: overflow has its own test (test_ringfull)
	NO_EVENTS=1 start_mailtapd -a $mode --ring-size 128M --dump-streams "$WORK/ds"
	for s in $sizes; do
		timeout 60 ip netns exec "$NS_S" python3 "$WORK/peer.py" server $S "$s" "$WORK/p$s" "$WORK/srv-got" &
		sp=$!
		sleep 0.3
		# the server sends the reversed-size payload so both ways differ
		timeout 60 ip netns exec "$NS_C" python3 "$WORK/peer.py" client $S "$s" "$WORK/p$s" "$WORK/cli-got"
		wait $sp
	done
	stop_mailtapd
	n=0
	for meta in "$WORK"/ds/*.meta; do
		uid=$(basename "$meta" .meta)
		osz=$(stat -c %s "$WORK/ds/$uid.orig")
		cmp -s "$WORK/ds/$uid.orig" "$WORK/p$osz" || fail "$mode: $uid orig ($osz bytes) differs from what was sent; $(grep kernel: "$WORK/mailtapd.out"); $(cat "$meta")"
		cmp -s "$WORK/ds/$uid.resp" "$WORK/p$osz" || fail "$mode: $uid resp differs"
		grep -q '"gap_bytes":0,"gaps":\[\]},"resp":{"bytes":[0-9]*,"packets":[0-9]*,"gap_bytes":0' "$meta" ||
			fail "$mode: $uid has gaps: $(cat "$meta")"
		n=$((n + 1))
	done
	[ $n -eq 5 ] || fail "$mode: $n connections dumped, want 5"
	grep -q "kernel:.* 0 ring full" "$WORK/mailtapd.out" ||
		fail "$mode: ring drops: $(grep kernel: "$WORK/mailtapd.out")"
	echo "$mode: 5 connections, 2 x $(echo $sizes | tr ' ' '+') bytes identical, no loss"
done
