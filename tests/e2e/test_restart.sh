#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# test_restart.sh - SIGKILL leaves a stale filter; the next start replaces
# it (no duplicate) and captures; a clean stop leaves no mailtap filter or
# program, and never touches another tool's filter.
. "$(dirname "$0")/lib.sh"
netns_setup
# someone else's filter on the same device must survive everything
in_s tc qdisc add dev "$VS" clsact
in_s tc filter add dev "$VS" ingress prio 7 protocol ip u32 match ip dst 1.2.3.4/32
start_mailtapd
kill -KILL "$MT_PID"; wait "$MT_PID" 2>/dev/null; MT_PID=
n=$(in_s tc filter show dev "$VS" egress | grep -c mailtap)
[ "$n" -ge 1 ] || fail "expected the stale filter after SIGKILL"
start_mailtapd -a tc
grep -q "replacing a stale mailtap filter" "$WORK/mailtapd.out" || fail "stale filter not noticed"
[ "$(in_s tc filter show dev "$VS" egress | grep -c 'mailtap.*direct-action')" = 1 ] ||
	fail "duplicate filters: $(in_s tc filter show dev "$VS" egress)"
in_s timeout 10 python3 -c '
import socket; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("'$S'",25)); s.listen(1); c,_=s.accept(); c.sendall(b"220 ok\r\n"); c.recv(100); c.close()' &
sp=$!
sleep 0.3
in_c timeout 10 python3 -c '
import socket; s=socket.create_connection(("'$S'",25)); s.recv(100); s.sendall(b"QUIT\r\n"); s.close()'
wait $sp
ids=$("$BUILD/mailtap" -s "$WORK/mailtap.sock" -j prog show |
	python3 -c 'import json,sys; print(" ".join(str(p["id"]) for p in json.load(sys.stdin)["programs"]))')
[ -n "$ids" ] || fail "no program ids from mailtap status"
stop_mailtapd
grep -q '"command":"QUIT"' "$WORK/events.json" || fail "no capture after restart"
in_s tc filter show dev "$VS" ingress | grep -q mailtap && fail "mailtap filter left on ingress"
in_s tc filter show dev "$VS" egress | grep -q mailtap && fail "mailtap filter left on egress"
in_s tc filter show dev "$VS" ingress | grep -q "u32" || fail "another tool's filter was removed"
# our programs are freed after an RCU grace period: give it a moment
# (only ours: another mailtapd may be running on this host)
loaded() { for id in $ids; do bpftool prog show id "$id" >/dev/null 2>&1 && echo "$id"; done; }
for _ in $(seq 30); do [ -z "$(loaded)" ] && break; sleep 0.1; done
[ -z "$(loaded)" ] || fail "programs still loaded after stop: $(loaded)"
echo "restart: stale filter replaced once, capture works, clean stop leaves nothing of ours"
