#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# test_ringfull.sh - a tiny ring and a big transfer: records are dropped,
# the drops are counted, surface as 'lost' events and as gaps, and the
# daemon keeps running (it still captures the next connection whole).
. "$(dirname "$0")/lib.sh"
netns_setup
head -c 16777216 /dev/urandom >"$WORK/big"
printf 'EHLO after.example\r\nQUIT\r\n' >"$WORK/small"
mkdir -p "$WORK/ds"
start_mailtapd --ring-size 8192 --dump-streams "$WORK/ds"
send() {
	in_s timeout 60 python3 -c '
import socket,sys
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1],25)); s.listen(1); c,_=s.accept()
while c.recv(1<<20): pass' $S &
	local sp=$!
	sleep 0.3
	in_c timeout 60 python3 -c '
import socket,sys
s=socket.create_connection((sys.argv[1],25)); s.sendall(open(sys.argv[2],"rb").read()); s.close()' $S "$1"
	wait $sp
}
send "$WORK/big"
sleep 1.5
kill -0 "$MT_PID" || fail "mailtapd died"
send "$WORK/small"
stop_mailtapd
grep -q '"event":"lost","source":"ring"\|"event":"lost",' "$WORK/events.json" || fail "no lost event"
drops=$(sed -n 's/.* \([0-9]*\) ring full.*/\1/p' "$WORK/mailtapd.out")
[ "${drops:-0}" -gt 0 ] || fail "no ring-full drops counted: $(cat "$WORK/mailtapd.out")"
python3 - "$WORK/ds" "$WORK/big" <<'PY' || fail "gaps do not account for the drops"
import glob, json, os, sys
metas = [json.load(open(m)) for m in glob.glob(sys.argv[1] + "/*.meta")]
big = os.path.getsize(sys.argv[2])
b = [m for m in metas if m["orig"]["bytes"] + m["orig"]["gap_bytes"] > 1000000]
s = [m for m in metas if m["orig"]["bytes"] == 26]
assert b, "the big connection is missing"
m = b[0]["orig"]
print("big: %d bytes delivered, %d in gaps" % (m["bytes"], m["gap_bytes"]))
# +1: when the FIN's own record is dropped, the ACK of the FIN covers its
# sequence number too and the gap ends one byte later
assert m["gap_bytes"] > 0 and m["bytes"] + m["gap_bytes"] in (big, big + 1), m
assert s and s[0]["orig"]["gap_bytes"] == 0, "the next connection was not captured whole"
PY
echo "ring full: $drops records dropped, counted, lost events and gaps; capture went on"
