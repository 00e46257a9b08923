#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# test_socket_cli.sh - the Unix socket and the CLI against a live daemon:
# three subscribers with different filters, one of which stops reading
# (the others and the logs get everything; it gets a 'lost' count equal to
# what it missed); every CLI command in human and JSON form; prefix
# matching and errors; `port add` changing what is captured, live.
. "$(dirname "$0")/lib.sh"
netns_setup
start_mailtapd
SOCK=$WORK/mailtap.sock
M() { "$BUILD/mailtap" -s "$SOCK" "$@"; }

# --- subscribers ----------------------------------------------------------
cat >"$WORK/sub.py" <<'PY'
import json, socket, sys, time
path, name, flt, stall = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4] == "1"
s = socket.socket(socket.AF_UNIX)
if stall: s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(path)
f = s.makefile("rb")
f.readline()  # hello
flt.update({"cmd": "subscribe", "id": 1})
s.sendall(json.dumps(flt).encode() + b"\n")
assert b'"ok":true' in f.readline()
open(name + ".ready", "w").close()
if stall:  # stop reading until told to go on
    import os
    while not os.path.exists(name + ".go"):
        time.sleep(0.1)
s.settimeout(3)
n, lost = 0, 0
try:
    for line in f:
        e = json.loads(line)
        if e["event"] == "lost" and e.get("source") == "subscriber":
            lost += e["count"]
        else:
            n += 1
except socket.timeout:
    pass
open(name + ".result", "w").write("%d %d\n" % (n, lost))
PY
python3 "$WORK/sub.py" "$SOCK" "$WORK/a" '{"events":["smtp_*"]}' 0 &
python3 "$WORK/sub.py" "$SOCK" "$WORK/b" '{"events":["log"]}' 0 &
python3 "$WORK/sub.py" "$SOCK" "$WORK/c" '{"events":["*"]}' 1 &
for _ in $(seq 50); do [ -e "$WORK/a.ready" ] && [ -e "$WORK/b.ready" ] && [ -e "$WORK/c.ready" ] && break; sleep 0.1; done

# --- traffic: an SMTP session with a long mail (many smtp_data events) ---
cat >"$WORK/smtp.py" <<'PY'
import socket, sys, threading
role, host = sys.argv[1], sys.argv[2]
if role == "server":
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, 25)); s.listen(1); c, _ = s.accept(); f = c.makefile("rb")
    c.sendall(b"220 mx\r\n")
    for reply in (b"250 mx", b"250 ok", b"250 ok", b"354 go"):
        f.readline(); c.sendall(reply + b"\r\n")
    while f.readline() not in (b".\r\n", b""):
        pass
    c.sendall(b"250 queued\r\n"); f.readline(); c.sendall(b"221 bye\r\n"); c.close()
else:
    c = socket.create_connection((host, 25)); f = c.makefile("rb"); f.readline()
    for cmd in (b"EHLO x", b"MAIL FROM:<a@b.test>", b"RCPT TO:<c@d.test>", b"DATA"):
        c.sendall(cmd + b"\r\n"); f.readline()
    body = b"".join(b"line %06d of a long and boring message\r\n" % i for i in range(15000))
    c.sendall(b"Subject: long\r\n\r\n" + body + b".\r\n"); f.readline()
    c.sendall(b"QUIT\r\n"); f.readline(); c.close()
PY
in_s timeout 60 python3 "$WORK/smtp.py" server $S &
sp=$!
sleep 0.3
in_c timeout 60 python3 "$WORK/smtp.py" client $S
wait $sp
sleep 2
touch "$WORK/c.go"
for _ in $(seq 100); do [ -e "$WORK/a.result" ] && [ -e "$WORK/b.result" ] && [ -e "$WORK/c.result" ] && break; sleep 0.2; done

# --- CLI ---------------------------------------------------------------------
for cmd in "status" "stats show" "flow list" "port show" "prog show"; do
	M $cmd >"$WORK/out.txt" 2>&1 || fail "mailtap $cmd: $(cat "$WORK/out.txt")"
	M -j $cmd | python3 -m json.tool >/dev/null || fail "mailtap -j $cmd: not JSON"
done
M statu >/dev/null || fail "prefix 'statu' should be status"
M fl li >/dev/null || fail "prefixes 'fl li' should be flow list"
M st >/dev/null 2>"$WORK/err.txt" && fail "'st' should be ambiguous"
grep -q "ambiguous command 'st': status, stats" "$WORK/err.txt" || fail "ambiguity message: $(cat "$WORK/err.txt")"
M -j nosuch 2>/dev/null | python3 -m json.tool >/dev/null || fail "JSON error output"
M nosuch >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown object should exit 2"
M flow show CNOSUCH >/dev/null 2>&1 && fail "unknown uid should fail"

# port add: a new port is captured at once
M port add 2525 smtp >/dev/null || fail "port add"
M -j port | grep -q 2525 || fail "port 2525 not listed"
in_s timeout 10 python3 -c '
import socket; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("'$S'",2525)); s.listen(1); c,_=s.accept(); c.sendall(b"220 alt port\r\n"); c.recv(100); c.close()' &
sp=$!
sleep 0.3
in_c timeout 10 python3 -c '
import socket; s=socket.create_connection(("'$S'",2525)); s.recv(100); s.sendall(b"HELO p2525\r\n"); s.close()'
wait $sp
M port del 2525 >/dev/null || fail "port del"
stop_mailtapd

# --- what each subscriber got ---------------------------------------------
read -r an al <"$WORK/a.result"
read -r bn bl <"$WORK/b.result"
read -r cn cl <"$WORK/c.result"
want_a=$(grep -c '"event":"smtp_' "$WORK/events.json")
echo "subscriber A (smtp_*): $an events (file has $want_a before the 2525 session), lost $al"
echo "subscriber B (log): $bn events, lost $bl"
echo "subscriber C (*, stalled): $cn events + lost $cl"
[ "$al" = 0 ] && [ "$bl" = 0 ] || fail "a reading subscriber lost events"
[ "$cl" -gt 0 ] || fail "the stalled subscriber lost nothing (queue never filled?)"
total_before=$(python3 - "$WORK/events.json" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("id", {}).get("resp_p") == 2525: break
    n += 1
print(n)
PY
)
[ $((cn + cl)) -ge "$total_before" ] || fail "stalled: $cn + lost $cl < $total_before events"
[ "$an" -ge $((want_a - 3)) ] || fail "subscriber A missed events: $an of $want_a"
check_events "has:smtp_request:command=HELO,arg=p2525" "has:smtp_reply:msg=alt port"
echo "socket/CLI: filters, isolation and lost counts hold; every CLI command works in both modes"
