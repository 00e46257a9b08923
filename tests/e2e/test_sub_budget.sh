#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# test_sub_budget.sh - subscriber queues are in the global memory budget:
# with a 6 MiB budget a stalled subscriber's queue stops near 3 MiB (half
# of it), below the 4 MiB per-subscriber cap; the events it misses are counted
# (budget_refused, events_dropped) and reported to it as 'lost' once it
# reads again, and every session is still logged.
. "$(dirname "$0")/lib.sh" "${1:-build}"
netns_setup
ip netns exec "$NS_S" python3 "$TOP/tools/bench/smtpload.py" server $S &
CLEANUPS+=("kill $!")
NO_EVENTS=1 start_mailtapd --set mem-budget=6291456
python3 - "$WORK/mailtap.sock" "$WORK/sub" <<'PY' &
import json, socket, sys, time
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(path)
s.sendall(b'{"id":1,"cmd":"subscribe","events":["*"]}\n')
time.sleep(8)  # stalled while the load runs
s.settimeout(3)
f = s.makefile("rb")
n = lost = 0
try:
    for line in f:
        e = json.loads(line)
        if e.get("event") == "lost" and e.get("source") == "subscriber":
            lost += e["count"]
        n += 1
except Exception:
    pass
open(out, "w").write("%d %d\n" % (n, lost))
PY
sub=$!
sleep 0.5
read -r sessions _ < <(in_c python3 "$TOP/tools/bench/smtpload.py" client $S 3 2 5000)
sleep 1
"$BUILD/mailtap" -s "$WORK/mailtap.sock" -j stats >"$WORK/stats.json" || fail "stats"
wait $sub
stop_mailtapd
read -r n lost <"$WORK/sub"
python3 - "$WORK/stats.json" <<'PY' || fail "queue accounting: $(cat "$WORK/stats.json")"
import json, sys
s = json.load(open(sys.argv[1]))["socket"]
print("socket: queue_bytes %d at the end, budget_refused %d, events_dropped %d"
      % (s["queue_bytes"], s["budget_refused"], s["events_dropped"]))
assert s["budget_refused"] > 0 and s["events_dropped"] > 0, s
assert s["queue_bytes"] <= 3 * 1024 * 1024 + 4096, s
PY
[ "$lost" -gt 0 ] || fail "the stalled subscriber was told of no loss ($n events)"
rows=$(grep -vc '^#' "$WORK/logs/smtp.log")
[ "$rows" -ge "$sessions" ] || fail "smtp.log has $rows rows for $sessions sessions"
echo "budget: stalled subscriber got $n events and lost $lost; $sessions sessions, $rows rows logged"
