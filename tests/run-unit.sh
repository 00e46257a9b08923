#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# run-unit.sh - run cmocka test binaries, print one summary line.
set -u
pass=0 fail=0 failed=()
for t in "$@"; do
	if "$t" >"$t.log" 2>&1; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		failed+=("$t")
		cat "$t.log"
	fi
done
echo "unit ($(dirname "$1" | sed 's,/tests$,,;s,.*/,,')): $pass passed, $fail failed"
[ $fail -eq 0 ] || { printf 'FAILED: %s\n' "${failed[@]}"; exit 1; }
