#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# gearman-gen's command line: --version, errors prefixed with the program's name and exit 2,
# write errors (a full disk) named with the file and exit 2. cli_test.sh GEARMAN_GEN VERSION
set -uo pipefail
gen=${1:?gearman-gen}
version=${2:?version}
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

out=$("$gen" --version 2>&1); rc=$?
[ "$rc" = 0 ] && [ "$out" = "gearman-gen $version" ] && pass "--version" || fail "--version: rc=$rc '$out'"
out=$("$gen" --help 2>&1); rc=$?
[ "$rc" = 0 ] && grep -q -- '--exception-then-fail P' <<<"$out" && pass "--help" || fail "--help: rc=$rc"

# expect_usage_error DESCRIPTION ARGS...: exit 2, stderr starts with "gearman-gen: ", no stdout.
expect_error() {
  local what=$1; shift
  "$gen" "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
  if [ "$rc" = 2 ] && [ ! -s "$tmp/out" ] && head -n1 "$tmp/err" | grep -q '^gearman-gen: '; then
    pass "$what: $(head -n1 "$tmp/err")"
  else
    fail "$what: rc=$rc stdout=$(head -c 200 "$tmp/out") stderr=$(head -c 300 "$tmp/err")"
  fi
}
expect_error "unknown option" --out "$tmp/a.pcap" --truth "$tmp/a.json" --bogus
expect_error "missing --truth" --out "$tmp/a.pcap"
expect_error "share out of range" --out "$tmp/a.pcap" --truth "$tmp/a.json" --loss 2
expect_error "bad --functions" --out "$tmp/a.pcap" --truth "$tmp/a.json" --functions 'a:nope=1'
expect_error "value missing" --out "$tmp/a.pcap" --truth
expect_error "capture on a full disk" --out /dev/full --truth "$tmp/a.json" --jobs 50 -q
expect_error "truth on a full disk" --out "$tmp/a.pcap" --truth /dev/full --jobs 50 -q
expect_error "jobs csv on a full disk" --out "$tmp/a.pcap" --truth "$tmp/a.json" --jobs-csv /dev/full --jobs 50 -q
grep -q "/dev/full: No space left on device" "$tmp/err" && pass "names the file and the reason" \
  || fail "write error message: $(cat "$tmp/err")"
expect_error "unwritable folder" --out /nonexistent/a.pcap --truth "$tmp/a.json" --jobs 5 -q
[ "$failures" = 0 ] || { echo "$failures failure(s)" >&2; exit 1; }
