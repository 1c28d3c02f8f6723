#!/usr/bin/env python3
"""measure.py RUNS CMD [ARG...]: runs CMD RUNS times (stdout and stderr discarded) and prints
"MEDIAN_SECONDS MEDIAN_PEAK_RSS_KIB" (peak RSS: the largest process of the run, as GNU time's %M).
Exits non-zero if any run fails. No hyperfine or GNU time needed.

Set RUNSTAT to a built bench/runstat.c (run.sh does): Linux keeps the RSS high-water mark across
execve, so a command forked from python itself reports at least python's RSS (~14 MiB)."""
import os
import statistics
import subprocess
import sys
import time


def once(cmd):
    runstat = os.environ.get("RUNSTAT")
    if runstat:
        out = subprocess.run([runstat] + cmd, stdout=subprocess.PIPE, check=True, text=True).stdout.split()
        secs, kib, code = float(out[0]), int(out[1]), int(out[2])
        if code != 0:
            sys.stderr.write(f"measure: {' '.join(cmd)} exited with {code}\n")
            sys.exit(1)
        return secs, kib
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    secs = time.monotonic() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.stderr.write(f"measure: {' '.join(cmd)} exited with {p.returncode}\n")
        sys.exit(1)
    return secs, ru.ru_maxrss


def main():
    runs = int(sys.argv[1])
    cmd = sys.argv[2:]
    results = [once(cmd) for _ in range(runs)]
    t = statistics.median(r[0] for r in results)
    m = statistics.median(r[1] for r in results)
    print(f"{t:.4f} {int(m)}")


if __name__ == "__main__":
    main()
