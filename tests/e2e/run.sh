#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# run.sh BUILD - every live test (tests/e2e/test_*.sh), each in its own
# network namespaces. Needs root and BPF; skips with a message otherwise.
set -u
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" -ne 0 ]; then
	echo "e2e: SKIPPED: live tests need root"
	exit 0
fi
if ! ip netns add mailtap-probe-$$ 2>/dev/null; then
	echo "e2e: SKIPPED: cannot create network namespaces here"
	exit 0
fi
ip netns del mailtap-probe-$$
pass=0 fail=0 skip=0
for t in "$here"/test_*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .sh)
	log=$build/e2e-$name.log
	timeout 600 "$t" "$build" >"$log" 2>&1
	rc=$?
	case $rc in
	0) echo "ok    $name"; pass=$((pass + 1)) ;;
	77) echo "skip  $name: $(tail -1 "$log")"; skip=$((skip + 1)) ;;
	*) echo "FAIL  $name (exit $rc), last lines of $log:"; tail -15 "$log" | sed 's/^/      /'
	   fail=$((fail + 1)) ;;
	esac
done
echo "e2e: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
