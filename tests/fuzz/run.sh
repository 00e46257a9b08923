#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# run.sh BUILD SECONDS TARGET... - run each libFuzzer target for SECONDS
# (or, with FUZZ_RUNS=N in the environment, for N executions),
# starting from its seed corpus (tests/fuzz/corpus/<name>) plus what
# earlier runs found (BUILD/fuzz-corpus/<name>), and replay the kept
# crash regressions (tests/fuzz/regressions/<name>/*). One line per target.
# A target's own libFuzzer options are in tests/fuzz/<name>.flags (fuzz_flow
# runs with -entropic=0: entropic's feature bookkeeping took three quarters
# of its time); FUZZ_FLAGS adds more for every target.
set -u
build=$1 secs=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
pass=0 fail=0
for t in "$@"; do
	name=$(basename "$t" | sed 's/^fuzz_//')
	work=$build/fuzz-corpus/$name
	mkdir -p "$work"
	seeds=()
	[ -d "$here/corpus/$name" ] && seeds+=("$here/corpus/$name")
	dict=()
	[ -f "$here/$name.dict" ] && dict=(-dict="$here/$name.dict")
	flags=()
	[ -f "$here/$name.flags" ] && read -r -a flags <"$here/$name.flags"
	if [ -d "$here/regressions/$name" ] &&
		! "$t" "$here/regressions/$name"/* >"$work.regress.log" 2>&1; then
		echo "FAIL  fuzz_$name: a kept regression input crashes (see $work.regress.log)"
		fail=$((fail + 1))
		continue
	fi
	if [ -n "${FUZZ_RUNS:-}" ]; then
		limit=(-runs="$FUZZ_RUNS") what="$FUZZ_RUNS runs"
	else
		limit=(-max_total_time="$secs") what="${secs}s"
	fi
	start=$(date +%s)
	if "$t" "${limit[@]}" -rss_limit_mb=2048 -timeout="${FUZZ_TIMEOUT:-10}" \
		-print_final_stats=1 "${flags[@]}" ${FUZZ_FLAGS:-} "${dict[@]}" \
		"$work" "${seeds[@]}" \
		>"$work.log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work.log")
		echo "ok    fuzz_$name: ${runs:-?} executions in $(($(date +%s) - start))s ($what), no crash"
		pass=$((pass + 1))
	else
		echo "FAIL  fuzz_$name: see $work.log"
		grep -m3 -E 'ERROR|SUMMARY' "$work.log"
		fail=$((fail + 1))
	fi
done
echo "fuzz: $pass passed, $fail failed"
[ $fail -eq 0 ]
