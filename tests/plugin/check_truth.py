#!/usr/bin/env python3
"""Compares the plugin's job fields with the truth: check_truth.py TRUTH.json JOBS.tsv

TRUTH.json: gearman-gen's truth ("functions": [...]) or a capture manifest ("jobs": {"total", ...,
"by_function": {name: {...}}}).

JOBS.tsv: tshark -2 -T fields -E occurrence=a -E aggregator=';' -e gearman.job.function
-e gearman.job.outcome -e gearman.job.queue_time -e gearman.job.run_time -e gearman.job.total_time
-e gearman.job.created_in -e gearman.job.unique -e gearman.job.assigned_in -Y gearman.job.function
"""
import collections
import json
import sys

truth = json.load(open(sys.argv[1]))
jobs = {}
for line in open(sys.argv[2]):
    cols = [c.split(";") for c in line.rstrip("\n").split("\t")]
    for i in range(len(cols[0])):
        row = [c[i] if i < len(c) else "" for c in cols]
        fn, outcome, q, r, t, created, unique, assigned = row[:8]
        jobs[(created, unique, fn, assigned if not created else "")] = row

by = collections.defaultdict(lambda: collections.defaultdict(list))
for row in jobs.values():
    fn, outcome, q, r, t = row[:5]
    b = by[fn]
    b["jobs"].append(1)
    b[outcome].append(1)
    for key, val in (("queue_ms", q), ("run_ms", r), ("total_ms", t)):
        if val:
            b[key].append(float(val) * 1000)

functions = truth.get("functions")
if functions is None:
    functions = [dict(v, name=k) for k, v in truth.get("jobs", {}).get("by_function", {}).items()]
    for f in functions:
        if "jobs" not in f and "total" in f:
            f["jobs"] = f["total"]

bad = 0
totals = collections.Counter()
for b in by.values():
    totals["total"] += len(b["jobs"])
    for k in ("complete", "fail", "exception", "incomplete"):
        totals[k] += len(b[k])
for k in ("total", "complete", "fail", "exception", "incomplete"):
    want = truth.get("jobs", {}).get(k)
    if isinstance(want, int) and want != totals[k]:
        print(f"jobs {k}: truth {want} plugin {totals[k]}")
        bad += 1
for f in functions:
    b = by[f["name"]]
    for k in ("jobs", "complete", "fail", "exception", "incomplete"):
        if k in f and f[k] != len(b[k]):
            print(f"{f['name']}: {k} truth {f[k]} plugin {len(b[k])}")
            bad += 1
    for k in ("queue_ms", "run_ms", "total_ms"):
        if k not in f or not f[k].get("count"):
            continue
        v = b[k]
        if len(v) != f[k]["count"] or abs(sum(v) / len(v) - f[k]["mean"]) > 0.01 or abs(max(v) - f[k]["max"]) > 0.01:
            print(f"{f['name']}: {k} truth n={f[k]['count']} mean={f[k]['mean']} max={f[k]['max']}; "
                  f"plugin n={len(v)} mean={sum(v) / len(v) if v else None} max={max(v) if v else None}")
            bad += 1
print("jobs:", totals["total"], "truth:", truth.get("jobs", {}).get("total"))
sys.exit(1 if bad else 0)
