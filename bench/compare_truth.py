#!/usr/bin/env python3
"""compare_truth.py TRUTH.json OTHER.json [--pct-tolerance R]: do the per-function counts and
latency statistics of OTHER (the analyzer's or the tshark pipeline's JSON) match the generator's
ground truth? Counts, min, max and mean must match (within 0.001 ms); p50/p90/p99 must too, or
be within the relative tolerance R (e.g. 0.01 for 1 %) when given, for a histogram-based reader.
Prints one line; exit 0 when everything matches, 1 otherwise."""
import json
import sys

COUNTS = ("jobs", "complete", "fail", "exception", "incomplete")
STATS = ("count", "min", "p50", "p90", "p99", "max", "mean")


def main():
    args = sys.argv[1:]
    tol = None
    if "--pct-tolerance" in args:
        i = args.index("--pct-tolerance")
        tol = float(args[i + 1])
        del args[i:i + 2]
    truth, other = (json.load(open(p)) for p in args[:2])
    bad = []
    pct_err = 0.0  # largest relative error of a percentile
    pct_where = ""
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
                if abs(a - b) <= (0.5 if k == "count" else 0.001):
                    continue
                if k in ("p50", "p90", "p99"):
                    err = abs(a - b) / abs(a) if a else float("inf")
                    if err > pct_err:
                        pct_err, pct_where = err, f"{f['name']}.{s}.{k} {b} vs {a}"
                    if tol is not None and err <= tol:
                        continue
                    if tol is None:
                        continue  # reported below as one figure
                bad.append(f"{f['name']}.{s}.{k} {b} != {a}")
    if tol is None and pct_err > 0:
        if not bad:
            print(f"counts, min, max and mean match; percentiles are not exact: largest error "
                  f"{pct_err * 100:.2f} % ({pct_where})")
            sys.exit(1)
        bad.append(f"percentiles off by up to {pct_err * 100:.2f} %")
    if bad:
        print(f"MISMATCH ({len(bad)}): " + "; ".join(bad[:8]))
        sys.exit(1)
    if pct_err > 0:
        print(f"matches the ground truth (percentiles within {pct_err * 100:.2f} %, tolerance {tol * 100:g} %)")
    else:
        print("matches the ground truth")


if __name__ == "__main__":
    main()
