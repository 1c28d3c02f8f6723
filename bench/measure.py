#!/usr/bin/env python3
"""measure.py RUNS CMD [ARG...]: runs CMD RUNS times (stdout and stderr discarded) and prints
"MEDIAN_SECONDS MEDIAN_PEAK_RSS_KIB" (peak RSS: the largest process of the run, as GNU time's %M).

measure.py RUNS CMD_A... --vs CMD_B...: runs A and B alternately, RUNS times each, and prints
"A_MEDIAN_S A_MEDIAN_KIB B_MEDIAN_S B_MEDIAN_KIB RATIO RATIO_MIN RATIO_MAX", RATIO being the median
over the pairs of B's time / A's time (run next to each other, so a machine that gets busier or
quieter during the measurement moves both alike), RATIO_MIN and RATIO_MAX the smallest and largest
pair: how far one pair may be from another on this machine right now.

With QUIET_CHECK set (a command printing "P10 P90 UNEVEN", bench/core_speed.c) the --vs form
runs it before the first pair and after each pair, and keeps the pairs it calls quiet both
before and after (P10 >= 0.8: at most a tenth of the cores' 50 ms slices below 80 % of the
median slice; UNEVEN <= 25: the two cores within 80 % of each other in three slices of four),
up to QUIET_ATTEMPTS pairs (default 3 x RUNS) until RUNS are kept. The line then has four more
fields, "KEPT ALL ALL_RATIO QUIET": the pairs kept, the pairs run, the median ratio over all of
them, and 1 when the first seven are over the kept pairs (at least a third of RUNS and 3 were
kept), 0 when they are over all pairs.
The check never looks at the runs' own times.

Exits non-zero if any run fails. No hyperfine or GNU time needed. Set RUNSTAT to a built
bench/runstat.c (run.sh does): Linux keeps the RSS high-water mark across execve, so a command
forked from python itself reports at least python's RSS (~14 MiB)."""
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


def medians(results):
    return statistics.median(r[0] for r in results), int(statistics.median(r[1] for r in results))


def main():
    runs = int(sys.argv[1])
    cmd = sys.argv[2:]
    if "--vs" not in cmd:
        t, m = medians([once(cmd) for _ in range(runs)])
        print(f"{t:.4f} {m}")
        return
    i = cmd.index("--vs")
    a, b = cmd[:i], cmd[i + 1:]
    check = os.environ.get("QUIET_CHECK")
    if not check:
        ra, rb = [], []
        for _ in range(runs):
            ra.append(once(a))
            rb.append(once(b))
        print(pair_line(ra, rb))
        return
    attempts = int(os.environ.get("QUIET_ATTEMPTS", 3 * runs))
    ra, rb, kept = [], [], []
    before = quiet(check)
    while len(ra) < attempts and len(kept) < runs:
        ra.append(once(a))
        rb.append(once(b))
        after = quiet(check)  # and before the next pair
        if before and after:
            kept.append(len(ra) - 1)
        before = after
    all_ratio = statistics.median(y[0] / x[0] for x, y in zip(ra, rb))
    run_pairs = len(ra)
    enough = len(kept) >= min_kept(runs)
    if enough:
        ra, rb = [ra[k] for k in kept], [rb[k] for k in kept]
    print(f"{pair_line(ra, rb)} {len(kept)} {run_pairs} {all_ratio:.3f} {int(enough)}")


def pair_line(ra, rb):
    ta, ma = medians(ra)
    tb, mb = medians(rb)
    ratios = [y[0] / x[0] for x, y in zip(ra, rb)]
    return f"{ta:.4f} {ma} {tb:.4f} {mb} {statistics.median(ratios):.3f} {min(ratios):.3f} {max(ratios):.3f}"


def min_kept(runs):
    """Quiet pairs enough to stand for the quiet machine: a third of those asked for, at least 3
    (a single kept pair was as far from the next as any other pair)."""
    return max(3, (runs + 2) // 3)


def quiet(check):
    """Whether the check command calls the cores steady right now (see the module's doc)."""
    out = subprocess.run(check, shell=True, stdout=subprocess.PIPE, text=True, check=True).stdout.split()
    p10, _, uneven = float(out[0]), float(out[1]), float(out[2])
    return p10 >= 0.8 and uneven <= 25


if __name__ == "__main__":
    main()
