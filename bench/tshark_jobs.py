#!/usr/bin/env python3
"""Per-function job counts and latencies from tshark's field output: the pipeline a user would
write without gearman-analyze, timed by bench/run.sh against it.

    tshark -r F.pcap -Y gearman -T fields -e frame.time_epoch -e tcp.stream \
        -e gearman.magic_code -e gearman.pkt_type -e gearman.job.handle -e gearman.func.name \
      | python3 bench/tshark_jobs.py > jobs.json

Rules (those of docs/generator.md): a job is a handle; submits on a connection are answered by
JOB_CREATED in order and the first submit of a handle owns the job; queue = JOB_CREATED ->
JOB_ASSIGN, run = JOB_ASSIGN -> the worker's first WORK_COMPLETE/FAIL/EXCEPTION, total = owner's
submit -> that result forwarded to the owner. Nearest-rank percentiles, milliseconds.
Several PDUs in one frame come as comma-separated lists: aligned when each PDU of the frame has
the field, which holds for the captures the generator writes."""
import json
import math
import sys
from collections import defaultdict, deque

SUBMIT = {7: False, 21: False, 33: False, 18: True, 32: True, 34: True}
CREATED, ASSIGN, ASSIGN_UNIQ = 8, 11, 31
TERMINAL = {13: "complete", 14: "fail", 25: "exception"}


def stats(v):
    v.sort()
    out = {"count": len(v)}
    if v:
        def rank(p):
            return v[max(1, math.ceil(p / 100.0 * len(v))) - 1]
        out.update(min=v[0], p50=rank(50), p90=rank(90), p99=rank(99), max=v[-1], mean=sum(v) / len(v))
        out = {k: (round(x / 1000.0, 6) if k != "count" else x) for k, x in out.items()}
    return out


def main():
    pending = defaultdict(deque)  # stream -> submits (time_us, background, function)
    jobs = {}  # handle -> dict
    for line in sys.stdin:
        f = line.rstrip("\n").split("\t")
        if len(f) < 4 or not f[3]:
            continue
        t = round(float(f[0]) * 1e6)
        stream = f[1]
        magics = f[2].split(",")
        types = [int(x) for x in f[3].split(",")]
        handles = f[4].split(",") if len(f) > 4 and f[4] else []
        funcs = f[5].split(",") if len(f) > 5 and f[5] else []
        hi = fi = 0
        for magic, ty in zip(magics, types):
            if ty in SUBMIT:
                fn = funcs[fi] if fi < len(funcs) else ""
                fi += 1
                pending[stream].append((t, SUBMIT[ty], fn))
            elif ty == CREATED:
                h = handles[hi] if hi < len(handles) else ""
                hi += 1
                if not pending[stream]:
                    continue
                st, bg, fn = pending[stream].popleft()
                if h not in jobs:
                    jobs[h] = {"fn": fn, "submit": st, "created": t, "bg": bg, "owner": stream,
                               "assign": None, "end": None, "outcome": None, "delivered": None}
            elif ty in (ASSIGN, ASSIGN_UNIQ):
                h = handles[hi] if hi < len(handles) else ""
                hi += 1
                fi += 1
                j = jobs.get(h)
                if j and j["assign"] is None:
                    j["assign"] = t
            elif ty in TERMINAL or ty in (12, 28, 29, 15, 20):
                h = handles[hi] if hi < len(handles) else ""
                hi += 1
                j = jobs.get(h)
                if not j or ty not in TERMINAL:
                    continue
                if magic == "REQ" and j["end"] is None:
                    j["end"], j["outcome"] = t, TERMINAL[ty]
                elif magic == "RES" and stream == j["owner"] and j["delivered"] is None:
                    j["delivered"] = t
            elif ty == 1:  # CAN_DO
                fi += 1
    per = defaultdict(lambda: {"jobs": 0, "complete": 0, "fail": 0, "exception": 0, "incomplete": 0,
                               "q": [], "r": [], "t": []})
    for j in jobs.values():
        p = per[j["fn"]]
        p["jobs"] += 1
        if j["assign"] is not None:
            p["q"].append(j["assign"] - j["created"])
        if j["end"] is None:
            p["incomplete"] += 1
            continue
        p[j["outcome"]] += 1
        if j["assign"] is not None:
            p["r"].append(j["end"] - j["assign"])
        if not j["bg"] and j["delivered"] is not None:
            p["t"].append(j["delivered"] - j["submit"])
    out = {"jobs": {k: sum(p[k] for p in per.values()) for k in ("complete", "fail", "exception", "incomplete")},
           "functions": []}
    out["jobs"]["total"] = sum(p["jobs"] for p in per.values())
    out["jobs"]["background"] = sum(1 for j in jobs.values() if j["bg"])
    for name in sorted(per):
        p = per[name]
        out["functions"].append({"name": name, "jobs": p["jobs"], "complete": p["complete"], "fail": p["fail"],
                                 "exception": p["exception"], "incomplete": p["incomplete"],
                                 "queue_ms": stats(p["q"]), "run_ms": stats(p["r"]), "total_ms": stats(p["t"])})
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
