#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# test_max_data.sh - --max-data-bytes: a 2 MB body is analyzed up to the
# limit, the kernel skips the rest (its '.' included), the reply to the
# end of data closes the transaction, and the next transaction on the
# same connection is analyzed normally: no content gap, both rows logged.
. "$(dirname "$0")/lib.sh"
netns_setup
start_mailtapd --max-data-bytes 10000
cat >"$WORK/smtp.py" <<'PY'
import socket, sys
role, host = sys.argv[1], sys.argv[2]
if role == "server":
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, 25)); s.listen(1); c, _ = s.accept(); f = c.makefile("rb")
    c.sendall(b"220 mx\r\n")
    while True:
        line = f.readline()
        if not line: break
        v = line[:4].upper()
        if v == b"DATA":
            c.sendall(b"354 go\r\n")
            while f.readline() not in (b".\r\n", b""): pass
            c.sendall(b"250 queued\r\n")
        elif v == b"QUIT":
            c.sendall(b"221 bye\r\n"); break
        else:
            c.sendall(b"250 ok\r\n")
    c.close()
else:
    c = socket.create_connection((host, 25)); f = c.makefile("rb"); f.readline()
    c.sendall(b"EHLO client\r\n"); f.readline()
    import time
    big = b"".join(b"body line %07d with some words in it\r\n" % i for i in range(50000))
    for n, body in (("big", big), ("small", b"short body\r\n")):
        for cmd in (b"MAIL FROM:<%s@a.test>" % n.encode(), b"RCPT TO:<b@b.test>", b"DATA"):
            c.sendall(cmd + b"\r\n"); f.readline()
        data = b"Subject: " + n.encode() + b"\r\n\r\n" + body + b".\r\n"
        # in 64 KiB pieces a few ms apart, like a real client on a real
        # link: the daemon gets to ask the kernel to skip the rest
        for i in range(0, len(data), 65536):
            c.sendall(data[i:i + 65536]); time.sleep(0.005)
        f.readline()
    c.sendall(b"QUIT\r\n"); f.readline(); c.close()
PY
in_s timeout 30 python3 "$WORK/smtp.py" server $S &
sp=$!
sleep 0.3
in_c timeout 30 python3 "$WORK/smtp.py" client $S
wait $sp
sleep 1.5
read -r skipped gaps < <("$BUILD/mailtap" -s "$WORK/mailtap.sock" -j stats |
	python3 -c 'import json,sys; f=json.load(sys.stdin)["flows"]; print(f["skipped_bytes"], f["gap_bytes"])')
# the requested skip is not a content gap
[ "$gaps" = 0 ] || fail "skipped body counted as $gaps gap bytes"
stop_mailtapd
check_events \
	"has:weird:name=smtp_data_truncated,addl=10000" \
	"has:smtp_reply:cmd=.,msg=queued" \
	"none:smtp_unexpected" \
	"log:smtp:mailfrom=big@a.test,subject=big,last_reply=250 queued" \
	"log:smtp:mailfrom=small@a.test,subject=small,trans_depth=2" \
	"logrows:smtp:2"
bypassed=$(sed -n 's/.* \([0-9]*\) bypassed.*/\1/p' "$WORK/mailtapd.out")
echo "kernel skipped $bypassed body bytes, the flow swallowed $skipped as requested"
[ "${bypassed:-0}" -gt 1000000 ] || fail "the kernel did not skip the body: $(grep kernel: "$WORK/mailtapd.out")"
