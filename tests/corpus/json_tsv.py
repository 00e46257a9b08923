#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""json_tsv.py - the JSON logs (-F json) carry the same values as the TSV
logs, row for row and field for field, on every Zeek trace.

  json_tsv.py BUILD_DIR
"""
import glob, json, os, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def tsv_rows(path):
    fields, types, rows = None, None, []
    for line in open(path, encoding="utf-8", errors="surrogateescape"):
        line = line.rstrip("\n")
        if line.startswith("#fields"):
            fields = line.split("\t")[1:]
        elif line.startswith("#types"):
            types = line.split("\t")[1:]
        elif line and not line.startswith("#"):
            rows.append(line.split("\t"))
    return fields, types, rows


def unescape(s):
    out, i = bytearray(), 0
    b = s.encode("utf-8", "surrogateescape")
    while i < len(b):
        if b[i:i + 2] == b"\\x" and i + 4 <= len(b):
            out.append(int(b[i + 2:i + 4], 16))
            i += 4
        else:
            out.append(b[i])
            i += 1
    return bytes(out)


def same(tv, ty, jv):
    if tv == "-":
        return jv is None
    if ty in ("time", "interval"):
        return abs(float(tv) - jv) < 1e-6
    if ty in ("count", "port", "int"):
        return int(tv) == jv
    if ty == "bool":
        return (tv == "T") == jv
    if ty.startswith(("set[", "vector[")):
        items = [] if tv == "(empty)" else tv.split(",")
        return sorted(unescape(x) for x in items) == sorted(unescape(str(x)) for x in jv)
    if ty == "string":
        return (b"" if tv == "(empty)" else unescape(tv)) == unescape(jv)
    return tv == str(jv)


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
    corpus = os.environ.get("MAILTAP_CORPUS", os.path.join(ROOT, "..", "shared", "corpus"))
    traces = sorted(glob.glob(os.path.join(corpus, "zeek", "traces", "**", "*.pcap*"), recursive=True))
    if not traces:
        print("json_tsv: SKIP: corpus not found at %s" % corpus)
        return 0
    env = dict(os.environ, MAILTAP_UID_SEED="7")
    rows = fields = failed = 0
    for t in traces:
        with tempfile.TemporaryDirectory() as d:
            os.mkdir(d + "/tsv"), os.mkdir(d + "/json")
            for fmt in ("tsv", "json"):
                subprocess.run([build + "/mailtapd", "-r", t, "-L", d + "/" + fmt, "-F",
                                "zeek" if fmt == "tsv" else "json"], env=env, check=True,
                               capture_output=True)
            for tl in glob.glob(d + "/tsv/*.log"):
                name = os.path.basename(tl)
                if name == "pop3_legacy.log":
                    continue
                f, ty, trows = tsv_rows(tl)
                jrows = [json.loads(l) for l in open(d + "/json/" + name)]
                if len(trows) != len(jrows):
                    print("FAIL %s %s: %d TSV rows, %d JSON rows" % (os.path.basename(t), name, len(trows), len(jrows)))
                    failed += 1
                    continue
                for tr, jr in zip(trows, jrows):
                    rows += 1
                    for k, tyk, tv in zip(f, ty, tr):
                        fields += 1
                        if not same(tv, tyk, jr.get(k)):
                            print("FAIL %s %s %s: TSV %r JSON %r" % (os.path.basename(t), name, k, tv, jr.get(k)))
                            failed += 1
    print("json_tsv: %d rows, %d fields compared; %d passed, %d failed" % (rows, fields, fields - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
