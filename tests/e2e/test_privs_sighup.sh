#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# test_privs_sighup.sh - after start the daemon runs as an unprivileged
# user with exactly CAP_BPF; SIGHUP after renaming the logs gives new files
# and no row is lost; interfaces deleted and recreated are captured again;
# `make install DESTDIR=` produces the expected tree.
. "$(dirname "$0")/lib.sh"
netns_setup
chmod 0777 "$WORK"
mkdir -m 0777 -p "$WORK/logs"
printf 'smtp-ports = 25\nlog-passwords = no\n' >"$WORK/mailtapd.conf"
start_mailtapd -u nobody --pid-file "$WORK/mailtapd.pid" -c "$WORK/mailtapd.conf"
st=/proc/$MT_PID/status
uid=$(awk '/^Uid:/ {print $3}' "$st")
capeff=$(awk '/^CapEff:/ {print $2}' "$st")
[ "$uid" != 0 ] || fail "still root: $(grep -E '^(Uid|Cap)' "$st")"
# CAP_BPF (39) for map updates, CAP_NET_ADMIN (12) to re-attach interfaces
[ "$capeff" = 0000008000001000 ] || fail "CapEff $capeff, want CAP_BPF+CAP_NET_ADMIN"
echo "privileges: uid $uid, CapEff $capeff (CAP_BPF + CAP_NET_ADMIN only)"

session() { # one SMTP transaction that makes an smtp.log row
	in_s timeout 10 python3 -c '
import socket; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("'$S'",25)); s.listen(1); c,_=s.accept(); f=c.makefile("rb"); c.sendall(b"220 mx\r\n")
for r in (b"250 a", b"250 b", b"250 c"): f.readline(); c.sendall(r + b"\r\n")
c.close()' &
	local sp=$!
	sleep 0.3
	in_c timeout 10 python3 -c '
import socket; s=socket.create_connection(("'$S'",25)); f=s.makefile("rb"); f.readline()
for cmd in (b"EHLO x", b"MAIL FROM:<'$1'@a.test>", b"RCPT TO:<b@b.test>"): s.sendall(cmd + b"\r\n"); f.readline()
s.close()'
	wait $sp
	sleep 1.5
}
session first
mv "$WORK/logs/smtp.log" "$WORK/logs/smtp.log.1"
printf 'smtp-ports = 25,2527\nlog-passwords = no\n' >"$WORK/mailtapd.conf"
kill -HUP "$MT_PID"
sleep 0.5
"$BUILD/mailtap" -s "$WORK/mailtap.sock" -j port | grep -q 2527 ||
	fail "SIGHUP did not reread the ports: $("$BUILD/mailtap" -s "$WORK/mailtap.sock" -j port)"
session second
# the interface goes away and comes back
ip -n "$NS_S" link del "$VS"
sleep 1.5
ip link add "$VC" type veth peer name "$VS"
ip link set "$VC" netns "$NS_C"
ip link set "$VS" netns "$NS_S"
ip -n "$NS_C" addr add $C/24 dev "$VC" 2>/dev/null
ip -n "$NS_S" addr add $S/24 dev "$VS"
ip -n "$NS_C" link set "$VC" up
ip -n "$NS_S" link set "$VS" up
sleep 2.5
stop_mailtapd
grep -q "attached again" "$WORK/mailtapd.out" || fail "the recreated interface was not attached again"
grep -q "first@a.test" "$WORK/logs/smtp.log.1" || fail "first row not in the renamed file"
grep -q "^#close" "$WORK/logs/smtp.log.1" || fail "renamed file not closed"
grep -q "second@a.test" "$WORK/logs/smtp.log" || fail "second row not in the new file"
grep -q "^#fields" "$WORK/logs/smtp.log" || fail "new file has no header"
[ ! -e "$WORK/mailtapd.pid" ] || fail "pid file left behind"
echo "SIGHUP: renamed log closed, new log with header, no row lost; interface re-attached"

# make install DESTDIR=...
make -s -C "$TOP" install DESTDIR="$WORK/root" PREFIX=/usr BUILD="$BUILD" >/dev/null || fail "make install"
for f in usr/sbin/mailtapd usr/bin/mailtap usr/share/man/man8/mailtapd.8 usr/share/man/man8/mailtap.8 \
	usr/share/bash-completion/completions/mailtap etc/mailtap/mailtapd.conf \
	lib/systemd/system/mailtapd.service etc/logrotate.d/mailtap; do
	[ -e "$WORK/root/$f" ] || fail "install: $f missing"
done
if command -v systemd-analyze >/dev/null; then
	systemd-analyze verify "$WORK/root/lib/systemd/system/mailtapd.service" 2>&1 | grep -v "ExecStart" | grep -i error && fail "unit file"
fi
echo "install: tree complete"
