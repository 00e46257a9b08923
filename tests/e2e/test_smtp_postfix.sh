#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# test_smtp_postfix.sh - a real postfix (with dovecot SASL and STARTTLS) in
# the server namespace, swaks in the client namespace: plain mail with CC
# and Received headers and an attachment, AUTH PLAIN and LOGIN, pipelining,
# STARTTLS. Checks the events, smtp.log, files.log (the attachment's
# sha256 equals the file sent) and the kernel bypass after STARTTLS.
. "$(dirname "$0")/lib.sh"
. "$HERE/mailservers.sh"
command -v postfix >/dev/null && command -v swaks >/dev/null || skip "postfix or swaks missing"
netns_setup
printf 'Subject: hi\n\nbody\n' >"$WORK/m1.eml"
mbox_add "$WORK" bob secret "$WORK/m1.eml"
dovecot_start "$NS_S" "$WORK" $S || fail "dovecot"
CLEANUPS+=("dovecot_stop $NS_S $WORK")
postfix_start "$NS_S" "$WORK" $S 10.77.0.0/24 || fail "postfix"
CLEANUPS+=("postfix_stop $NS_S $WORK")
head -c 20000 /dev/urandom >"$WORK/attach.bin"
start_mailtapd
sw() { in_c swaks --server $S --from alice@a.test --to bob@mail.test "$@" >>"$WORK/swaks.out" 2>&1 || true; }
sw --header "Cc: Carol <carol@mail.test>, dave@mail.test" \
	--header "Received: from relay.a.test (relay.a.test [192.0.2.9]) by x" \
	--header "Subject: with attachment" --attach "$WORK/attach.bin"
sw --auth PLAIN --auth-user bob --auth-password secret --header "Subject: auth plain"
sw --auth LOGIN --auth-user bob --auth-password secret --pipeline --header "Subject: pipelined"
sw --tls --header "Subject: over tls"
sleep 1
# the TLS session's unseen payload is bypassed, not a content gap
"$BUILD/mailtap" -s "$WORK/mailtap.sock" -j stats >"$WORK/stats.json" || fail "stats"
python3 - "$WORK/stats.json" <<'PY' || fail "bypassed bytes counted as gaps: $(cat "$WORK/stats.json")"
import json, sys
f = json.load(open(sys.argv[1]))["flows"]
assert f["gap_bytes"] == 0 and f["bypassed"] >= 1 and f["bypassed_bytes"] > 0, f
PY
stop_mailtapd
sum=$(sha256sum "$WORK/attach.bin" | cut -d' ' -f1)
check_events \
	"seq:smtp_reply,smtp_request,smtp_reply,smtp_request,smtp_reply" \
	"has:smtp_request:command=AUTH,arg=~PLAIN <redacted>" \
	"has:smtp_request:command=**,arg=<redacted>" \
	"has:smtp_reply:cmd=AUTH_ANSWER,code=235" \
	"has:smtp_starttls" \
	"has:smtp_data:data=Subject: with attachment" \
	"has:mime_one_header:h.name=CC" \
	"log:smtp:subject=with attachment,cc=Carol <carol@mail.test>|dave@mail.test,rcptto=bob@mail.test,first_received=~relay.a.test,path=~192.0.2.9" \
	"log:smtp:subject=auth plain,last_reply=~250 2.0.0 Ok: queued" \
	"log:smtp:subject=pipelined" \
	"log:smtp:tls=T,last_reply=~220" \
	"logrows:smtp:4" \
	"log:files:sha256=$sum,source=SMTP" \
	"nosecret:c2VjcmV0" "nosecret:AGJvYgBzZWNyZXQ="
# the kernel stopped sending the encrypted bytes of the TLS session
grep -q "kernel:.* [1-9][0-9]* bypassed" "$WORK/mailtapd.out" ||
	fail "no bypassed bytes after STARTTLS: $(grep kernel: "$WORK/mailtapd.out")"
echo "postfix/swaks: 4 sessions analyzed, attachment sha256 $sum, TLS bypassed in the kernel"
