#!/usr/bin/env bash
# README command (1): install what is needed, build, and run the main job on a bundled capture.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
bash scripts/demo.sh "${1:-captures/basic-cli.pcap}"
