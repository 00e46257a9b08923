#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# live.sh BUILD WORK - the live benchmarks, over a veth pair between two
# namespaces:
#  * an SMTP load captured in tc mode, socket mode and with libpcap
#    (--pcap-live): sessions/s, drops, gaps, CPU per GB (the daemon; the
#    daemon plus softirq; the whole machine), and subscriber latency
#    (packet to event) in tc mode;
#  * tc and libpcap again without file hashes (what capture itself costs);
#  * a STARTTLS load captured in tc mode with the kernel bypass on and off
#    (--set tls-bypass=no): CPU per GB of encrypted sessions.
#   LIVE_SECONDS=10 LIVE_THREADS=8 LIVE_MSG=100000 LIVE_MODES="tc socket pcap"
#   LIVE_ARGS="..." (more mailtapd options)  LIVE_TLS=1
#   LIVE_NICE=-5 (the daemon's nice value, as tools/dist/mailtapd.service
#   runs it; every capture mode gets the same)
#   LIVE_TLS_MSG=1000000
#   LIVE_NOHASH=1 (tc and libpcap again with --file-hashes none)
set -u
build=$(cd "$1" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)
secs=${LIVE_SECONDS:-10} threads=${LIVE_THREADS:-8} msg=${LIVE_MSG:-100000}
load=$top/tools/bench/smtpload.py
. "$top/tests/e2e/lib.sh" "$build"
netns_setup
# Some 30000 sessions a run leave their client ports in TIME_WAIT for a
# minute: with the default 28000 ephemeral ports, the later runs (the
# STARTTLS ones) could not connect at all on a quiet machine.
in_c sysctl -qw net.ipv4.ip_local_port_range="1024 65535" net.ipv4.tcp_tw_reuse=1
fig() { printf '%-58s %s\n' "$1" "$2"; }
per_gb() { echo "scale=2; $1 / $2" | bc 2>/dev/null || echo -; }
cpu_busy() { awk '/^cpu / {print $2+$3+$4+$7+$8, $8}' /proc/stat; }

latency_subscriber() { # SOCKET: prints "p50_ms p99_ms n" when the daemon ends
	python3 - "$1" <<'PY'
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
}

# measure LABEL CLIENT_KIND MAILTAPD_ARGS...: one run; sets $per_mt,
# $per_sirq, $per_busy (CPU seconds per GB) for the caller.
measure() {
	local label=$1 kind=$2 lat="" sessions bytes busy0 sirq0 busy1 sirq1
	local dcpu0 stats cpu sirq busy drops gaps gb bypass wake0 wakes
	shift 2
	rm -rf "$WORK/logs"
	mkdir -p "$WORK/logs"
	ip netns exec "$NS_S" nice -n "${LIVE_NICE:--5}" "$build/mailtapd" "$@" \
		${LIVE_ARGS:-} -L "$WORK/logs" -S "$WORK/mailtap.sock" -v \
		>"$WORK/mailtapd.out" 2>&1 &
	MT_PID=$!
	for _ in $(seq 100); do grep -q "capturing" "$WORK/mailtapd.out" && break; sleep 0.1; done
	if [ "$label" = tc ]; then
		latency_subscriber "$WORK/mailtap.sock" >"$WORK/latency" &
		lat=$!
	fi
	# machine-wide busy and softirq seconds (the kernel's side of any
	# capture runs in softirq, billed to whichever task was interrupted)
	read -r busy0 sirq0 < <(cpu_busy)
	dcpu0=$(awk '{print $14 + $15}' /proc/$MT_PID/stat)
	wake0=$(awk '/^voluntary_ctxt_switches/ {print $2}' /proc/$MT_PID/status)
	read -r sessions bytes < <(in_c python3 "$load" "$kind" $S "$secs" "$threads" "$msg")
	sleep 1
	read -r busy1 sirq1 < <(cpu_busy)
	stats=$("$build/mailtap" -s "$WORK/mailtap.sock" -j stats)
	cpu=$(awk -v c0="$dcpu0" '{print ($14 + $15 - c0) / 100}' /proc/$MT_PID/stat)
	wakes=$(awk -v w0="$wake0" -v s="$secs" '/^voluntary_ctxt_switches/ {printf "%.0f", ($2 - w0) / (s + 1)}' /proc/$MT_PID/status)
	sirq=$(echo "scale=2; ($sirq1 - $sirq0) / 100" | bc)
	busy=$(echo "scale=2; ($busy1 - $busy0) / 100" | bc)
	kill -INT $MT_PID
	wait $MT_PID
	MT_PID=
	[ -n "$lat" ] && wait $lat
	drops=$(python3 -c 'import json,sys; s=json.loads(sys.argv[1]); print(s.get("bpf",{}).get("ring_full",0))' "$stats")
	case "$*" in *--pcap-live*) drops=$(sed -n 's/.*packets, \([0-9]*\) dropped.*/\1/p' "$WORK/mailtapd.out") ;; esac
	gaps=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["flows"]["gap_bytes"])' "$stats")
	bypass=$(python3 -c 'import json,sys; s=json.loads(sys.argv[1]); print(s.get("bpf",{}).get("bypass_bytes",0))' "$stats")
	gb=$(echo "scale=6; $bytes / 1000000000" | bc)
	[ "${sessions:-0}" -gt 0 ] || echo "live.sh: $label: the load generator completed no session" >&2
	per_mt=$(per_gb "$cpu" "$gb")
	per_sirq=$(per_gb "($cpu + $sirq)" "$gb")
	per_busy=$(per_gb "$busy" "$gb")
	fig "live $label: sessions/s ($threads clients, ${msg} B mails)" "$(echo "scale=1; $sessions / $secs" | bc)"
	fig "live $label: ring/pcap drops, content gap bytes" "${drops:-?} drops, $gaps gap bytes"
	[ "$kind" = tls-client ] && fig "live $label: payload bytes bypassed in the kernel" "$bypass"
	fig "live $label: daemon CPU seconds per GB" "$per_mt (user+sys $cpu s for $gb GB of mail)"
	fig "live $label: daemon wakeups per second" "$wakes"
	fig "live $label: daemon + softirq CPU seconds per GB" "$per_sirq (softirq $sirq s, all CPUs)"
	fig "live $label: whole machine busy CPU seconds per GB" "$per_busy (generator and sink included)"
	if [ -n "$lat" ]; then
		read -r p50 p99 n <"$WORK/latency"
		fig "live $label: packet-to-subscriber latency p50 / p99" "$p50 ms / $p99 ms ($n events)"
	fi
}

ip netns exec "$NS_S" python3 "$load" server $S &
srv=$!
sleep 0.5
for mode in ${LIVE_MODES:-tc socket pcap}; do
	case $mode in
	pcap) measure pcap client --pcap-live "$VS" ;;
	*) measure "$mode" client -i "$VS" -a "$mode" ;;
	esac
	eval "mt_$mode=\$per_mt sirq_$mode=\$per_sirq busy_$mode=\$per_busy"
done
# The same two paths without file hashes: MD5+SHA1+SHA256 are about two
# thirds of the daemon's time either way, and hide what capture costs.
nohash=""
if [ "${LIVE_NOHASH:-1}" = 1 ]; then
	measure "tc, no file hashes" client -i "$VS" -a tc --file-hashes none
	nh_mt_tc=$per_mt nh_sirq_tc=$per_sirq
	measure "pcap, no file hashes" client --pcap-live "$VS" --file-hashes none
	nh_mt_pcap=$per_mt nh_sirq_pcap=$per_sirq
fi
kill $srv 2>/dev/null
wait $srv 2>/dev/null
r_mt=$(per_gb "${mt_tc:-0}" "${mt_pcap:-1}")
r_sirq=$(per_gb "${sirq_tc:-0}" "${sirq_pcap:-1}")
r_busy=$(per_gb "${busy_tc:-0}" "${busy_pcap:-1}")
fig "ratio live CPU/GB tc / libpcap: daemon" "$r_mt"
fig "ratio live CPU/GB tc / libpcap: daemon + softirq" "$r_sirq"
fig "ratio live CPU/GB tc / libpcap: whole machine" "$r_busy"
if [ "${LIVE_NOHASH:-1}" = 1 ]; then
	nh_mt=$(per_gb "${nh_mt_tc:-0}" "${nh_mt_pcap:-1}")
	nh_sirq=$(per_gb "${nh_sirq_tc:-0}" "${nh_sirq_pcap:-1}")
	fig "ratio live CPU/GB tc / libpcap, no file hashes: daemon" "$nh_mt"
	fig "ratio live CPU/GB tc / libpcap, no file hashes: daemon + softirq" "$nh_sirq"
	nohash=", no hashes daemon $nh_mt, +softirq $nh_sirq"
fi

tls=""
if [ "${LIVE_TLS:-1}" = 1 ]; then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-subj /CN=bench.test -days 1 \
		-keyout "$WORK/key.pem" -out "$WORK/cert.pem" >/dev/null 2>&1
	sleep 1 # the plain server's port
	ip netns exec "$NS_S" python3 "$load" tls-server $S "$WORK/cert.pem" "$WORK/key.pem" &
	srv=$!
	sleep 0.5
	msg=${LIVE_TLS_MSG:-1000000} # a few large mails: TLS handshakes are costly
	measure "tc STARTTLS, bypass on" tls-client -i "$VS" -a tc
	on_sirq=$per_sirq on_busy=$per_busy
	measure "tc STARTTLS, bypass off" tls-client -i "$VS" -a tc --set tls-bypass=no
	off_sirq=$per_sirq off_busy=$per_busy
	kill $srv 2>/dev/null
	fig "STARTTLS daemon + softirq CPU/GB, bypass on / off" "$on_sirq / $off_sirq"
	fig "STARTTLS whole machine CPU/GB, bypass on / off" "$on_busy / $off_busy"
	tls=", STARTTLS bypass on/off CPU/GB $on_sirq/$off_sirq"
fi
echo "live: tc/libpcap CPU per GB daemon $r_mt, +softirq $r_sirq, machine $r_busy$nohash$tls"
