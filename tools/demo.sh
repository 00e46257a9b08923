#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# demo.sh - generate a small SMTP+POP3 capture, analyze it with mailtapd,
# and show what comes out: the logs and a taste of the event stream.
set -eu
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
out=$build/demo
rm -rf "$out"
mkdir -p "$out/logs"

bold() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

bold "1. A capture: 20 SMTP sessions (AUTH, pipelining, attachments) and 10 POP3 sessions"
python3 "$top/tools/gen_mailcap.py" -o "$out/demo.pcap" --smtp 20 --pop3 10 --attach 20000

bold "2. mailtapd -r $out/demo.pcap -L $out/logs -E $out/events.json"
"$build/mailtapd" -r "$out/demo.pcap" -L "$out/logs" -E "$out/events.json" -v

show_log() { # a log, as zeek-cut would: chosen columns, aligned
	local log=$1; shift
	[ -f "$log" ] || { echo "(no $(basename "$log"))"; return; }
	awk -F'\t' -v cols="$*" '
		/^#fields/ { n = split(cols, want, " ");
			for (i = 2; i <= NF; i++) idx[$i] = i - 1
			line = ""; for (j = 1; j <= n; j++) line = line (j > 1 ? "\t" : "") want[j]; print line; next }
		/^#/ { next }
		{ line = ""; for (j = 1; j <= n; j++) line = line (j > 1 ? "\t" : "") $(idx[want[j]]); print line }
	' "$log" | head -8 | column -t -s $'\t'
	echo "... $(grep -vc '^#' "$log") rows in $log"
}

bold "3. smtp.log (some columns)"
show_log "$out/logs/smtp.log" uid id.orig_h trans_depth mailfrom rcptto subject last_reply fuids
bold "4. files.log"
show_log "$out/logs/files.log" fuid uid source depth mime_type filename seen_bytes sha256
bold "5. pop3.log"
show_log "$out/logs/pop3.log" uid id.orig_h user login commands retrieved bytes_retrieved last_reply
bold "6. weird.log"
show_log "$out/logs/weird.log" uid name addl source

bold "7. Events: the first SMTP session (credentials redacted), one JSON object per line"
first=$(grep -m1 '"event":"smtp_request"' "$out/events.json" | sed 's/.*"uid":"\([^"]*\)".*/\1/')
{ grep "\"uid\":\"$first\"" "$out/events.json" | grep -v "\"event\":\"smtp_data\"\|\"event\":\"mime_segment_data\"" | head -30; } || true
echo "..."
bold "8. Event counts"
sed 's/.*"event":"\([^"]*\)".*/\1/' "$out/events.json" | sort | uniq -c | sort -rn
echo
echo "Logs are in $out/logs, every event in $out/events.json."
