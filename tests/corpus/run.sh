#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# run.sh BUILD - every corpus test: reassembly vs tshark, logs and events vs
# Zeek's baselines, hostile captures. Prints 'N passed, N failed'.
set -u
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
pass=0 fail=0
for t in "$here"/streams.py "$here"/zeek_baselines.py "$here"/json_tsv.py "$here"/hostile.sh; do
	[ -e "$t" ] || continue
	echo "== $(basename "$t")"
	if "$t" "$build"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
	fi
done
echo "corpus: $pass passed, $fail failed"
[ $fail -eq 0 ]
