#!/usr/bin/env bash
# README command (2): the whole test suite.
#  1. build/      g++, RelWithDebInfo: every GoogleTest suite, the tshark-driven plugin tests.
#  2. build-san/  clang with AddressSanitizer + UndefinedBehaviorSanitizer: the same suites (but the
#                 plugin's, which needs tshark itself sanitized) and a short run of each fuzzer.
#  3. build-plugin-asan/  the plugin built with ASan + UBSan inside stock tshark, on every bundled
#                 capture corrupted by editcap (fuzz/plugin-editcap.sh, 10 rounds each, ~40 s).
# Set GEARWIRE_SKIP_SANITIZED=1 to run only the first.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs" "$@"

if [ "${GEARWIRE_SKIP_SANITIZED:-0}" != 1 ]; then
  CC=clang CXX=clang++ cmake -S . -B build-san -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DGEARWIRE_SANITIZE=ON -DGEARWIRE_FUZZ=ON -DFUZZ_SMOKE_SECONDS=10 >/dev/null
  cmake --build build-san -j"$jobs"
  ctest --test-dir build-san --output-on-failure -j"$jobs" "$@"
  bash fuzz/plugin-editcap.sh "${EDITCAP_ROUNDS:-10}" 0.03
fi
