#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What gearman-analyze --html costs on a big capture (issue 13): the page's size, and the run time
# with --html over the run time without it, on a gearman-gen capture of 1M jobs. Goals: a page
# under 5 MB, a ratio under 1.25.
#
#   bash bench/html.sh [--jobs N] [--runs N] [--build DIR] [--dir DIR] [--keep]
#
#   --jobs N    jobs in the capture (default 1000000; about 2.7 GB of pcap, made in ~10 s)
#   --runs N    pairs of runs (without, with --html), interleaved so that a busy neighbour on a
#               shared machine slows both alike; the medians are reported (default 5)
#   --build DIR the CMake build folder (default build, or $BUILD_DIR)
#   --dir DIR   where the capture and the page go (default /tmp/gearman-bench-html, or $BENCH_DIR)
#   --keep      keep the capture afterwards
#
# Both runs write the JSON report to /dev/null (--format json --no-progress): the difference is the
# page alone. Exit 0 when both goals are met, 1 when one is missed, 2 on a usage or build problem.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
jobs=1000000 runs=5 keep=0
build=${BUILD_DIR:-build}
dir=${BENCH_DIR:-/tmp/gearman-bench-html}
while [ $# -gt 0 ]; do
  case $1 in
    --jobs) jobs=$2; shift ;;
    --runs) runs=$2; shift ;;
    --build) build=$2; shift ;;
    --dir) dir=$2; shift ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | grep -v '^set' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "html.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
case $build in /*) ;; *) build=$here/$build ;; esac
analyzer=$build/analyzer/gearman-analyze gen=$build/generator/gearman-gen
for b in "$analyzer" "$gen"; do
  [ -x "$b" ] || { echo "html.sh: $b is not built (cmake --build $build)" >&2; exit 2; }
done
mkdir -p "$dir"
"${CC:-cc}" -O2 -o "$dir/runstat" "$here/bench/runstat.c"
export RUNSTAT=$dir/runstat  # measure.py: wall time and peak RSS of the analyzer alone

cap=$dir/gen-$jobs.pcap page=$dir/gen-$jobs.html
if [ ! -s "$cap" ]; then
  "$gen" -q --seed 1 --jobs "$jobs" --clients 16 --workers 32 --out "$cap" --truth "$dir/gen-$jobs.json"
fi
[ $keep = 1 ] || trap 'rm -f "$cap" "$dir/gen-$jobs.json"' EXIT
cat "$cap" >/dev/null  # the page cache warm for the first run as for the others

plain=() html=()
for _ in $(seq "$runs"); do
  plain+=("$(python3 "$here/bench/measure.py" 1 "$analyzer" --no-progress --format json "$cap")")
  html+=("$(python3 "$here/bench/measure.py" 1 "$analyzer" --no-progress --format json --html "$page" "$cap")")
done
size=$(stat -c %s "$page")
bins=$(grep -o 'data-bins="[0-9]*"' "$page" | head -1 | tr -dc 0-9)
width=$(grep -o 'data-interval-s="[^"]*"' "$page" | head -1 | cut -d'"' -f2)
python3 - "$jobs" "$size" "$bins" "$width" "${plain[*]}" "${html[*]}" <<'EOF'
import statistics, sys
jobs, size, bins, width = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
def pairs(s):
    v = s.split()
    return [(float(v[i]), int(v[i + 1])) for i in range(0, len(v), 2)]
p, h = pairs(sys.argv[5]), pairs(sys.argv[6])
tp, th = statistics.median(t for t, _ in p), statistics.median(t for t, _ in h)
mp, mh = statistics.median(m for _, m in p), statistics.median(m for _, m in h)
ratio = statistics.median(b / a for (a, _), (b, _) in zip(p, h))  # per interleaved pair
ok_size, ok_time = size < 5_000_000, ratio < 1.25
print(f"gearman-analyze --html on {jobs:,} jobs: page {size / 1e6:.2f} MB ({bins} bins of {width} s), goal < 5 MB: "
      f"{'ok' if ok_size else 'MISSED'}")
print(f"  time without {tp:.2f} s ({mp / 1024:.1f} MiB), with --html {th:.2f} s ({mh / 1024:.1f} MiB): "
      f"ratio {ratio:.2f} (median of {len(p)} pairs), goal < 1.25: {'ok' if ok_time else 'MISSED'}")
sys.exit(0 if ok_size and ok_time else 1)
EOF
