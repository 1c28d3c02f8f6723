#!/usr/bin/env python3
"""compare_truth.py TRUTH.json OTHER.json: do the per-function counts and latency statistics of
OTHER (the analyzer's or the tshark pipeline's JSON) match the generator's ground truth?
Prints one line; exit 0 when everything matches (latencies within 0.001 ms), 1 otherwise."""
import json
import sys

COUNTS = ("jobs", "complete", "fail", "exception", "incomplete")
STATS = ("count", "min", "p50", "p90", "p99", "max", "mean")


def main():
    truth, other = (json.load(open(p)) for p in sys.argv[1:3])
    bad = []
    for k in ("total", "complete", "fail", "exception", "incomplete", "background"):
        if k in other.get("jobs", {}) and other["jobs"][k] != truth["jobs"][k]:
            bad.append(f"jobs.{k} {other['jobs'][k]} != {truth['jobs'][k]}")
    theirs = {f["name"]: f for f in other.get("functions", [])}
    for f in truth["functions"]:
        o = theirs.get(f["name"])
        if o is None:
            bad.append(f"function {f['name']} missing")
            continue
        for k in COUNTS:
            if k in o and o[k] != f[k]:
                bad.append(f"{f['name']}.{k} {o[k]} != {f[k]}")
        for s in ("queue_ms", "run_ms", "total_ms"):
            for k in STATS:
                a, b = f.get(s, {}).get(k), o.get(s, {}).get(k)
                if a is None or b is None:
                    continue
                if abs(a - b) > (0.5 if k == "count" else 0.001):
                    bad.append(f"{f['name']}.{s}.{k} {b} != {a}")
    if bad:
        print(f"MISMATCH ({len(bad)}): " + "; ".join(bad[:8]))
        sys.exit(1)
    print("matches the ground truth")


if __name__ == "__main__":
    main()
