#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# test_pop3_dovecot.sh - a real dovecot-pop3d with a delivered mailbox,
# curl as the client: LIST, RETR of a message with an attachment, STLS
# with --ssl-reqd, failed logins. Checks events, pop3.log, files.log (the
# attachment's sha256) and the POP3::Excessive_Errors notice.
. "$(dirname "$0")/lib.sh"
. "$HERE/mailservers.sh"
command -v dovecot >/dev/null || skip "dovecot missing"
netns_setup
head -c 30000 /dev/urandom >"$WORK/attach.bin"
sum=$(sha256sum "$WORK/attach.bin" | cut -d' ' -f1)
python3 - "$WORK/attach.bin" >"$WORK/m1.eml" <<'PY'
import base64, sys
blob = open(sys.argv[1], "rb").read()
print("From: Sender <sender@example.org>\nTo: bob@mail.test\nSubject: report\n"
      "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"BB\"\n\n"
      "--BB\nContent-Type: text/plain\n\nsee attached\n.leading dot line\n"
      "--BB\nContent-Type: application/octet-stream; name=\"report.bin\"\n"
      "Content-Transfer-Encoding: base64\n"
      "Content-Disposition: attachment; filename=\"report.bin\"\n")
print(base64.encodebytes(blob).decode() + "--BB--")
PY
mbox_add "$WORK" bob secret "$WORK/m1.eml"
dovecot_start "$NS_S" "$WORK" $S || fail "dovecot"
CLEANUPS+=("dovecot_stop $NS_S $WORK")
start_mailtapd
c() { in_c curl -s -m 20 "$@" >>"$WORK/curl.out" 2>&1; echo "curl $* -> $?" >>"$WORK/curl.out"; }
c pop3://$S/ -u bob:secret
c pop3://$S/1 -u bob:secret -o "$WORK/retr.eml"
c --ssl-reqd -k pop3://$S/ -u bob:secret
for i in 1 2 3 4; do c pop3://$S/ -u bob:wrong$i; done
sleep 1
stop_mailtapd
check_events \
	"has:pop3_request:command=LIST" \
	"has:pop3_request:command=RETR,arg=1" \
	"has:pop3_login_success:user=bob" \
	"has:pop3_login_failure:user=bob,password=<redacted>" \
	"has:pop3_starttls" \
	"has:mime_one_header:h.name=CONTENT-DISPOSITION" \
	"log:pop3:user=bob,login=success,retrieved=1,tls=F" \
	"log:pop3:tls=T" \
	"log:pop3:login=failure,password=-" \
	"logrows:pop3:7" \
	"log:files:sha256=$sum,source=POP3,filename=report.bin,is_orig=F" \
	"log:notice:note=POP3::Excessive_Errors" \
	"nosecret:wrong3"
echo "dovecot/curl: 7 sessions in pop3.log, attachment sha256 $sum, notice raised"
