#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/measure.py's quiet gate (QUIET_CHECK) and bench/core_speed.c, on stand-in commands: which
# pairs are kept, how many are run, what the line says when none is quiet.
# Environment: SRC_DIR.
set -uo pipefail
SRC_DIR=${SRC_DIR:?}
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
measure() { python3 "$SRC_DIR/bench/measure.py" "$@"; }

# A check that is quiet on its calls 0, 1, 3, 4, 6, 7, ...: measure.py calls it before the first
# pair and after each, so pairs 0, 3, 6 are quiet at both ends and the others are not.
cat > "$tmp/check.sh" <<'SH'
n=$(cat "$1" 2>/dev/null || echo 0); echo $((n + 1)) > "$1"
if [ $((n % 3)) -lt 2 ]; then echo "0.90 1.02 0"; else echo "0.50 1.80 60"; fi
SH

line=$(QUIET_CHECK="bash $tmp/check.sh $tmp/n1" measure 3 true --vs true)
read -r -a f <<< "$line"
[ ${#f[@]} = 11 ] && pass "gated line has 11 fields" || fail "gated line: '$line'"
[ "${f[10]:-}" = 1 ] && pass "3 of 3 kept: the ratio is the quiet pairs'" || fail "QUIET field: '$line'"
[ "${f[7]:-}" = 3 ] && [ "${f[8]:-}" = 7 ] && pass "3 quiet pairs kept of 7 run" || fail "kept/run: '$line'"
[ "$(cat "$tmp/n1")" = 8 ] && pass "the check ran before the first pair and after each of the 7" || fail "check calls: $(cat "$tmp/n1")"

echo "0.50 1.80 60" > "$tmp/noisy"
line=$(QUIET_CHECK="cat $tmp/noisy" measure 2 true --vs true)
read -r -a f <<< "$line"
[ "${f[7]:-}" = 0 ] && [ "${f[8]:-}" = 6 ] && [ "${f[10]:-}" = 0 ] && pass "none quiet: 0 kept, 3 x RUNS pairs run, over all" || fail "none quiet: '$line'"
line=$(QUIET_CHECK="cat $tmp/noisy" QUIET_ATTEMPTS=4 measure 2 true --vs true)
read -r -a f <<< "$line"
[ "${f[8]:-}" = 4 ] && pass "QUIET_ATTEMPTS bounds the pairs run" || fail "QUIET_ATTEMPTS=4: '$line'"

for check in "0.79 1.0 0" "0.80 1.0 26"; do
  echo "$check" > "$tmp/edge"
  line=$(QUIET_CHECK="cat $tmp/edge" QUIET_ATTEMPTS=2 measure 1 true --vs true)
  read -r -a f <<< "$line"
  [ "${f[7]:-}" = 0 ] && pass "'$check' is not quiet" || fail "'$check' kept: '$line'"
done
echo "0.80 1.0 25" > "$tmp/edge"
line=$(QUIET_CHECK="cat $tmp/edge" measure 3 true --vs true)
read -r -a f <<< "$line"
[ "${f[7]:-}" = 3 ] && pass "'0.80 1.0 25' is quiet" || fail "'0.80 1.0 25' not kept: '$line'"

# Too few quiet pairs stand for nothing: 1 quiet pair of 9 run for 15 asked is not the ratio.
cat > "$tmp/once.sh" <<'SH'
n=$(cat "$1" 2>/dev/null || echo 0); echo $((n + 1)) > "$1"
if [ "$n" -lt 2 ]; then echo "0.90 1.02 0"; else echo "0.50 1.80 60"; fi
SH
line=$(QUIET_CHECK="bash $tmp/once.sh $tmp/n2" QUIET_ATTEMPTS=9 measure 15 true --vs true)
read -r -a f <<< "$line"
[ "${f[7]:-}" = 1 ] && [ "${f[8]:-}" = 9 ] && [ "${f[10]:-}" = 0 ] && pass "1 quiet pair of 15 asked: over all pairs" || fail "one quiet pair: '$line'"

line=$(measure 2 true --vs true)
read -r -a f <<< "$line"
[ ${#f[@]} = 7 ] && pass "without QUIET_CHECK: the 7 fields as before" || fail "ungated line: '$line'"

if cc -O2 -pthread -o "$tmp/core_speed" "$SRC_DIR/bench/core_speed.c"; then
  read -r p10 p90 uneven rest <<< "$("$tmp/core_speed" 0.5)"
  python3 -c "import sys; p10, p90, u = map(float, sys.argv[1:4]); sys.exit(0 if 0 < p10 <= 1 <= p90 and 0 <= u <= 100 else 1)" \
    "${p10:-x}" "${p90:-x}" "${uneven:-x}" 2>/dev/null && [ -z "${rest:-}" ] \
    && pass "core_speed: '$p10 $p90 $uneven'" || fail "core_speed printed '$p10 $p90 $uneven $rest'"
  "$tmp/core_speed" 0.1 >/dev/null 2>&1 && fail "core_speed 0.1 s accepted" || pass "core_speed refuses a window under 0.5 s"
else
  fail "bench/core_speed.c does not build"
fi

[ $failures = 0 ] && echo "all passed" || echo "$failures failure(s)"
exit $((failures > 0))
