#!/bin/bash
# make-load-capture.sh OUTDIR [JOBS] - a load capture of real Gearman software.
#
# Runs the load program (gen/load/: libgearman workers and pipelining
# clients, one process and one TCP connection each) against a threaded C
# gearmand (/usr/sbin/gearmand -t 4) and records the traffic:
#
#   OUTDIR/load.pcap          tcpdump -i lo -s 0 -U of tcp port 4730
#   OUTDIR/load.truth.json    the load program's own counters (the truth)
#   OUTDIR/load.check.json    gen/load_check.py's independent reading of the pcap
#
# JOBS defaults to 100000 (CI; well under a minute on 2 cores); 1000000
# gives a capture of several million frames for benchmarks. Environment:
# LOAD_WORKERS, LOAD_CLIENTS, LOAD_BATCH, GEARMAND_THREADS, LOAD_ATTEMPTS.
#
# Run as root (network namespace, packet capture). Exit status: 0 done;
# 77 cannot run here (not root, a tool missing); 1 anything else: the load
# program found its counters off, gearmand or tcpdump failed, or the capture
# is not whole (tcpdump dropped packets, or the wire does not match the
# truth) in every attempt.
#
# Everything runs inside its own network + UTS namespace (unshare -nu): a
# private lo (MTU 1500, as in make-captures.sh) and hostname "gearcap", so
# handles are H:gearcap:N. gearmand, tcpdump and the load are started and
# stopped by PID; nothing is left running, whatever happens.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
GEN=$HERE/gen
C_GEARMAND=/usr/sbin/gearmand      # gearman-job-server 1.1.20, never the Perl /usr/bin/gearmand
H=127.0.0.1
PORT=4730

die()  { echo "make-load-capture: $*" >&2; exit 1; }
skip() { echo "make-load-capture: cannot run here: $*" >&2; exit 77; }

# ------------------------------------------------------------ inside the namespace
if [ "${1:-}" = "--inner" ]; then
  W=$2 JOBS=$3
  GEARMAND_PID= TCPDUMP_PID= LOAD_PID=
  stop_pid() {              # stop_pid PID SIGNAL: signal, wait up to 5 s, then SIGKILL
    local pid=$1 sig=$2
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    kill "-$sig" "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "make-load-capture: pid $pid ignored SIG$sig, killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  }
  cleanup() {
    stop_pid "$LOAD_PID" TERM
    stop_pid "$TCPDUMP_PID" INT
    stop_pid "$GEARMAND_PID" TERM
  }
  trap cleanup EXIT
  trap 'exit 143' TERM INT HUP    # so that the EXIT trap runs
  hostname gearcap
  ip link set lo up
  ip link set lo mtu 1500

  "$C_GEARMAND" -L $H -p $PORT -t "${GEARMAND_THREADS:-4}" -l "$W/gearmand.log" &
  GEARMAND_PID=$!
  up=
  for _ in $(seq 100); do
    kill -0 "$GEARMAND_PID" 2>/dev/null || die "gearmand exited at start (see $W/gearmand.log)"
    if (exec 3<>/dev/tcp/$H/$PORT) 2>/dev/null; then up=1; break; fi
    sleep 0.05
  done
  [ -n "$up" ] || die "gearmand does not listen on $H:$PORT"

  # After the port probe, so the probe's connection is not in the capture.
  # -B 65536: a 64 MiB kernel buffer, so that tcpdump may fall behind the
  # load for a while without dropping packets.
  tcpdump -i lo -s 0 -U -B 65536 -w "$W/load.pcap" "tcp port $PORT" 2>"$W/tcpdump.err" &
  TCPDUMP_PID=$!
  for _ in $(seq 100); do grep -q "listening on" "$W/tcpdump.err" 2>/dev/null && break; sleep 0.05; done
  grep -q "listening on" "$W/tcpdump.err" || die "tcpdump does not start: $(cat "$W/tcpdump.err")"
  [ -f "$W/load.pcap" ] || die "tcpdump listens but wrote no $W/load.pcap"

  # The load program has its own deadline (-t: it kills its processes and
  # exits 3) and exits non-zero when its counters disagree; `timeout` is only
  # the last resort (its children die with it: PR_SET_PDEATHSIG).
  deadline=$((60 + JOBS / 1000))
  timeout -k 5 $((deadline + 30)) "$W/load" -H $H -p $PORT -n "$JOBS" \
    -w "${LOAD_WORKERS:-32}" -c "${LOAD_CLIENTS:-8}" -b "${LOAD_BATCH:-50}" -t "$deadline" \
    -o "$W/load.truth.json" &
  LOAD_PID=$!
  load_rc=0; wait "$LOAD_PID" || load_rc=$?; LOAD_PID=
  [ "$load_rc" = 0 ] || die "the load program failed (exit $load_rc)"

  # Let tcpdump write the last segments (FINs). The kernel hands packets to
  # tcpdump in ring blocks, each when it is full or after a 1 s timeout, so
  # wait until the file has not grown for 1.5 s. A capture cut short anyway
  # fails the check below (connections not closed, jobs missing).
  last=-1 still=0
  for _ in $(seq 600); do
    size=$(stat -c %s "$W/load.pcap")
    if [ "$size" = "$last" ]; then still=$((still + 1)); else still=0; fi
    [ $still -ge 3 ] && break
    last=$size; sleep 0.5
  done
  stop_pid "$TCPDUMP_PID" INT; TCPDUMP_PID=
  stop_pid "$GEARMAND_PID" TERM; GEARMAND_PID=
  cat "$W/tcpdump.err" >&2
  exit 0
fi

# ------------------------------------------------------------ outside
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 OUTDIR [JOBS]" >&2; exit 2; }
OUT=$1 JOBS=${2:-100000}
case $JOBS in ''|*[!0-9]*|0) echo "make-load-capture: JOBS must be a positive number" >&2; exit 2;; esac
# First of all, so that no earlier capture is taken for this one if this run is skipped.
rm -f "$OUT/load.pcap" "$OUT/load.truth.json" "$OUT/load.check.json" || die "cannot remove the earlier capture in $OUT"
[ "$(id -u)" = 0 ] || skip "not root (needs a network namespace and packet capture)"
for tool in "$C_GEARMAND" tcpdump unshare ip cc python3 timeout; do
  command -v "$tool" >/dev/null || skip "$tool not found"
done
[ -e /usr/include/libgearman/gearman.h ] || skip "libgearman-dev (libgearman/gearman.h) not installed"
unshare -nu true 2>/dev/null || skip "unshare -nu is not permitted here"

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
TMP=$(mktemp -d /tmp/gearload.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
cc -O2 -Wall -Wextra -o "$TMP/load" "$GEN"/load/*.c -lgearman || die "cannot compile gen/load"

start=$(date +%s%N)
attempts=${LOAD_ATTEMPTS:-3}
for attempt in $(seq "$attempts"); do
  W=$TMP/run$attempt; mkdir -p "$W"; chmod 777 "$W"   # tcpdump writes as user tcpdump
  cp "$TMP/load" "$W/"
  echo "make-load-capture: attempt $attempt: $JOBS jobs" >&2
  # In the background, so that a TERM/INT to this script reaches the inner
  # part (unshare execs bash: same pid), which stops what it started.
  unshare -nu bash "$0" --inner "$W" "$JOBS" &
  INNER=$!
  trap 'kill -TERM $INNER 2>/dev/null; wait $INNER; exit 143' TERM INT HUP
  rc=0; wait $INNER || rc=$?
  trap - TERM INT HUP
  [ $rc = 0 ] || die "attempt $attempt failed (exit $rc)"
  dropped=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel$/\1/p' "$W/tcpdump.err")
  [ -n "$dropped" ] || die "no 'packets dropped by kernel' line from tcpdump"
  ifdrop=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by interface$/\1/p' "$W/tcpdump.err")
  if [ "$dropped" != 0 ] || [ "${ifdrop:-0}" != 0 ]; then
    echo "make-load-capture: tcpdump dropped $dropped packets (kernel), ${ifdrop:-0}" \
      "(interface): not a whole capture, again" >&2
    continue
  fi
  # The wire must hold every job the load program counted, each whole.
  if python3 "$GEN/load_check.py" "$W/load.pcap" --port $PORT --truth "$W/load.truth.json" \
       --json "$W/load.check.json" >&2; then
    mv "$W/load.pcap" "$W/load.truth.json" "$W/load.check.json" "$OUT/"
    chmod 644 "$OUT/load.pcap"
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    echo "make-load-capture: $OUT/load.pcap ($(stat -c %s "$OUT/load.pcap") bytes)," \
      "load.truth.json, load.check.json in $((ms / 1000)).$(printf %03d $((ms % 1000))) s" >&2
    exit 0
  fi
  echo "make-load-capture: the capture does not match the truth: again" >&2
done
die "no whole capture in $attempts attempts"
