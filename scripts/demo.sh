#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs the project's tools on one capture: the analyzer's report, then tshark with our plugin.
#
#   demo.sh [capture]             the tools of the build in ${BUILD_DIR:-build}
#   PREFIX=DIR demo.sh [capture]  the tools `cmake --install` put under DIR
#
# Exits 0 when both ran, 1 when a tool is missing or failed (with a message saying which).
set -euo pipefail
cd "$(dirname "$0")/.."
capture=${1:-captures/basic-cli.pcap}
[ -f "$capture" ] || { echo "demo: no such capture: $capture" >&2; exit 1; }

if [ -n "${PREFIX:-}" ]; then
  analyze=$PREFIX/bin/gearman-analyze
  plugins=$PREFIX/lib/wireshark/plugins
else
  analyze=${BUILD_DIR:-build}/analyzer/gearman-analyze
  plugins=${BUILD_DIR:-build}/plugin/plugins
fi
if [ ! -x "$analyze" ]; then
  echo "demo: $analyze not found: build first (cmake -S . -B build && cmake --build build)" >&2
  exit 1
fi

echo "== gearman-analyze $capture"
"$analyze" "$capture"

if ! ls "$plugins"/*/epan/gearman.so >/dev/null 2>&1; then
  echo
  echo "demo: no Wireshark plugin under $plugins (libwireshark-dev missing at build time?): tshark part skipped"
  exit 0
fi
echo
echo "== tshark -Y gearman (with the gearman plugin) on $capture"
# The whole output is taken first and then cut: tshark writing into a pipe that `head` closes
# exits 2 (and with pipefail the demo with it).
out=$(PLUGIN_DIR=$plugins bash scripts/tshark-with-plugin.sh -r "$capture" -Y gearman)
lines=$(grep -c '' <<<"$out" || true)
sed -n '1,40p' <<<"$out"
if [ "$lines" -gt 40 ]; then
  echo "... $((lines - 40)) more; all of them: bash scripts/tshark-with-plugin.sh -r $capture -Y gearman"
fi
