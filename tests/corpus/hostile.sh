#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# hostile.sh BUILD - hostile captures (tools/gen_hostile.py): each must be
# analyzed without a crash, within a memory bound, with the expected weird,
# and with the ordinary session inside it logged in full.
#   HOSTILE_SCALE=0.05 (default in make check; 1.0 = issue 10's sizes)
set -u
build=${1:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
scale=${HOSTILE_SCALE:-0.05}
work=$(mktemp -d /tmp/mailtap-hostile.XXXXXX)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0

# case : expected weird (or -) : RSS limit in MiB
cases="synflood:-:300 idleflows:-:300 longline:contentline_size_exceeded:300
pipeline:smtp_excessive_pending_cmds:300 rcpt:-:300
mimebomb:exceeded_mime_max_depth:300 bdathuge:smtp_huge_bdat_chunk:300
overlap:rexmit_inconsistency:300 ooostorm:-:300 garbage:-:300 reversed:-:300
longline_budget:memory_budget_exceeded:300"

for c in $cases; do
	name=${c%%:*} rest=${c#*:}
	weird=${rest%%:*} limit=${rest#*:}
	cap=$work/$name.pcap logs=$work/$name
	mkdir -p "$logs"
	python3 "$top/tools/gen_hostile.py" "${name%_budget}" -o "$cap" --scale "$scale" 2>/dev/null
	# longline: a small line cap so the limit is hit at any scale
	extra=()
	[ "$name" = longline ] && extra=(--set max-line-length=65536)
	[ "$name" = mimebomb ] && extra=(--set mime-max-depth=10)
	# the global budget, small enough that one long line hits it
	[ "$name" = longline_budget ] && extra=(--set mem-budget=2M)
	rss=$( { /usr/bin/time -f '%M' "$build/mailtapd" -r "$cap" -L "$logs" "${extra[@]}" \
		>/dev/null 2>"$logs/stderr"; echo "rc=$?" >>"$logs/stderr"; } 2>&1 | tail -1)
	rss=$(tail -2 "$logs/stderr" | head -1)
	rc=$(sed -n 's/^rc=//p' "$logs/stderr")
	why=""
	[ "$rc" = 0 ] || why="exit $rc"
	[ -z "$why" ] && [ "${rss:-0}" -gt $((limit * 1024)) ] 2>/dev/null && why="RSS ${rss} KiB > ${limit} MiB"
	[ -z "$why" ] && ! grep -q "user4242@example.net" "$logs/smtp.log" 2>/dev/null &&
		why="the ordinary session is missing from smtp.log"
	[ -z "$why" ] && [ "$weird" != - ] && ! grep -q "$weird" "$logs/weird.log" 2>/dev/null &&
		why="no $weird in weird.log"
	if [ -z "$why" ]; then
		echo "ok    $name (max RSS $((rss / 1024)) MiB)"
		pass=$((pass + 1))
	else
		echo "FAIL  $name: $why"
		fail=$((fail + 1))
	fi
done
echo "hostile: $pass passed, $fail failed"
[ $fail -eq 0 ]
