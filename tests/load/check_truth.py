#!/usr/bin/env python3
"""Compare gearman-analyze on the load capture with the load program's truth.

  check_truth.py GEARMAN_ANALYZE LOAD_DIR

LOAD_DIR holds load.pcap and load.truth.json (captures/make-load-capture.sh).
The truth comes from the load program's own counters (what its clients
submitted, how its workers ended each job), never from a decoder. Every
difference is printed; exit 1 when there is any, 0 when none, 77 (skipped)
when there is no capture.

Checked, exactly: total jobs, background jobs, complete/fail/exception
overall and per function, per-function jobs and submits, 0 incomplete,
0 unknown_start (nothing began before the capture), 0 coalesced submits
(every submit has its own unique ID), the number of connections, and per
worker (named by its SET_CLIENT_ID) the jobs and outcomes.
"""
import json
import os
import subprocess
import sys

OUTCOMES = ("complete", "fail", "exception")


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    analyze, d = sys.argv[1], sys.argv[2]
    pcap, truth_path = os.path.join(d, "load.pcap"), os.path.join(d, "load.truth.json")
    if not (os.path.exists(pcap) and os.path.exists(truth_path)):
        print("no %s or %s: the load.capture fixture was skipped (not root, or a tool missing)"
              % (pcap, truth_path))
        return 77
    with open(truth_path) as f:
        truth = json.load(f)
    run = subprocess.run([analyze, "--format", "json", pcap], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, check=False)
    if run.returncode != 0:
        print("gearman-analyze exited %d: %s" % (run.returncode, run.stderr.decode(errors="replace")))
        return 1
    got = json.loads(run.stdout)

    diffs = []

    def same(what, have, want):
        if have != want:
            diffs.append("%-45s analyzer %-8s truth %s" % (what, have, want))

    jobs, tj = got["jobs"], truth["jobs"]
    same("jobs.total", jobs["total"], tj["total"])
    same("jobs.background", jobs["background"], tj["background"])
    for o in OUTCOMES:
        same("jobs." + o, jobs[o], tj[o])
    for k in ("incomplete", "unknown_start", "coalesced_submits", "submit_errors"):
        same("jobs." + k, jobs[k], 0)
    same("packets.connections", got["packets"]["connections"], truth["connections"]["total"])

    functions = {f["name"]: f for f in got["functions"]}
    for name in sorted(set(functions) | set(truth["functions"])):
        f, t = functions.get(name), truth["functions"].get(name)
        if f is None or t is None:
            diffs.append("function %s only in the %s" % (name, "truth" if f is None else "analyzer"))
            continue
        same(name + ".jobs", f["jobs"], t["jobs"])
        same(name + ".submits", f["submits"], t["jobs"])
        same(name + ".background", f["background"], t["background"])
        for o in OUTCOMES:
            same("%s.%s" % (name, o), f[o], t["workers"][o])
        for k in ("incomplete", "unknown_start", "coalesced_submits"):
            same("%s.%s" % (name, k), f[k], 0)

    workers = {w["name"]: w for w in got["workers"]}
    for name in sorted(set(workers) | set(truth["workers"])):
        w, t = workers.get(name), truth["workers"].get(name)
        if w is None:
            diffs.append("worker %s missing from the analyzer's report" % name)
            continue
        if t is None:
            diffs.append("worker %s in the analyzer's report is no worker: %d functions, %d jobs"
                         " (the load's clients send SET_CLIENT_ID ld-client-N too)"
                         % (name, len(w["functions"]), w["jobs"]))
            continue
        same(name + ".jobs", w["jobs"], t["jobs"])
        same(name + ".functions", sorted(w["functions"]), sorted(t["functions"]))
        for o in OUTCOMES:
            same("%s.%s" % (name, o), w[o], t["outcomes"][o])
        same(name + ".open_jobs", w["open_jobs"], 0)

    print("%s: %d jobs in the truth, %d in the analyzer's report" % (pcap, tj["total"], jobs["total"]))
    for line in diffs:
        print("DIFF " + line)
    print("%d difference(s)" % len(diffs))
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
