#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# soak.sh BUILD [MINUTES] - a long live run (issue 10): continuous SMTP
# load over a veth pair (plain and STARTTLS-free pipelined sessions),
# subscribers connecting and disconnecting, SIGHUP every minute with the
# logs renamed; samples the daemon's RSS and open fds every 10 s and at
# the end reconciles smtp.log rows with the sessions the generator
# completed. Prints the samples and a verdict.
set -u
build=$(cd "${1:-build}" && pwd)
minutes=${2:-30}
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/e2e/lib.sh" "$build"
netns_setup
in_s python3 "$top/tools/bench/smtpload.py" server $S &
sleep 0.5
NO_EVENTS=1 start_mailtapd
end=$(( $(date +%s) + minutes * 60 ))
in_c python3 "$top/tools/bench/smtpload.py" client $S $((minutes * 60)) 4 20000 >"$WORK/load.out" &
load=$!
echo "# t_s rss_kib fds"
n=0
while [ "$(date +%s)" -lt "$end" ]; do
	sleep 10
	n=$((n + 1))
	rss=$(awk '/^VmRSS/ {print $2}' /proc/$MT_PID/status)
	fds=$(ls /proc/$MT_PID/fd | wc -l)
	echo "$((n * 10)) $rss $fds"
	# a subscriber that comes and goes
	timeout 3 "$build/mailtap" -s "$WORK/mailtap.sock" event watch --count 50 >/dev/null 2>&1 &
	if [ $((n % 6)) -eq 0 ]; then
		for f in "$WORK"/logs/*.log; do mv "$f" "$f.$n"; done
		kill -HUP "$MT_PID"
	fi
done
wait $load
stop_mailtapd
read -r sessions bytes <"$WORK/load.out"
rows=$(cat "$WORK"/logs/smtp.log* | grep -vc '^#')
echo "sessions completed by the generator: $sessions; smtp.log rows: $rows"
[ "$rows" -ge "$sessions" ] && echo "soak: no row lost" || echo "soak: ROWS MISSING"
