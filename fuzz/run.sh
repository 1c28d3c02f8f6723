#!/usr/bin/env bash
# Long fuzzing runs of the targets, one after another, seeded from the real captures (fuzz_engine:
# from the scripts of engine_seeds.cpp).
#   bash fuzz/run.sh [SECONDS_PER_TARGET] [TARGET ...]     (default 600 s, all targets)
#   RUNS=10500000 bash fuzz/run.sh 7200 admin              (stop a target after RUNS executions)
# Each target runs from a copy of its binary, so rebuilding build-san meanwhile is safe; its
# corpus grows in build-san/fuzz/long-TARGET and is reused by the next run.
# Crashes land in fuzz/artifacts/; turn each into a regression test before fixing it.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(framer arguments admin stream analyzer engine)

CC=clang CXX=clang++ cmake -S . -B build-san -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DGEARWIRE_SANITIZE=ON -DGEARWIRE_FUZZ=ON >/dev/null
cmake --build build-san -j"$(nproc)" --target make_corpus "${targets[@]/#/fuzz_}"
corpus=build-san/fuzz/corpus
build-san/fuzz/make_corpus "$corpus"
mkdir -p "$corpus/analyzer" && find captures -maxdepth 1 -name "*.pcap" -size -100k -exec cp {} "$corpus/analyzer/" \;
mkdir -p fuzz/artifacts
bin=$(mktemp -d /tmp/gearwire-fuzz.XXXXXX)
trap 'rm -rf "$bin"' EXIT
for t in "${targets[@]}"; do cp build-san/fuzz/fuzz_"$t" "$bin/"; done
for t in "${targets[@]}"; do
  work=build-san/fuzz/long-$t
  mkdir -p "$work"
  echo "== fuzz_$t for ${seconds}s${RUNS:+ or $RUNS executions}"
  "$bin"/fuzz_"$t" -max_total_time="$seconds" ${RUNS:+-runs="$RUNS"} -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix=fuzz/artifacts/"$t"- "$work" "$corpus/$t" 2>&1 | grep -E '^(#[0-9]+ *DONE|stat::number_of_executed_units|==|SUMMARY)' || true
done
