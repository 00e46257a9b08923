#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# soak.sh BUILD [MINUTES] - a long live run (issue 10) over a veth pair:
# continuous mixed load - plain pipelined SMTP on port 25, STARTTLS SMTP
# on 587, POP3 with a MIME attachment on 110 - while subscribers connect
# and disconnect and, every minute, the logs are renamed and the daemon
# gets SIGHUP. Samples the daemon's RSS and open fds every 10 s; at the
# end reconciles smtp.log and pop3.log rows (all rotations) with the
# sessions the generators completed. Prints the samples and a verdict;
# exits non-zero if rows are missing, RSS grew after warm-up or fds leaked.
#   SOAK_SMTP_THREADS=3 SOAK_TLS_THREADS=1 SOAK_POP3_THREADS=2
#   SOAK_PAUSE=0.02 (seconds each client thread rests between sessions: a
#   steady load the daemon keeps up with, not the maximum rate)
set -u
build=$(cd "${1:-build}" && pwd)
minutes=${2:-30}
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/e2e/lib.sh" "$build"
netns_setup
secs=$((minutes * 60))
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-subj /CN=soak.test -days 2 -keyout "$WORK/key.pem" -out "$WORK/cert.pem" \
	>/dev/null 2>&1 || fail "openssl"
ip netns exec "$NS_S" python3 "$top/tools/bench/smtpload.py" server $S:25 &
CLEANUPS+=("kill $!")
ip netns exec "$NS_S" python3 "$top/tools/bench/smtpload.py" tls-server $S:587 \
	"$WORK/cert.pem" "$WORK/key.pem" &
CLEANUPS+=("kill $!")
ip netns exec "$NS_S" python3 "$top/tools/bench/pop3load.py" server $S:110 &
CLEANUPS+=("kill $!")
sleep 0.5
NO_EVENTS=1 start_mailtapd
LOAD_PAUSE=${SOAK_PAUSE:-0.02} ip netns exec "$NS_C" python3 "$top/tools/bench/smtpload.py" client $S:25 $secs \
	"${SOAK_SMTP_THREADS:-3}" 20000 >"$WORK/smtp.out" &
l1=$!
LOAD_PAUSE=${SOAK_PAUSE:-0.02} ip netns exec "$NS_C" python3 "$top/tools/bench/smtpload.py" tls-client $S:587 $secs \
	"${SOAK_TLS_THREADS:-1}" 20000 >"$WORK/tls.out" &
l2=$!
LOAD_PAUSE=${SOAK_PAUSE:-0.02} ip netns exec "$NS_C" python3 "$top/tools/bench/pop3load.py" client $S:110 $secs \
	"${SOAK_POP3_THREADS:-2}" >"$WORK/pop3.out" &
l3=$!
end=$(($(date +%s) + secs))
echo "# t_s rss_kib fds"
n=0
rss_warm=0 rss_max=0 fds_warm=0 fds_max=0
while [ "$(date +%s)" -lt "$end" ]; do
	sleep 10
	n=$((n + 1))
	rss=$(awk '/^VmRSS/ {print $2}' /proc/$MT_PID/status)
	fds=$(ls /proc/$MT_PID/fd | wc -l)
	echo "$((n * 10)) $rss $fds"
	# warm-up: the first two minutes
	if [ $n -eq 12 ]; then rss_warm=$rss fds_warm=$fds; fi
	if [ $n -gt 12 ]; then
		[ "$rss" -gt "$rss_max" ] && rss_max=$rss
		[ "$fds" -gt "$fds_max" ] && fds_max=$fds
	fi
	# subscribers that come and go: one for a few events, one that hangs
	# up at once, one that stays a while
	timeout 3 "$build/mailtap" -s "$WORK/mailtap.sock" event watch --count 50 >/dev/null 2>&1 &
	timeout 1 "$build/mailtap" -s "$WORK/mailtap.sock" event watch >/dev/null 2>&1 &
	timeout 8 "$build/mailtap" -s "$WORK/mailtap.sock" event watch --event 'pop3_*' -o json >/dev/null 2>&1 &
	if [ $((n % 6)) -eq 0 ]; then
		for f in "$WORK"/logs/*.log; do mv "$f" "$f.$n"; done
		kill -HUP "$MT_PID"
	fi
done
wait $l1 $l2 $l3
sleep 1
stop_mailtapd
read -r smtp _ <"$WORK/smtp.out"
read -r tls _ <"$WORK/tls.out"
read -r pop3 _ <"$WORK/pop3.out"
read -r smtp_rows tls_rows pop3_rows < <(python3 - "$WORK/logs" <<'PY'
import glob, sys
n = {"plain": 0, "tls": 0, "pop3": 0}
for path in glob.glob(sys.argv[1] + "/*.log*"):
    fields = []
    for line in open(path, errors="replace"):
        if line.startswith("#fields"):
            fields = line.rstrip("\n").split("\t")[1:]
        elif not line.startswith("#"):
            v = dict(zip(fields, line.rstrip("\n").split("\t")))
            if "/smtp.log" in path:
                n["tls" if v.get("tls") == "T" else "plain"] += 1
            elif "/pop3.log" in path:
                n["pop3"] += 1
print(n["plain"], n["tls"], n["pop3"])
PY
)
echo "generator: $smtp plain SMTP, $tls STARTTLS, $pop3 POP3 sessions completed"
echo "logs: $smtp_rows plain smtp.log rows, $tls_rows tls=T rows, $pop3_rows pop3.log rows, $((n / 6)) rotations"
echo "RSS after warm-up: $rss_warm KiB, then at most $rss_max KiB; fds $fds_warm, then at most $fds_max"
bad=0
[ "$smtp_rows" -ge "$smtp" ] && [ "$tls_rows" -ge "$tls" ] && [ "$pop3_rows" -ge "$pop3" ] ||
	{ echo "soak: ROWS MISSING"; bad=1; }
# growth: more than 10 % over the warm value is a leak
[ "$rss_warm" -eq 0 ] || [ "$rss_max" -le $((rss_warm + rss_warm / 10)) ] ||
	{ echo "soak: RSS GREW"; bad=1; }
[ "$fds_warm" -eq 0 ] || [ "$fds_max" -le $((fds_warm + 4)) ] ||
	{ echo "soak: FDS GREW"; bad=1; }
[ $bad -eq 0 ] && echo "soak: no row lost, RSS and fds flat"
exit $bad
