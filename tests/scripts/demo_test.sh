#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# scripts/demo.sh (README command (1) ends with it) on every bundled capture: exit 0, nothing on
# stderr, the analyzer's whole report with the manifest's job count, and tshark's Gearman lines.
# Environment: SRC_DIR, BUILD_DIR, WITH_PLUGIN (1 when the plugin is built).
set -uo pipefail
SRC_DIR=${SRC_DIR:?}
BUILD_DIR=${BUILD_DIR:?}
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

n=0
for cap in "$SRC_DIR"/captures/*.pcap; do
  n=$((n + 1))
  name=$(basename "$cap")
  BUILD_DIR=$BUILD_DIR bash "$SRC_DIR/scripts/demo.sh" "$cap" >"$out" 2>"$err"
  rc=$?
  [ "$rc" = 0 ] && pass "$name: exit 0" || fail "$name: exit $rc: $(head -c 400 "$err")"
  [ -s "$err" ] && fail "$name: stderr: $(head -c 400 "$err")"
  jobs=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["jobs"]["total"])' "${cap%.pcap}.manifest.json")
  grep -q "^jobs: $jobs total" "$out" && pass "$name: report says $jobs jobs, as the manifest" \
    || fail "$name: no 'jobs: $jobs total' line: $(grep '^jobs:' "$out")"
  grep -q '^warnings' "$out" || fail "$name: the report is cut short (no warnings section)"
  if [ "${WITH_PLUGIN:-0}" = 1 ]; then
    g=$(grep -c ' Gearman ' "$out" || true)
    [ "$g" -gt 0 ] && pass "$name: $g tshark lines with the plugin" || fail "$name: no Gearman lines from tshark"
  fi
done
[ "$n" -ge 8 ] || fail "only $n bundled captures found"
[ "$failures" = 0 ] || { echo "$failures failure(s)" >&2; exit 1; }
