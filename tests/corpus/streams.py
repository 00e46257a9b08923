#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""streams.py - mailtapd's reassembly vs tshark's, byte for byte.

For every capture given (default: every trace of the Zeek corpus, plus
tests/data/*.pcap*), run `mailtapd -r X --dump-streams DIR --no-logs`
(must exit 0) and compare, for every TCP connection on a mail port, each
direction's bytes with `tshark -q -z follow,tcp,raw,N` of the same
connection. Connections with gaps are compared up to their first gap
(tshark fills nothing, we skip: the bytes before must agree).

  streams.py BUILD_DIR [CAPTURE...]
Prints one line per capture and 'N passed, N failed'.
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PORTS = {25, 587, 110}


def tshark_streams(cap):
    """{(a, pa, b, pb) of node0/node1: {'n0': bytes, 'n1': bytes}}"""
    p = subprocess.run(["tshark", "-r", cap, "-T", "fields", "-e", "tcp.stream",
                        "-e", "tcp.srcport", "-e", "tcp.dstport"],
                       capture_output=True, text=True)
    ids = set()
    for line in p.stdout.splitlines():
        f = line.split("\t")
        if len(f) == 3 and f[0] and (int(f[1]) in PORTS or int(f[2]) in PORTS):
            ids.add(int(f[0]))
    if not ids:
        return {}
    args = ["tshark", "-r", cap, "-q", "-o", "tcp.desegment_tcp_streams:TRUE"]
    for i in sorted(ids):
        args += ["-z", "follow,tcp,raw,%d" % i]
    out = subprocess.run(args, capture_output=True, text=True).stdout
    res, cur, nodes = {}, None, []
    for line in out.splitlines():
        if line.startswith("Follow: "):
            cur, nodes = None, []
        elif line.startswith("Node "):
            addr = line.split(": ", 1)[1]
            host, port = addr.rsplit(":", 1)
            nodes.append((host.strip("[]"), int(port)))
            if len(nodes) == 2:
                cur = {"n0": bytearray(), "n1": bytearray()}
                res[(nodes[0], nodes[1])] = cur
        elif line.startswith("====") or cur is None or not line.strip():
            continue
        elif line.startswith("\t"):
            cur["n1"] += bytes.fromhex(line.strip())
        else:
            cur["n0"] += bytes.fromhex(line.strip())
    return res


def norm_host(h):
    import ipaddress
    try:
        return str(ipaddress.ip_address(h))
    except ValueError:
        return h


def check_capture(build, cap):
    problems, compared = [], 0
    with tempfile.TemporaryDirectory(prefix="mailtap-streams-") as d:
        r = subprocess.run([os.path.join(build, "mailtapd"), "-r", cap,
                            "--dump-streams", d, "--no-logs"], capture_output=True, text=True)
        if r.returncode:
            return 0, ["mailtapd exited %d: %s" % (r.returncode, r.stderr.strip())]
        ts = tshark_streams(cap)
        ours = {}
        for meta in glob.glob(os.path.join(d, "*.meta")):
            with open(meta) as f:
                m = json.load(f)
            uid = m["uid"]
            o = (norm_host(m["id"]["orig_h"]), m["id"]["orig_p"])
            r_ = (norm_host(m["id"]["resp_h"]), m["id"]["resp_p"])
            with open(os.path.join(d, uid + ".orig"), "rb") as f:
                ob = f.read()
            with open(os.path.join(d, uid + ".resp"), "rb") as f:
                rb = f.read()
            ours.setdefault(frozenset((o, r_)), []).append((o, r_, ob, rb, m))
        for (n0, n1), t in ts.items():
            n0 = (norm_host(n0[0]), n0[1])
            n1 = (norm_host(n1[0]), n1[1])
            cands = ours.get(frozenset((n0, n1)))
            if not cands:
                if t["n0"] or t["n1"]:
                    problems.append("%s <-> %s: no stream dumped" % (n0, n1))
                continue
            # port reuse: several of ours, one of tshark's: concatenate
            o, r_, ob, rb, m = cands[0]
            if len(cands) > 1:
                ob = b"".join(c[2] for c in cands)
                rb = b"".join(c[3] for c in cands)
            want_o, want_r = (t["n0"], t["n1"]) if n0 == o else (t["n1"], t["n0"])
            for name, mine, theirs, key in (("orig", ob, want_o, "orig"), ("resp", rb, want_r, "resp")):
                gaps = m[key]["gaps"]
                if gaps:
                    # compare up to the first gap only
                    upto = gaps[0][0]
                    mine, theirs = mine[:upto], bytes(theirs[:upto])
                if bytes(mine) != bytes(theirs):
                    i = next((k for k in range(min(len(mine), len(theirs))) if mine[k] != theirs[k]),
                             min(len(mine), len(theirs)))
                    problems.append("%s %s: %d bytes vs tshark %d, first difference at %d" %
                                    (m["uid"], name, len(mine), len(theirs), i))
                else:
                    compared += 1
    return compared, problems


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
    caps = sys.argv[2:]
    if not caps:
        corpus = os.environ.get("MAILTAP_CORPUS", os.path.join(ROOT, "..", "shared", "corpus"))
        traces = os.path.join(corpus, "zeek", "traces")
        if os.path.isdir(traces):
            caps = sorted(glob.glob(os.path.join(traces, "**", "*.pcap*"), recursive=True))
        else:
            print("streams: corpus not found at %s: Zeek traces SKIPPED" % traces)
        caps += sorted(glob.glob(os.path.join(ROOT, "tests", "data", "*.pcap*")))
    passed = failed = 0
    total = 0
    for cap in caps:
        n, problems = check_capture(build, cap)
        total += n
        if problems:
            failed += 1
            print("FAIL  %s (%d directions equal)" % (os.path.basename(cap), n))
            for p in problems[:10]:
                print("        " + p)
        else:
            passed += 1
            print("ok    %s (%d directions equal to tshark)" % (os.path.basename(cap), n))
    print("streams: %d directions compared; %d passed, %d failed" % (total, passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
