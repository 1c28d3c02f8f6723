#!/usr/bin/env python3
"""gearman-analyze --threads 2 writes exactly what --threads 1 writes on the load capture.

  check_threads.py GEARMAN_ANALYZE LOAD_DIR

The report (text and JSON) and the --jobs records (CSV and JSON lines, in their order) must be
byte-identical: the job engine on its own thread sees the PDUs in the single-threaded order.
Exit 1 with the first difference when they are not, 0 when they are, 77 (skipped) when there is
no capture.
"""
import os
import subprocess
import sys
import tempfile


def run(analyze, threads, fmt, jobs, pcap, extra):
    r = subprocess.run([analyze, "--no-progress", "--threads", str(threads), "--format", fmt,
                        "--jobs", jobs] + extra + [pcap], stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    with open(jobs, "rb") as f:
        records = f.read()
    return r.returncode, r.stdout, r.stderr, records


def first_difference(a, b):
    i = 0
    while i < len(a) and i < len(b) and a[i] == b[i]:
        i += 1
    return "at byte %d of %d/%d: one thread ...%r, two threads ...%r" % (
        i, len(a), len(b), a[max(0, i - 60):i + 60], b[max(0, i - 60):i + 60])


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    analyze, d = sys.argv[1], sys.argv[2]
    pcap = os.path.join(d, "load.pcap")
    if not os.path.exists(pcap):
        print("no %s: the load.capture fixture was skipped (not root, or a tool missing)" % pcap)
        return 77
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        # Intervals run on the job stage's thread, fed the frames' clock through the hand-over.
        for fmt, ext, extra in (("text", ".csv", []), ("json", ".jsonl", []),
                                ("json", ".csv", ["--interval", "0.5"]), ("csv", ".csv", ["--interval", "1"])):
            one = run(analyze, 1, fmt, os.path.join(tmp, "one" + ext), pcap, extra)
            two = run(analyze, 2, fmt, os.path.join(tmp, "two" + ext), pcap, extra)
            if one[0] != 0:
                print("--threads 1 --format %s failed (exit %d): %s" % (fmt, one[0], one[2].decode(errors="replace")))
                return 1
            for what, a, b in (("exit status", str(one[0]).encode(), str(two[0]).encode()),
                               ("the report", one[1], two[1]), ("stderr", one[2], two[2]),
                               ("the --jobs records", one[3], two[3])):
                if a != b:
                    print("--format %s, %s differs %s" % (fmt, what, first_difference(a, b)))
                    bad += 1
            print("--format %s %s and --jobs *%s: %d report bytes, %d record bytes, %s" % (
                fmt, " ".join(extra), ext, len(one[1]), len(one[3]), "identical" if not bad else "DIFFERENT"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
