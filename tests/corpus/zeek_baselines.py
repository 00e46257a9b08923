#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""zeek_baselines.py - run mailtapd on Zeek's captures, compare with Zeek.

For every case below: run `mailtapd -r TRACE -L DIR -E DIR/events.json`
with the options that mirror what Zeek's test loaded, then compare the
logs and events field for field with the baselines in
../shared/corpus/zeek/baselines. uid/fuid values may differ (but must map
one-to-one), masked timestamps are ignored, set-valued columns are compared
as sets. Only the baseline's columns are compared (mailtap may log more).

  zeek_baselines.py BUILD_DIR [CORPUS_DIR]
Prints one line per check and 'N passed, N failed'.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

SMTP = "scripts.base.protocols.smtp."
CASES = [
    # (name, trace, mailtapd options, [(kind, baseline), ...])
    ("smtp.basic", "smtp.pcap", [], [("log", SMTP + "basic/smtp.log")]),
    ("smtp.attachment", "smtp.pcap", ["--file-hashes", "none"],
     [("log", SMTP + "attachment/smtp.log"), ("log", SMTP + "attachment/files.log")]),
    ("smtp.dump-events", "smtp.pcap", ["--log-passwords"],
     [("events-json", "scripts.policy.misc.dump-events-json/smtp-events.json")]),
    ("smtp.mime-all-headers", "smtp.pcap", [],
     [("all-headers", SMTP + "mime-all-headers-event/out")]),
    ("smtp.attachment-msg", "smtp-attachment-msg.pcap", [],
     [("log", SMTP + "attachment-msg/smtp.log")]),
    ("smtp.bdat", "smtp/rfc3030-bdat-example1.pcap", [],
     [("log", SMTP + "bdat/smtp.log"), ("requests", SMTP + "bdat/out"),
      ("no-log", "weird.log")]),
    ("smtp.bdat-multipart", "smtp/rfc3030-bdat-multipart.pcap", ["--file-hashes", "sha1"],
     [("log", SMTP + "bdat-multipart/smtp.log"), ("requests", SMTP + "bdat-multipart/out"),
      ("cut", SMTP + "bdat-multipart/files.log.cut"), ("no-log", "weird.log")]),
    ("smtp.bdat-chunk-size-overflow", "smtp/smtp-bdat-cmd-chunk-size-overflow.pcap", [],
     [("log", SMTP + "bdat-chunk-size-overflow/smtp.log"),
      ("log", SMTP + "bdat-chunk-size-overflow/weird.log"),
      ("req-reply", SMTP + "bdat-chunk-size-overflow/out")]),
    ("smtp.starttls", "tls/smtp-starttls.pcap", [],
     [("log", SMTP + "starttls/smtp.log")]),
    ("smtp.mail-transactions-invalid", "smtp-mail-transactions-invalid.pcap", [],
     [("log", SMTP + "mail-transactions-invalid/smtp.log"),
      ("log", SMTP + "mail-transactions-invalid/weird.log")]),
    ("pop3.basic", "pop3/pop3.pcap", [],
     [("pop3-out", "scripts.base.protocols.pop3.basic/out")]),
    ("smtp.multi-addr", "smtp-multi-addr.pcap", [], [("runs", None)]),
]

SET_TYPES = ("set[",)
ID_COLS = ("uid", "fuid", "fuids", "parent_fuid")


class Mismatch(Exception):
    pass


class IdMap:
    """uid/fuid values may differ but must correspond one to one."""

    def __init__(self):
        self.fwd, self.back = {}, {}

    def check(self, theirs, ours, what):
        if theirs in ("-", "(empty)") or ours in ("-", "(empty)"):
            if theirs != ours:
                raise Mismatch("%s: %r vs %r" % (what, theirs, ours))
            return
        if self.fwd.setdefault(theirs, ours) != ours or self.back.setdefault(ours, theirs) != theirs:
            raise Mismatch("%s: id %s maps to both %s and %s" % (what, theirs, self.fwd[theirs], ours))


def read_tsv(path):
    fields, types, rows = None, None, []
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("###"):
                continue
            if line.startswith("#fields"):
                fields = line.split("\t")[1:]
            elif line.startswith("#types"):
                types = line.split("\t")[1:]
            elif line.startswith("#"):
                continue
            elif line:
                rows.append(line.split("\t"))
    return fields, types, rows


def compare_log(base, ours, ids):
    bf, bt, brows = read_tsv(base)
    if not os.path.exists(ours):
        raise Mismatch("%s not written" % os.path.basename(ours))
    of, ot, orows = read_tsv(ours)
    if of is None:
        raise Mismatch("%s has no #fields" % ours)
    missing = [c for c in bf if c not in of]
    if missing:
        raise Mismatch("columns missing: %s" % ", ".join(missing))
    for c, t in zip(bf, bt):
        if ot[of.index(c)] != t:
            raise Mismatch("column %s type %s, Zeek's %s" % (c, ot[of.index(c)], t))
    if len(brows) != len(orows):
        raise Mismatch("%d rows, Zeek has %d" % (len(orows), len(brows)))
    for n, (br, orow) in enumerate(zip(brows, orows), 1):
        for i, c in enumerate(bf):
            bv, ov = br[i], orow[of.index(c)]
            what = "row %d %s" % (n, c)
            if bv.startswith("XXXXXXXXXX"):
                continue
            if c in ("uid", "fuid", "parent_fuid"):
                ids.check(bv, ov, what)
            elif c == "fuids":
                bl, ol = bv.split(","), ov.split(",")
                if len(bl) != len(ol):
                    raise Mismatch("%s: %s vs %s" % (what, bv, ov))
                for x, y in zip(bl, ol):
                    ids.check(x, y, what)
            elif bt[i].startswith(SET_TYPES):
                if sorted(bv.split(",")) != sorted(ov.split(",")):
                    raise Mismatch("%s: %s vs %s" % (what, bv, ov))
            elif bv != ov:
                raise Mismatch("%s: Zeek %r, mailtap %r" % (what, bv, ov))


def compare_cut(base, logdir, ids):
    with open(base) as f:
        lines = [l.rstrip("\n") for l in f if not l.startswith("###")]
    cols = lines[0].split("\t")
    want = [l.split("\t") for l in lines[1:] if l]
    logname = os.path.basename(base).split(".")[0] + ".log"
    if not os.path.exists(os.path.join(logdir, logname)):
        raise Mismatch("%s not written" % logname)
    of, ot, orows = read_tsv(os.path.join(logdir, logname))
    if of is None:
        raise Mismatch("%s not written" % logname)
    if len(want) != len(orows):
        raise Mismatch("%d rows, Zeek has %d" % (len(orows), len(want)))
    for n, (w, o) in enumerate(zip(want, orows), 1):
        for i, c in enumerate(cols):
            ov = o[of.index(c)]
            if c in ID_COLS:
                ids.check(w[i], ov, "row %d %s" % (n, c))
            elif w[i] != ov:
                raise Mismatch("row %d %s: Zeek %r, mailtap %r" % (n, c, w[i], ov))


def load_events(path, names):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            e = json.loads(line)
            if e["event"] in names:
                out.append(e)
    return out


def zeek_json_stream(path):
    with open(path, encoding="utf-8") as f:
        s = f.read()
    s = s.split("\n", 1)[1] if s.startswith("###") else s
    dec, i, out = json.JSONDecoder(), 0, []
    while True:
        while i < len(s) and s[i].isspace():
            i += 1
        if i >= len(s):
            return out
        o, i = dec.raw_decode(s, i)
        out.append(o)


def compare_events_json(base, events, ids):
    want = zeek_json_stream(base)
    names = {e["event"] for e in want}
    got = load_events(events, names)
    if len(want) != len(got):
        raise Mismatch("%d events, Zeek has %d" % (len(got), len(want)))
    for n, (w, g) in enumerate(zip(want, got), 1):
        if w["event"] != g["event"]:
            raise Mismatch("event %d: %s vs %s" % (n, w["event"], g["event"]))
        if abs(w["ts"] - g["ts"]) > 1e-6:
            raise Mismatch("event %d %s: ts %.6f vs %.6f" % (n, w["event"], w["ts"], g["ts"]))
        args = dict(w["args"])
        c = args.pop("c")
        ids.check(c["uid"], g["uid"], "event %d uid" % n)
        for k in ("orig_h", "resp_h"):
            if c["id"][k] != g["id"][k]:
                raise Mismatch("event %d id.%s" % (n, k))
        for k in ("orig_p", "resp_p"):
            if c["id"][k]["port"] != g["id"][k]:
                raise Mismatch("event %d id.%s" % (n, k))
        for k, v in args.items():
            if g.get(k) != v:
                raise Mismatch("event %d %s arg %s: Zeek %r, mailtap %r" % (n, w["event"], k, v, g.get(k)))


def bool_tf(v):
    return "T" if v else "F"


def compare_lines(base, got_lines, ids, uid_col):
    with open(base) as f:
        want = [l.rstrip("\n") for l in f if not l.startswith("###")]
    want = [l for l in want if l]
    if len(want) != len(got_lines):
        raise Mismatch("%d lines, Zeek has %d\n  first mailtap lines: %s" % (
            len(got_lines), len(want), got_lines[:3]))
    for n, (w, g) in enumerate(zip(want, got_lines), 1):
        wf, gf = w.split(", "), g.split(", ")
        if len(wf) != len(gf):
            raise Mismatch("line %d: Zeek %r, mailtap %r" % (n, w, g))
        ids.check(wf[uid_col], gf[uid_col], "line %d uid" % n)
        wf[uid_col] = gf[uid_col] = "U"
        if wf != gf:
            raise Mismatch("line %d: Zeek %r, mailtap %r" % (n, w, g))


def event_lines(events, kind):
    lines = []
    with open(events, encoding="utf-8") as f:
        for line in f:
            e = json.loads(line)
            ev = e["event"]
            if kind == "requests" and ev == "smtp_request":
                lines.append("%s, %s, %s, %s" % (e["uid"], bool_tf(e["is_orig"]), e["command"], e["arg"]))
            elif kind == "req-reply" and ev == "smtp_request":
                lines.append("smtp_request, %s, %s, %s, %s" % (e["uid"], bool_tf(e["is_orig"]), e["command"], e["arg"]))
            elif kind == "req-reply" and ev == "smtp_reply":
                lines.append("smtp_reply, %s, %s, %d, %s, %s" % (e["uid"], bool_tf(e["is_orig"]), e["code"], e["cmd"], e["msg"]))
            elif kind == "pop3-out" and ev == "pop3_request":
                lines.append("%s, pop3_request, %s, %s, %s" % (e["uid"], bool_tf(e["is_orig"]), e["command"], e["arg"]))
            elif kind == "pop3-out" and ev == "pop3_reply":
                lines.append("%s, pop3_reply, %s, %s, %s" % (e["uid"], bool_tf(e["is_orig"]), e["cmd"], e["msg"]))
    return lines


def parse_all_headers_out(path):
    """Zeek's print of mime_all_headers tables -> list of {index: (orig, name, value)}."""
    tables, cur = [], None
    rx = re.compile(r"^\[(\d+)\] = \[original_name=(.*?), name=(.*?), value=(.*)\],?$")
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line == "{":
                cur = {}
            elif line == "}":
                tables.append(cur)
                cur = None
            elif cur is not None:
                m = rx.match(line)
                if not m:
                    raise Mismatch("cannot parse baseline line %r" % line)
                cur[int(m.group(1))] = (m.group(2), m.group(3), m.group(4))
    return tables


def zeek_print_escape(s):
    out = []
    for ch in s:
        o = ord(ch)
        if o < 0x20 or o == 0x7F:
            out.append("\\x%02x" % o)
        else:
            out.append(ch)
    return "".join(out)


def compare_all_headers(base, events, ids):
    want = parse_all_headers_out(base)
    got = []
    with open(events, encoding="utf-8") as f:
        for line in f:
            e = json.loads(line)
            if e["event"] != "mime_all_headers":
                continue
            t = {}
            for k, h in e["hlist"].items():
                # JSON already carries control characters as literal \xNN
                t[int(k)] = (h["original_name"], h["name"], zeek_print_escape(h["value"]))
            got.append(t)
    if len(want) != len(got):
        raise Mismatch("%d mime_all_headers, Zeek has %d" % (len(got), len(want)))
    for n, (w, g) in enumerate(zip(want, got), 1):
        if w != g:
            for k in sorted(set(w) | set(g)):
                if w.get(k) != g.get(k):
                    raise Mismatch("table %d [%d]: Zeek %r, mailtap %r" % (n, k, w.get(k), g.get(k)))


def run_case(build, corpus, name, trace, opts, checks):
    results = []
    with tempfile.TemporaryDirectory(prefix="mailtap-corpus-") as tmp:
        events = os.path.join(tmp, "events.json")
        cmd = [os.path.join(build, "mailtapd"), "-r", os.path.join(corpus, "traces", trace),
               "-L", tmp, "-E", events] + opts
        env = dict(os.environ, TZ="UTC", LC_ALL="C", MAILTAP_UID_SEED="1")
        p = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if p.returncode != 0:
            return [(name, "run", "mailtapd exited %d: %s" % (p.returncode, p.stderr.strip()[-300:]))]
        ids = IdMap()
        for kind, base in checks:
            label = kind if base is None else os.path.basename(os.path.dirname(base)) + "/" + os.path.basename(base)
            try:
                bpath = os.path.join(corpus, "baselines", base) if base else None
                if kind == "log":
                    compare_log(bpath, os.path.join(tmp, os.path.basename(base)), ids)
                elif kind == "cut":
                    compare_cut(bpath, tmp, ids)
                elif kind == "events-json":
                    compare_events_json(bpath, events, ids)
                elif kind == "all-headers":
                    compare_all_headers(bpath, events, ids)
                elif kind in ("requests", "req-reply"):
                    compare_lines(bpath, event_lines(events, kind), ids, 0 if kind == "requests" else 1)
                elif kind == "pop3-out":
                    compare_lines(bpath, event_lines(events, kind), ids, 0)
                elif kind == "no-log":
                    if os.path.exists(os.path.join(tmp, base)):
                        with open(os.path.join(tmp, base)) as f:
                            rows = [l for l in f if not l.startswith("#")]
                        raise Mismatch("%s written (Zeek wrote none): %s" % (base, rows[:2]))
                    label = "no " + base
                elif kind == "runs":
                    pass
                results.append((name, label, None))
            except Mismatch as e:
                results.append((name, label, str(e)))
    return results


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
    corpus = sys.argv[2] if len(sys.argv) > 2 else os.environ.get(
        "MAILTAP_CORPUS", os.path.join(ROOT, "..", "shared", "corpus"))
    corpus = os.path.join(corpus, "zeek")
    if not os.path.isdir(corpus):
        print("zeek_baselines: SKIP: corpus not found at %s (set MAILTAP_CORPUS)" % corpus)
        return 0
    only = os.environ.get("CASE")
    passed = failed = 0
    for name, trace, opts, checks in CASES:
        if only and only not in name:
            continue
        for case, label, err in run_case(build, corpus, name, trace, opts, checks):
            if err is None:
                passed += 1
                print("ok    %-32s %s" % (case, label))
            else:
                failed += 1
                print("FAIL  %-32s %s: %s" % (case, label, err))
    print("zeek baselines: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
