#!/usr/bin/env bash
# The benchmark's tshark pipeline (bench/tshark_jobs.py) must compute what the generator's truth
# says, or "gearman-analyze is N times faster than it" compares with a wrong program; and
# bench/compare_truth.py must notice a difference.
# Usage: tshark_pipeline_test.sh GEARMAN_GEN BENCH_DIR
set -euo pipefail
gen=$1 bench=$2
if ! command -v tshark >/dev/null; then echo "tshark not installed: skipped"; exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fields=(-e frame.time_epoch -e tcp.stream -e gearman.magic_code -e gearman.pkt_type -e gearman.job.handle -e gearman.func.name)
# No split headers: the built-in dissector reads everything, so the pipeline must match exactly.
"$gen" -q --seed 4 --jobs 1500 --clients 5 --workers 8 --split 0 --stuck 1 --out "$work/a.pcap" --truth "$work/a.json"
tshark -r "$work/a.pcap" -Y gearman -T fields "${fields[@]}" 2>/dev/null | python3 "$bench/tshark_jobs.py" > "$work/a.out.json"
python3 "$bench/compare_truth.py" "$work/a.json" "$work/a.out.json"
# Another seed's truth differs: the comparison must say so.
"$gen" -q --seed 5 --jobs 1500 --clients 5 --workers 8 --split 0 --out "$work/b.pcap" --truth "$work/b.json"
if python3 "$bench/compare_truth.py" "$work/b.json" "$work/a.out.json" >/dev/null; then
  echo "compare_truth.py did not notice a different capture" >&2
  exit 1
fi
echo "ok"
