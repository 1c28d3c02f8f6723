#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Checks gearman-analyze -i ... --format json output (JSON lines) against itself and the load.

check_live.py --truth FILE --nobody FUNCTION --stopped-by WHY [--saved REPORT.json] OUT.jsonl

- every line is an object; all but the last are {"type": "interval"}, the last {"type": "report"}
  with the offline report's keys, "live" and "open_at_end";
- the intervals follow each other without a gap, all of one length;
- per function, the intervals' submitted/complete/fail/exception/incomplete add up to the report's
  submits/complete/fail/exception/incomplete; per worker their busy time to the report's busy_ms;
- the report equals the load's truth (answered + background jobs complete, failed jobs fail, the
  jobs of the function with no worker open at the end, queued and never assigned);
- --saved: the capture saved with -w, read offline with --interval, has the same jobs, and its own
  intervals add up the same way.
"""
import argparse
import json
import sys

problems = []


def check(cond, what):
    if not cond:
        problems.append(what)


def check_sums(intervals, report, label):
    fns = {f["name"]: f for f in report["functions"]}
    sums = {}
    for iv in intervals:
        for f in iv["functions"]:
            s = sums.setdefault(f["name"], {k: 0 for k in ("submitted", "complete", "fail", "exception", "incomplete")})
            for k in s:
                s[k] += f[k]
    for name, f in fns.items():
        s = sums.get(name, {})
        for k, rk in (("submitted", "submits"), ("complete", "complete"), ("fail", "fail"),
                      ("exception", "exception"), ("incomplete", "incomplete")):
            check(s.get(k, 0) == f[rk], f"{label}: {name}: intervals' {k} add up to {s.get(k, 0)}, the report says {rk} {f[rk]}")
    for name in sums:
        check(name in fns, f"{label}: {name} is in the intervals, not in the report")
    busy = {}
    for iv in intervals:
        for w in iv["workers"]:
            busy[w["name"]] = busy.get(w["name"], 0.0) + w["busy_ms"]
    for w in report["workers"]:
        got = busy.get(w["name"], 0.0)
        check(abs(got - w["busy_ms"]) < 0.001 * (len(intervals) + 1),
              f"{label}: worker {w['name']}: intervals' busy_ms add up to {got}, the report says {w['busy_ms']}")
    for a, b in zip(intervals, intervals[1:]):
        check(a["end"] == b["start"], f"{label}: a gap between intervals: {a['end']} then {b['start']}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--truth", required=True)
    ap.add_argument("--nobody", required=True)
    ap.add_argument("--stopped-by", required=True)
    ap.add_argument("--saved")
    ap.add_argument("out")
    a = ap.parse_args()
    truth = {k: int(v) for k, v in (l.strip().split("=") for l in open(a.truth) if "=" in l)}

    lines = [l for l in open(a.out) if l.strip()]
    objs = []
    for i, l in enumerate(lines):
        try:
            objs.append(json.loads(l))
        except ValueError as e:
            sys.exit(f"line {i + 1} is not JSON ({e}): {l[:200]}")
    if not objs or objs[-1].get("type") != "report":
        sys.exit("the last line is not the report")
    report = objs[-1]
    intervals = objs[:-1]
    check(len(intervals) > 0, "no interval was written")
    for iv in intervals:
        check(iv.get("type") == "interval", f"a line of type {iv.get('type')} before the report")
        for k in ("start", "end", "functions", "workers", "oldest_running", "oldest_queued"):
            check(k in iv, f"interval without {k}")
    for k in ("tool", "version", "capture", "packets", "jobs", "functions", "workers", "servers", "slowest",
              "warnings", "live", "open_at_end"):
        check(k in report, f"the report has no {k}")
    check("intervals" not in report, "the live report repeats the intervals")
    check(report["live"]["stopped_by"] == a.stopped_by,
          f"stopped by {report['live']['stopped_by']}, want {a.stopped_by}")
    check(report["live"]["dropped"] == 0, f"the kernel dropped {report['live']['dropped']} packets")
    check_sums(intervals, report, "live")

    fns = {f["name"]: f for f in report["functions"]}
    rev = fns.get("live_rev", {})
    want = truth["answered"] + truth["background"]
    check(truth["answered"] == 12, f"only {truth['answered']} of 12 clients were answered (the load failed)")
    check(rev.get("complete") == want, f"live_rev: {rev.get('complete')} complete, the clients saw {want}")
    check(rev.get("submits") == 16, f"live_rev: {rev.get('submits')} submits, the clients made 16")
    check(rev.get("background") == truth["background"], f"live_rev: {rev.get('background')} background, want {truth['background']}")
    fl = fns.get("live_fail", {})
    check(fl.get("fail") == truth["failed"] == 3, f"live_fail: {fl.get('fail')} fail, the clients saw {truth['failed']} of 3 fail")
    nb = fns.get(a.nobody, {})
    check(nb.get("incomplete") == truth["queued"] == 2, f"{a.nobody}: {nb.get('incomplete')} incomplete, {truth['queued']} were queued")
    last = {f["name"]: f for f in intervals[-1]["functions"]} if intervals else {}
    check(last.get(a.nobody, {}).get("queued") == 2, f"{a.nobody}: the last interval does not show 2 queued: {last.get(a.nobody)}")
    check(last.get(a.nobody, {}).get("in_flight") == 2, f"{a.nobody}: the last interval does not show 2 in flight")
    open_ = report["open_at_end"]
    check(open_["never_assigned"] == 2 and open_["queued"] == 2,
          f"open_at_end: {open_['queued']} queued, {open_['never_assigned']} never assigned; want 2 and 2")
    check(any(o["function"] == a.nobody and o["state"] == "queued" for o in open_["oldest"]),
          f"open_at_end does not list the {a.nobody} jobs")
    check(report["jobs"]["total"] == want + truth["failed"] + truth["queued"],
          f"{report['jobs']['total']} jobs, the load made {want + truth['failed'] + truth['queued']}")

    if a.saved:
        saved = json.load(open(a.saved))
        sf = {f["name"]: f for f in saved["functions"]}
        for name, f in fns.items():
            for k in ("jobs", "complete", "fail", "exception", "incomplete", "submits"):
                check(sf.get(name, {}).get(k) == f[k], f"saved capture: {name} {k} {sf.get(name, {}).get(k)}, live {f[k]}")
        check("intervals" in saved, "the offline report with --interval has no intervals")
        check_sums(saved.get("intervals", []), saved, "saved")

    for p in problems:
        print("FAIL:", p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
