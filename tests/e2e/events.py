#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""events.py - assertions over mailtapd's event stream and logs for the
e2e tests.

  events.py EVENTS.json LOGDIR CHECK...

Each CHECK is one of
  seq:EVENT[,EVENT...]        these events occur in this order (per uid)
  has:EVENT:key=value[,...]   some event EVENT has these argument values
                              (value may be a python literal; prefix ~ for
                               a substring match)
  none:EVENT                  no such event
  count:EVENT:N               exactly N such events
  log:PATH:col=value[,...]    some row of PATH.log has these column values
                              (set columns: value is a |-separated subset)
  logrows:PATH:N              PATH.log has exactly N rows
  nosecret:TEXT               TEXT appears nowhere in events or logs
Exit status 0 when every check holds; prints what failed.
"""
import ast
import json
import os
import sys


def load_events(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                out.append(json.loads(line))
    return out


def read_log(logdir, path):
    fn = os.path.join(logdir, path + ".log")
    if not os.path.exists(fn):
        return None, []
    fields, rows = None, []
    with open(fn, encoding="utf-8", errors="replace") as f:
        first = f.readline()
        f.seek(0)
        if first.startswith("{"):
            return "json", [json.loads(l) for l in f if l.strip()]
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#fields"):
                fields = line.split("\t")[1:]
            elif line and not line.startswith("#"):
                rows.append(dict(zip(fields, line.split("\t"))))
    return "tsv", rows


def parse_value(v):
    try:
        return ast.literal_eval(v)
    except (ValueError, SyntaxError):
        return v


def match_fields(obj, spec):
    for kv in spec.split(","):
        k, v = kv.split("=", 1)
        got = obj
        for part in k.split(".") if k not in obj else [k]:
            got = got.get(part) if isinstance(got, dict) else None
        if v.startswith("~"):
            if got is None or v[1:] not in str(got):
                return False
        elif isinstance(got, list):
            want = set(v.split("|"))
            if not want <= set(map(str, got)):
                return False
        elif isinstance(got, str) and "|" in v and "," in got:
            if not set(v.split("|")) <= set(got.split(",")):
                return False
        elif got != parse_value(v) and str(got) != v:
            return False
    return True


def main():
    events = load_events(sys.argv[1])
    logdir = sys.argv[2]
    failed = 0
    for check in sys.argv[3:]:
        kind, _, rest = check.partition(":")
        ok = False
        if kind == "seq":
            names = rest.split(",")
            byuid = {}
            for e in events:
                byuid.setdefault(e.get("uid"), []).append(e["event"])
            for seq in byuid.values():
                it = iter(seq)
                if all(n in it for n in names):
                    ok = True
                    break
        elif kind == "has":
            name, _, spec = rest.partition(":")
            ok = any(e["event"] == name and (not spec or match_fields(e, spec)) for e in events)
        elif kind == "none":
            ok = not any(e["event"] == rest for e in events)
        elif kind == "count":
            name, n = rest.rsplit(":", 1)
            got = sum(e["event"] == name for e in events)
            ok = got == int(n)
            if not ok:
                print("  %s: %d found" % (check, got))
        elif kind == "log":
            path, _, spec = rest.partition(":")
            _, rows = read_log(logdir, path)
            ok = any(match_fields(r, spec) for r in rows)
            if not ok:
                print("  %s rows: %s" % (path, rows[:3]))
        elif kind == "logrows":
            path, n = rest.rsplit(":", 1)
            _, rows = read_log(logdir, path)
            ok = len(rows) == int(n)
            if not ok:
                print("  %s: %d rows" % (check, len(rows)))
        elif kind == "nosecret":
            blobs = [open(sys.argv[1], encoding="utf-8", errors="replace").read()]
            for fn in os.listdir(logdir):
                with open(os.path.join(logdir, fn), encoding="utf-8", errors="replace") as f:
                    blobs.append(f.read())
            ok = not any(rest in b for b in blobs)
        print("%s %s" % ("ok  " if ok else "FAIL", check))
        failed += not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
