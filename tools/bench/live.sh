#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# live.sh BUILD WORK - the live benchmarks: an SMTP load over a veth pair
# between two namespaces, captured in tc mode, socket mode and with
# libpcap (--pcap-live); sessions/s, drops, gaps and the daemon's CPU per
# GB captured; subscriber latency (packet to event) in tc mode.
#   LIVE_SECONDS=10 LIVE_THREADS=8 LIVE_MSG=100000
set -u
build=$(cd "$1" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)
secs=${LIVE_SECONDS:-10} threads=${LIVE_THREADS:-8} msg=${LIVE_MSG:-100000}
. "$top/tests/e2e/lib.sh" "$build"
netns_setup
in_s python3 "$top/tools/bench/smtpload.py" server $S &
sleep 0.5
fig() { printf '%-58s %s\n' "$1" "$2"; }
summary=""
for mode in tc socket pcap; do
	case $mode in
	pcap) args=(--pcap-live "$VS") ;;
	*) args=(-i "$VS" -a $mode) ;;
	esac
	rm -rf "$WORK/logs"
	mkdir -p "$WORK/logs"
	ip netns exec "$NS_S" "$build/mailtapd" "${args[@]}" -L "$WORK/logs" \
		-S "$WORK/mailtap.sock" -v >"$WORK/mailtapd.$mode.out" 2>&1 &
	MT_PID=$!
	for _ in $(seq 100); do grep -q "capturing" "$WORK/mailtapd.$mode.out" && break; sleep 0.1; done
	lat=""
	if [ $mode = tc ]; then
		python3 - "$WORK/mailtap.sock" >"$WORK/latency" <<'PY' &
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rb"); f.readline()
s.sendall(b'{"id":1,"cmd":"subscribe","events":["smtp_request"]}\n'); f.readline()
s.settimeout(30); d = []
try:
    for line in f:
        e = json.loads(line)
        if e["event"] == "smtp_request":
            d.append(time.time() - e["ts"])
except Exception:
    pass
d.sort()
print("%.3f %.3f %d" % (1000 * d[len(d) // 2], 1000 * d[int(len(d) * 0.99)], len(d)) if d else "- - 0")
PY
		lat=$!
	fi
	softirq0=$(awk '/^softirq/ {s=0; for (i=2;i<=NF;i++) s+=$i; print s}' /proc/stat)
	read -r sessions bytes < <(in_c python3 "$top/tools/bench/smtpload.py" client $S "$secs" "$threads" "$msg")
	sleep 1
	stats=$("$build/mailtap" -s "$WORK/mailtap.sock" -j stats)
	cpu=$(awk '{print ($14 + $15) / 100}' /proc/$MT_PID/stat)
	kill -INT $MT_PID
	wait $MT_PID
	[ -n "$lat" ] && wait $lat
	drops=$(python3 -c 'import json,sys; s=json.loads(sys.argv[1]); print(s.get("bpf",{}).get("ring_full",0))' "$stats")
	[ $mode = pcap ] && drops=$(sed -n 's/.*packets, \([0-9]*\) dropped.*/\1/p' "$WORK/mailtapd.$mode.out")
	gaps=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["flows"]["gap_bytes"])' "$stats")
	gb=$(echo "scale=6; $bytes / 1000000000" | bc)
	per=$(echo "scale=2; $cpu / $gb" | bc 2>/dev/null || echo -)
	fig "live $mode: sessions/s ($threads clients, ${msg} B mails)" "$(echo "scale=1; $sessions / $secs" | bc)"
	fig "live $mode: ring/pcap drops, content gap bytes" "${drops:-?} drops, $gaps gap bytes"
	fig "live $mode: daemon CPU seconds per GB captured" "$per (user+sys $cpu s for $gb GB)"
	eval "cpu_$mode=$per"
	if [ -n "$lat" ]; then
		read -r p50 p99 n <"$WORK/latency"
		fig "live tc: packet-to-subscriber latency p50 / p99" "$p50 ms / $p99 ms ($n events)"
	fi
done
ratio=$(echo "scale=2; $cpu_tc / $cpu_pcap" | bc 2>/dev/null || echo -)
fig "ratio live CPU/GB tc / libpcap" "$ratio"
echo "live: tc/libpcap CPU per GB $ratio"
