#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# lib.sh - shared by the e2e tests: two network namespaces joined by a veth
# pair (client C=10.77.0.1 in $NS_C, server S=10.77.0.2 in $NS_S), mailtapd
# started in the server namespace, and a cleanup that runs even when a test
# fails. Traffic never leaves these namespaces.
set -u
BUILD=$(cd "${1:-build}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
ID=$$
NS_C=mtc$ID
NS_S=mts$ID
VC=vc$ID
VS=vs$ID
C=10.77.0.1
S=10.77.0.2
WORK=$(mktemp -d /tmp/mailtap-e2e.XXXXXX)
chmod 0755 "$WORK" # mail daemons run as their own users
MT_PID=
CLEANUPS=()

on_exit() {
	local rc=$?
	for ((i = ${#CLEANUPS[@]} - 1; i >= 0; i--)); do
		eval "${CLEANUPS[i]}" >/dev/null 2>&1 || true
	done
	[ -n "$MT_PID" ] && kill -KILL "$MT_PID" 2>/dev/null
	# processes left in the namespaces
	for ns in $NS_C $NS_S; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	ip link del "$VC" 2>/dev/null
	[ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"
	exit $rc
}
trap on_exit EXIT
trap 'exit 1' INT TERM

fail() {
	echo "FAIL: $*"
	exit 1
}

skip() {
	echo "$*"
	exit 77
}

netns_setup() {
	ip netns add "$NS_C" && ip netns add "$NS_S" || fail "netns"
	ip link add "$VC" type veth peer name "$VS" || fail "veth"
	ip link set "$VC" netns "$NS_C"
	ip link set "$VS" netns "$NS_S"
	ip -n "$NS_C" addr add $C/24 dev "$VC"
	ip -n "$NS_S" addr add $S/24 dev "$VS"
	for ns in $NS_C $NS_S; do ip -n "$ns" link set lo up; done
	ip -n "$NS_C" link set "$VC" up
	ip -n "$NS_S" link set "$VS" up
	# let GRO/GSO make big packets on the veth, as on real hosts
	ip netns exec "$NS_S" ethtool -K "$VS" gro on >/dev/null 2>&1 || true
}

in_c() { ip netns exec "$NS_C" "$@"; }
in_s() { ip netns exec "$NS_S" "$@"; }

# start_mailtapd ARGS...: in the server namespace, logs in $WORK/logs,
# events in $WORK/events.json; waits until the filter is attached.
start_mailtapd() {
	mkdir -p "$WORK/logs"
	local ev=(-E "$WORK/events.json")
	[ "${NO_EVENTS:-0}" = 1 ] && ev=()
	ip netns exec "$NS_S" "$BUILD/mailtapd" -i "$VS" -L "$WORK/logs" "${ev[@]}" \
		-S "$WORK/mailtap.sock" -v "$@" >"$WORK/mailtapd.out" 2>&1 &
	MT_PID=$!
	for _ in $(seq 100); do
		grep -q "mailtapd: capturing" "$WORK/mailtapd.out" && return 0
		kill -0 "$MT_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$WORK/mailtapd.out"
	fail "mailtapd did not start"
}

# stop_mailtapd [SIGNAL]: stop it and wait; fails if it exited non-zero.
stop_mailtapd() {
	local sig=${1:-INT} rc
	sleep 0.5 # records in flight
	kill -"$sig" "$MT_PID"
	wait "$MT_PID"
	rc=$?
	MT_PID=
	[ "$sig" = INT ] && [ $rc -ne 0 ] && { cat "$WORK/mailtapd.out"; fail "mailtapd exited $rc"; }
	return 0
}

# check_events CHECK...: see tests/e2e/events.py
check_events() {
	python3 "$HERE/events.py" "$WORK/events.json" "$WORK/logs" "$@" ||
		fail "event/log checks"
}

[ "$(id -u)" = 0 ] || skip "needs root"
