#!/usr/bin/env python3
"""Both front ends on one capture, job for job: gearman-analyze --jobs against the plugin's
`tshark -2 -z gearman,jobs`.

  compare_jobs.py --analyzer BIN --tshark-wrapper SCRIPT [--port P ...] CAPTURE...

Each job (by server handle) must have the same function, outcome, background flag, number of
submits, the same frames of its submit, JOB_CREATED, first assignment, worker's terminal packet
and client's result, and the same queue, run and total times (to the nanosecond). Both sides run
the shared job engine (gearjobs), so any difference is a front-end bug: how PDUs reach the
engine (framing, reassembly, which frame a PDU belongs to, the server side), not a rule.

Exit 0 when every capture agrees, 1 on a difference (each printed), 77 when tshark or the plugin
cannot run here.
"""
import argparse
import json
import os
import subprocess
import sys

FIELDS = ("function", "outcome", "background", "submits", "submit", "created", "assign", "end", "result",
          "queue_ns", "run_ns", "total_ns")


def analyzer_jobs(analyzer, capture, ports):
    cmd = [analyzer, "-q", "--jobs", "-", "--jobs-format", "jsonl"]
    for p in ports:
        cmd += ["-p", str(p)]
    out = subprocess.run(cmd + [capture], stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True).stdout
    jobs = []
    for line in out.decode().splitlines():
        r = json.loads(line)

        def ns(ms):
            return "-" if ms is None else str(round(ms * 1e6))

        def frame(f):
            return str(f) if f else "-"

        jobs.append({"handle": r["handle"], "function": r["function"], "outcome": r["outcome"],
                     "background": "1" if r["background"] else "0", "submits": str(r["submits"]),
                     "submit": frame(r["f_submit"]), "created": frame(r["f_created"]),
                     "assign": frame(r["f_assign_first"]), "end": frame(r["f_worker_done"]),
                     "result": frame(r["f_client_done"]), "queue_ns": ns(r["queue_ms"]),
                     "run_ns": ns(r["run_ms"]), "total_ns": ns(r["total_ms"])})
    return jobs


def plugin_jobs(wrapper, capture, ports, out_of_order):
    cmd = ["bash", wrapper, "-q", "-2", "-r", capture, "-z", "gearman,jobs"]
    if out_of_order:
        cmd += ["-o", "tcp.reassemble_out_of_order:TRUE"]
    for p in ports:
        cmd += ["-d", "tcp.port==%d,gearman" % p]
    run = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if run.returncode != 0:
        raise RuntimeError("tshark exited %d: %s" % (run.returncode, run.stderr.decode(errors="replace")[-2000:]))
    jobs = []
    for line in run.stdout.decode(errors="replace").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        cols = line.split("\t")
        if len(cols) != 1 + len(FIELDS):
            raise RuntimeError("unexpected -z gearman,jobs line: %r" % line)
        jobs.append(dict(zip(("handle",) + FIELDS, cols)))
    return jobs


def by_handle(jobs):
    """handle -> list of jobs (a server may reuse a handle after a restart), in frame order."""
    out = {}
    for j in jobs:
        out.setdefault(j["handle"], []).append(j)
    for v in out.values():
        v.sort(key=lambda j: min(int(j[k]) for k in ("submit", "created", "assign", "end", "result")
                                 if j[k] != "-") if any(j[k] != "-" for k in ("submit", "created", "assign", "end", "result")) else 0)
    return out


def compare(capture, a, p):
    diffs = []
    ah, ph = by_handle(a), by_handle(p)
    for h in sorted(set(ah) | set(ph)):
        la, lp = ah.get(h, []), ph.get(h, [])
        if len(la) != len(lp):
            diffs.append("%s: %d job(s) in the analyzer, %d in the plugin" % (h, len(la), len(lp)))
            continue
        for ja, jp in zip(la, lp):
            for f in FIELDS:
                if ja[f] != jp[f]:
                    diffs.append("%s %s: analyzer %s, plugin %s" % (h, f, ja[f], jp[f]))
    print("%s: %d jobs in the analyzer, %d in the plugin, %d difference(s)"
          % (os.path.basename(capture), len(a), len(p), len(diffs)))
    for d in diffs[:40]:
        print("  DIFF " + d)
    if len(diffs) > 40:
        print("  ... and %d more" % (len(diffs) - 40))
    return not diffs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--analyzer", required=True)
    ap.add_argument("--tshark-wrapper", required=True)
    ap.add_argument("--port", type=int, action="append", default=[])
    ap.add_argument("--lossy", action="store_true",
                    help="segments are missing from the captures: leave Wireshark's out-of-order reassembly off "
                         "(with it on, Wireshark 4.0 holds everything after a hole that is never filled)")
    ap.add_argument("--min-jobs", type=int, default=1, help="fail when a capture has fewer jobs (a test that cannot fail)")
    ap.add_argument("captures", nargs="+")
    args = ap.parse_args()
    ok = True
    for cap in args.captures:
        if not os.path.exists(cap):
            print("%s: no such capture (its fixture was skipped)" % cap)
            return 77
        ports = list(args.port)
        manifest = cap[:-len(".pcap")] + ".manifest.json" if cap.endswith(".pcap") else None
        if manifest and os.path.exists(manifest):
            port = json.load(open(manifest))["server"]["port"]
            if port != 4730 and port not in ports:
                ports.append(port)
        try:
            a = analyzer_jobs(args.analyzer, cap, ports)
            p = plugin_jobs(args.tshark_wrapper, cap, ports, not args.lossy)
        except RuntimeError as e:
            print("%s: %s" % (cap, e))
            return 1
        if len(a) < args.min_jobs:
            print("%s: only %d jobs (want at least %d)" % (cap, len(a), args.min_jobs))
            ok = False
        ok = compare(cap, a, p) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
