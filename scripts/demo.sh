#!/usr/bin/env bash
# Runs the project's tools on one capture: the analyzer's report, then tshark with our plugin.
set -euo pipefail
cd "$(dirname "$0")/.."
capture=${1:-captures/basic-cli.pcap}
[ -f "$capture" ] || { echo "demo: no such capture: $capture" >&2; exit 1; }

if [ -x build/analyzer/gearman-analyze ]; then
  echo "== gearman-analyze $capture"
  build/analyzer/gearman-analyze "$capture"
fi

plugin=$(ls build/plugin/plugins/4.0/epan/*.so 2>/dev/null | head -n1 || true)
if [ -n "$plugin" ]; then
  echo
  echo "== tshark -Y gearman (with the gearman plugin) on $capture"
  bash scripts/tshark-with-plugin.sh -r "$capture" -Y gearman | head -n 40
fi
