#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# gearman-analyze -i: live capture on the loopback of a network namespace this test makes, with a
# real C gearmand, `gearman -w` workers and `gearman` clients. Truth: what the clients did (jobs
# submitted, answered, failed; background jobs; jobs for a function no worker has).
#   1. -i lo --duration --interval 0.5 --format json -w FILE during the load: JSON lines, one
#      object per interval and a last "report"; the intervals add up to the report, and the report
#      to the load; the saved file read offline gives the same jobs; --html writes a page whose
#      numbers and bins are the report's and the intervals' (tests/html/html_test.py).
#   2. SIGINT ends a capture with no --duration: the report, exit 0; SIGTERM too.
#   3. stdin (tcpdump -w - | gearman-analyze -): SIGINT to the analyzer alone ends it with the
#      report, exit 0.
#   4. On a terminal (tmux, 160x50): the screen shows the functions; 's' changes the sort; 'q'
#      ends it and the text report follows.
# live_test.sh GEARMAN_ANALYZE. Needs root, unshare, tcpdump, tmux, python3, gearman-job-server,
# gearman-tools; exits 77 (ctest: skipped) without them. Every wait is bounded; nothing asserts
# on time.
set -uo pipefail
analyze=${1:?gearman-analyze}
case $analyze in /*) ;; *) analyze=$PWD/$analyze ;; esac
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../support/netns.sh
source "$(dirname "$0")/../support/netns.sh"
in_own_netns "$0" "network namespace, live capture" unshare tcpdump tmux gearman python3 ip -- "$analyze"

work=$(mktemp -d /tmp/gearwire-live.XXXXXX)
pids=()
tmux_sock=$work/tmux.sock
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  [ -S "$tmux_sock" ] && tmux -S "$tmux_sock" kill-server 2>/dev/null
  [ -f "$work/gearmand.pid" ] && kill "$(cat "$work/gearmand.pid")" 2>/dev/null
  wait 2>/dev/null
  [ -n "${KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

ip link set lo up
"$GEARMAND" -L 127.0.0.1 -p 4730 -d --pid-file="$work/gearmand.pid" -l "$work/gearmand.log" --threads=1
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/4730) 2>/dev/null && break; sleep 0.05; done
(exec 3<>/dev/tcp/127.0.0.1/4730) 2>/dev/null || { echo "FAIL: gearmand did not listen" >&2; exit 1; }

gearman -h 127.0.0.1 -w -f live_rev -- rev >/dev/null 2>&1 &
pids+=($!)
gearman -h 127.0.0.1 -w -f live_fail -- false >/dev/null 2>&1 &
pids+=($!)
sleep 0.3

# wait_capturing ERRFILE: the analyzer's "capturing on" line (the capture is open).
wait_capturing() {
  for _ in $(seq 100); do grep -q "capturing on" "$1" 2>/dev/null && return 0; sleep 0.05; done
  return 1
}

# load TAG: the clients' work, and their truth in $work/TAG.truth (python-readable key=value).
load() {
  local tag=$1 answered=0 failed=0 bg=0 queued=0 i out
  for i in $(seq 12); do
    out=$(timeout 10 gearman -h 127.0.0.1 -f live_rev "$tag payload $i" 2>>"$work/$tag.client.err")
    [ "$out" = "$(printf '%s' "$tag payload $i" | rev)" ] && answered=$((answered + 1))
  done
  for i in 1 2 3; do
    timeout 10 gearman -h 127.0.0.1 -f live_fail "x$i" >/dev/null 2>>"$work/$tag.client.err" || failed=$((failed + 1))
  done
  for i in 1 2 3 4; do
    timeout 10 gearman -h 127.0.0.1 -b -f live_rev "$tag bg $i" >/dev/null 2>>"$work/$tag.client.err" && bg=$((bg + 1))
  done
  for i in 1 2; do  # no worker: queued until the end
    timeout 10 gearman -h 127.0.0.1 -b -f "live_nobody_$tag" "n$i" >/dev/null 2>>"$work/$tag.client.err" && queued=$((queued + 1))
  done
  printf 'answered=%d\nfailed=%d\nbackground=%d\nqueued=%d\n' "$answered" "$failed" "$bg" "$queued" >"$work/$tag.truth"
  sleep 0.5  # the worker finishes the background jobs
}

# ---------------------------------------------------------------------------------------------
# 1. --duration, JSON lines, -w
"$analyze" -i lo --duration 7 --interval 0.5 --format json -w "$work/saved.pcap" --html "$work/run1.html" \
  >"$work/run1.jsonl" 2>"$work/run1.err" &
an=$!
pids+=($an)
if ! wait_capturing "$work/run1.err"; then
  fail "1: the capture did not start: $(cat "$work/run1.err")"
else
  load run1
  kill -0 "$an" 2>/dev/null || fail "1: the load outlasted --duration 7 (a very slow machine): the counts below cannot match"
  wait "$an"; rc=$?
  [ "$rc" = 0 ] || fail "1: exit status $rc: $(cat "$work/run1.err")"
  "$analyze" --format json --interval 0.5 "$work/saved.pcap" >"$work/saved.json" 2>"$work/saved.err" \
    || fail "1: the saved capture does not read: $(cat "$work/saved.err")"
  python3 "$here/check_live.py" --truth "$work/run1.truth" --nobody live_nobody_run1 --stopped-by duration \
    --saved "$work/saved.json" "$work/run1.jsonl" && pass "1: --duration, JSON lines, -w" || fail "1: see above"
  # The page written at the end (--html): its numbers are the report line's, its bins the
  # interval lines'; rendered in Chromium when there is one (tests/html/html_test.py).
  if [ ! -s "$work/run1.html" ]; then
    fail "1: --html wrote no page"
  elif command -v chromium >/dev/null; then
    python3 "$here/../html/html_test.py" --live-page "$work/run1.html" --live-jsonl "$work/run1.jsonl" \
      && pass "1: --html page equals the report and its intervals" || fail "1: --html: see above"
  else
    echo "note: no chromium, the --html page of run 1 is not checked"
  fi
fi

# ---------------------------------------------------------------------------------------------
# 2. SIGINT ends a capture without --duration
"$analyze" -i lo --format json >"$work/run2.jsonl" 2>"$work/run2.err" &
an=$!
pids+=($an)
if ! wait_capturing "$work/run2.err"; then
  fail "2: the capture did not start: $(cat "$work/run2.err")"
else
  load run2
  sleep 1.6  # the last jobs' intervals become final (not asserted: only their sums are)
  kill -INT "$an"
  wait "$an"; rc=$?
  [ "$rc" = 0 ] || fail "2: SIGINT: exit status $rc (want 0): $(cat "$work/run2.err")"
  python3 "$here/check_live.py" --truth "$work/run2.truth" --nobody live_nobody_run2 --stopped-by SIGINT \
    "$work/run2.jsonl" && pass "2: SIGINT writes the report, exit 0" || fail "2: see above"
fi

# SIGTERM (as from a service manager): the same, without load
"$analyze" -i lo --format json >"$work/run2t.jsonl" 2>"$work/run2t.err" &
an=$!
pids+=($an)
if wait_capturing "$work/run2t.err"; then
  kill -TERM "$an"
  wait "$an"; rc=$?
  [ "$rc" = 0 ] || fail "2: SIGTERM: exit status $rc (want 0): $(cat "$work/run2t.err")"
  python3 -c 'import json, sys; r = json.loads(open(sys.argv[1]).readlines()[-1]); sys.exit(r["type"] != "report" or r["live"]["stopped_by"] != "SIGTERM")' \
    "$work/run2t.jsonl" && pass "2: SIGTERM writes the report, exit 0" || fail "2: SIGTERM: no report stopped by SIGTERM"
else
  fail "2: the capture did not start: $(cat "$work/run2t.err")"
fi

# ---------------------------------------------------------------------------------------------
# 3. stdin from tcpdump: SIGINT to the analyzer alone (tcpdump goes on writing)
mkfifo "$work/pipe"
tcpdump -i lo -s 0 -U --immediate-mode -w - 'tcp port 4730' >"$work/pipe" 2>"$work/tcpdump.err" &
td=$!
pids+=($td)
"$analyze" --format json - <"$work/pipe" >"$work/run3.json" 2>"$work/run3.err" &
an=$!
pids+=($an)
for _ in $(seq 100); do grep -q "listening on" "$work/tcpdump.err" 2>/dev/null && break; sleep 0.05; done
load run3
sleep 1  # tcpdump hands on its last packets
kill -INT "$an"
wait "$an"; rc=$?
kill "$td" 2>/dev/null
[ "$rc" = 0 ] || fail "3: SIGINT while reading stdin: exit status $rc (want 0): $(cat "$work/run3.err")"
python3 - "$work/run3.json" "$work/run3.truth" <<'PY' && pass "3: SIGINT on stdin writes the report, exit 0" || fail "3: see above"
import json, sys
r = json.load(open(sys.argv[1]))
t = dict(l.strip().split("=") for l in open(sys.argv[2]))
fn = {f["name"]: f for f in r["functions"]}
want = int(t["answered"]) + int(t["background"])
got = fn.get("live_rev", {}).get("complete")
if got != want:
    sys.exit(f"live_rev complete {got}, the clients saw {want}")
if fn.get("live_fail", {}).get("fail") != int(t["failed"]):
    sys.exit(f"live_fail fail {fn.get('live_fail', {}).get('fail')}, the clients saw {t['failed']}")
PY

# ---------------------------------------------------------------------------------------------
# 4. The screen, in tmux
failures_before=$failures
export NO_COLOR=1
tmux -S "$tmux_sock" new-session -d -x 160 -y 50 \
  "'$analyze' -i lo --interval 0.5 2>'$work/run4.err'; echo \"exit status \$?\"; sleep 60"
tmux_pid=$(tmux -S "$tmux_sock" display-message -p '#{pid}')
[ -n "$tmux_pid" ] && pids+=("$tmux_pid")
if ! wait_capturing "$work/run4.err"; then
  fail "4: the capture did not start: $(cat "$work/run4.err")"
else
  gearman -h 127.0.0.1 -w -f live_slow -- sh -c 'sleep 0.2; cat' >/dev/null 2>&1 &
  pids+=($!)
  sleep 0.3
  load run4
  for i in 1 2 3; do timeout 10 gearman -h 127.0.0.1 -f live_slow "s$i" >/dev/null; done
  screen=""
  for _ in $(seq 60); do  # the screen is redrawn each interval: wait until it shows the load
    screen=$(tmux -S "$tmux_sock" capture-pane -p)
    grep -q "^live_slow " <<<"$screen" && grep -q "^live_rev " <<<"$screen" && break
    sleep 0.1
  done
  printf '%s\n' "$screen" >"$work/screen1.txt"
  grep -q "^FUNCTION" <<<"$screen" || fail "4: no FUNCTION header on the screen: $screen"
  grep -q "^live_rev " <<<"$screen" || fail "4: live_rev is not on the screen: $screen"
  grep -q "TOTAL p99\*" <<<"$screen" || fail "4: the screen is not sorted by p99 total at first"
  grep -q "live_nobody_run4" <<<"$screen" || fail "4: the stuck queued jobs are not on the screen"
  tmux -S "$tmux_sock" send-keys s
  for _ in $(seq 20); do
    screen=$(tmux -S "$tmux_sock" capture-pane -p)
    grep -q "JOBS/S\*" <<<"$screen" && break
    sleep 0.1
  done
  grep -q "JOBS/S\*" <<<"$screen" || fail "4: 's' did not sort by jobs/s: $screen"
  grep -q $'\x1b' <<<"$(tmux -S "$tmux_sock" capture-pane -p -e)" && fail "4: colours under NO_COLOR"
  tmux -S "$tmux_sock" send-keys q
  for _ in $(seq 100); do
    screen=$(tmux -S "$tmux_sock" capture-pane -p -S -100)
    grep -q "exit status" <<<"$screen" && break
    sleep 0.1
  done
  printf '%s\n' "$screen" >"$work/screen2.txt"
  grep -q "exit status 0" <<<"$screen" || fail "4: 'q' did not end with exit status 0: $screen"
  grep -q "stopped by key" <<<"$screen" || fail "4: the text report did not follow 'q': $screen"
  [ "$failures" = "$failures_before" ] && pass "4: the screen (functions, sort key, q)"
fi

echo "$failures failure(s)"
[ "$failures" = 0 ]
