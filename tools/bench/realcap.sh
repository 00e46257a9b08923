#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# realcap.sh BUILD OUT.pcap [MB] - a capture made by real mail software,
# independent of tools/gen_mailcap.py, for the benchmarks' cross-check:
# swaks sends mail to postfix (plain, AUTH PLAIN and LOGIN with dovecot
# SASL, pipelined; base64 attachments of 20 kB to 1 MB), curl retrieves
# mailboxes from dovecot-pop3d (LIST, RETR of every message), all recorded
# by tcpdump on the server's veth (GRO on, as on a real host) in network
# namespaces the script creates and removes. About MB megabytes (default
# 100). Prints "N sessions".
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$(realpath -m "$2")
mb=${3:-100}
. "$top/tests/e2e/lib.sh" "$1"
. "$top/tests/e2e/mailservers.sh"
set -e
for c in postfix swaks dovecot curl tcpdump; do
	command -v $c >/dev/null || { echo "realcap: $c missing" >&2; exit 77; }
done
netns_setup
# mailboxes for the POP3 side: a few messages each, with attachments
python3 - "$WORK" <<'PY'
import base64, os, sys
w = sys.argv[1]
for i in range(6):
    blob = os.urandom(40000 * (i + 1))
    with open(f"{w}/pop{i}.eml", "w") as f:
        f.write(f"From: Sender <s{i}@example.org>\nTo: bob@mail.test\n"
                f"Subject: report {i}\nMIME-Version: 1.0\n"
                "Content-Type: multipart/mixed; boundary=\"BB\"\n\n"
                "--BB\nContent-Type: text/plain\n\nsee attached\n.dot line\n"
                "--BB\nContent-Type: application/octet-stream; name=\"r.bin\"\n"
                "Content-Transfer-Encoding: base64\n\n")
        f.write(base64.encodebytes(blob).decode() + "--BB--\n")
PY
for u in bob carol dave erin; do
	mbox_add "$WORK" $u secret "$WORK"/pop*.eml
done
dovecot_start "$NS_S" "$WORK" $S || fail "dovecot"
CLEANUPS+=("dovecot_stop $NS_S $WORK")
postfix_start "$NS_S" "$WORK" $S 10.77.0.0/24 || fail "postfix"
CLEANUPS+=("postfix_stop $NS_S $WORK")
for k in 20 100 300 1000; do
	head -c $((k * 1000)) /dev/urandom >"$WORK/a$k.bin"
done
# not through in_s: $! must be tcpdump itself (ip netns exec execs it)
ip netns exec "$NS_S" tcpdump -i "$VS" -s 0 -U -w "$out" \
	'tcp port 25 or tcp port 110' >/dev/null 2>&1 &
dump=$!
CLEANUPS+=("kill $dump")
sleep 1
n=0
sz() { stat -c %s "$out" 2>/dev/null || echo 0; }
while [ "$(sz)" -lt $((mb * 1000000)) ]; do
	for k in 20 100 300 1000; do
		case $((n % 4)) in
		0) a=() ;;
		1) a=(--auth PLAIN --auth-user bob --auth-password secret) ;;
		2) a=(--auth LOGIN --auth-user bob --auth-password secret --pipeline) ;;
		3) a=(--pipeline) ;;
		esac
		in_c swaks --server $S --from alice@a.test --to bob@mail.test \
			--header "Subject: bench $n" --attach "$WORK/a$k.bin" "${a[@]}" \
			>/dev/null 2>&1 || true
		n=$((n + 1))
	done
	for u in bob carol dave erin; do
		in_c curl -s -m 30 pop3://$S/ -u $u:secret >/dev/null 2>&1 || true
		for m in 1 2 3 4 5 6; do
			in_c curl -s -m 30 pop3://$S/$m -u $u:secret -o /dev/null || true
		done
		n=$((n + 7))
	done
done
sleep 1
kill -INT $dump
wait $dump 2>/dev/null || true
echo "$n sessions"
