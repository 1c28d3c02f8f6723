#!/bin/bash
# make-captures.sh - regenerate every capture in this directory from scratch.
#
# Run as root, on demand (never in CI): needs gearman-job-server,
# gearman-tools, libgearman-dev, libgearman-client-perl, tcpdump, python3,
# a C compiler and util-linux `unshare`; perl-server and perl-empty-perlserver
# need gearman-server, php needs php-cli + php-gearman, the nodejs-* scenarios
# nodejs + npm (and the npm registry once: `npm ci` in gen/node/).
#
#   sudo captures/make-captures.sh            # all scenarios
#   sudo captures/make-captures.sh admin      # only the named scenario(s)
#   KEEP_LOGS=DIR ...                         # also keep each scenario's jobs.log in DIR
#
# Each scenario runs in its own network + UTS namespace (unshare -nu): a
# private loopback with MTU 1500 (so TCP segments look like Ethernet, and a
# 200 KB argument spans many segments) and hostname "gearcap" (so gearmand's
# job handles are H:gearcap:N on every machine). Inside: gearmand on
# 127.0.0.1, tcpdump -s 0 -U on lo for the scenario's port, the client and
# worker software, settle, SIGINT to tcpdump, stop gearmand. Then
# gen/make_manifest.py counts the PDUs itself and writes NAME.manifest.json.
#
# Two servers are both called gearmand: the C gearmand 1.1.20
# (gearman-job-server, /usr/sbin/gearmand) for every scenario but
# perl-server and perl-empty-perlserver, and the Perl Gearman::Server 1.130.1
# (gearman-server, /usr/bin/gearmand) for those two. Both are called by full path.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
GEN=$HERE/gen
ALL="basic-cli libgearman-full perl-coalesce large-arg admin errors nonstandard-port perl-server
     nodejs-gearman nodejs-node-gearman nodejs-gearmanode php perl-empty perl-empty-perlserver
     nodejs-abraxas-server nodejs-abraxas-server-dies"
C_GEARMAND=/usr/sbin/gearmand      # gearman-job-server 1.1.20
PERL_GEARMAND=/usr/bin/gearmand    # gearman-server (Perl Gearman::Server)

# ------------------------------------------------------------ helpers (inner)
H=127.0.0.1
log() { echo "[$SCEN] $*" >&2; }

start_server() {            # start_server PORT
  PORT=$1
  "$C_GEARMAND" -L $H -p "$PORT" -l "$W/gearmand.log" -d --pid-file="$W/gearmand.pid"
  wait_port
}
start_perl_server() {       # start_perl_server PORT: the Perl Gearman::Server
  PORT=$1
  "$PERL_GEARMAND" -L $H -p "$PORT" -d --pidfile="$W/gearmand.pid"
  wait_port
}
wait_port() {
  for _ in $(seq 50); do
    (exec 3<>/dev/tcp/$H/"$PORT") 2>/dev/null && break
    sleep 0.1
  done
}
start_capture() {           # after start_server: the probe above is not captured
  tcpdump -i lo -w "$W/$SCEN.pcap" -s 0 -U "tcp port $PORT" 2>"$W/tcpdump.err" &
  TCPDUMP=$!
  for _ in $(seq 50); do grep -q "listening on" "$W/tcpdump.err" 2>/dev/null && break; sleep 0.1; done
  sleep 0.3
}
stop_capture() {
  sleep 0.5                 # let the last segments and FINs settle
  kill -INT "$TCPDUMP"; wait "$TCPDUMP" || true
}
stop_server() {
  local pid
  pid=$(cat "$W/gearmand.pid" 2>/dev/null) || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
}
stop_pids() { for p in "$@"; do kill "$p" 2>/dev/null || true; done; for p in "$@"; do wait "$p" 2>/dev/null || true; done; }
job() { echo "JOB $*" >> "$W/jobs.log"; }   # what the shell part submitted
gm()  { gearman -h $H -p "$PORT" "$@"; }
adm() { printf 'ADMIN nc %s\n' "$@" >> "$W/jobs.log"; (printf '%s\n' "$@"; sleep 0.5) | nc -q 1 $H "$PORT" >> "$W/admin.out"; }
ga()  { echo "ADMIN gearadmin $*" >> "$W/jobs.log"; gearadmin -h $H -p "$PORT" "$@" >> "$W/admin.out"; }

# ------------------------------------------------------------ scenarios
scen_basic-cli() {
  start_server 4730; start_capture
  gearman -h $H -p "$PORT" -w -f cli_reverse -- rev >>"$W/worker.out" 2>&1 & local w1=$!
  gearman -h $H -p "$PORT" -w -f cli_echo >>"$W/worker.out" 2>&1 & local w2=$!
  gearman -h $H -p "$PORT" -w -N -f cli_lines -- cat >>"$W/worker.out" 2>&1 & local w3=$!
  sleep 0.5
  echo "hello gearman" | gm -f cli_reverse -u cli-u-normal > "$W/out.txt"; job normal cli_reverse cli-u-normal
  gm -I -f cli_reverse -u cli-u-high "high priority" >> "$W/out.txt";     job high cli_reverse cli-u-high
  gm -L -f cli_reverse -u cli-u-low "low priority" >> "$W/out.txt";       job low cli_reverse cli-u-low
  gm -b -f cli_echo -u cli-u-bg "background" >> "$W/out.txt";             job bg cli_echo cli-u-bg
  gm -b -I -f cli_echo -u cli-u-high-bg "high background" >> "$W/out.txt"; job high_bg cli_echo cli-u-high-bg
  gm -b -L -f cli_echo -u cli-u-low-bg "low background" >> "$W/out.txt";  job low_bg cli_echo cli-u-low-bg
  gm -s -f cli_echo -u cli-u-empty >> "$W/out.txt";                       job normal cli_echo cli-u-empty
  printf 'line one\nline two\nline three\n' | gm -f cli_lines -u cli-u-lines >> "$W/out.txt"; job normal cli_lines cli-u-lines
  gm -f cli_reverse -f cli_echo -u cli-u-two "two functions" >> "$W/out.txt"; job normal cli_reverse cli-u-two; job normal cli_echo cli-u-two
  sleep 1
  stop_pids $w1 $w2 $w3
  stop_capture; stop_server
}

scen_libgearman-full() {
  start_server 4730; start_capture
  "$W/libgearman_scenarios" worker "$PORT" "$W/stop" & local w1=$!
  "$W/libgearman_scenarios" uniqworker "$PORT" "$W/stop" & local w2=$!
  sleep 0.5
  timeout 60 "$W/libgearman_scenarios" client "$PORT" >> "$W/jobs.log" 2>>"$W/client.err"
  timeout 60 "$W/libgearman_scenarios" uniqclient "$PORT" >> "$W/jobs.log" 2>>"$W/client.err"
  sleep 3                   # the slow job, then the epoch job, finish
  touch "$W/stop"; wait $w1 $w2 || true
  cat "$W/client.err" >&2
  stop_capture; stop_server
}

# A Perl worker and the Perl client in one of its modes (perl_client.pl: basic, large).
perl_scenario() {
  start_server 4730; start_capture
  perl "$GEN/perl_worker.pl" "$PORT" "$W/stop" & local w=$!
  sleep 0.5
  timeout 60 perl "$GEN/perl_client.pl" "$PORT" "$1" >> "$W/jobs.log"
  sleep 0.5
  touch "$W/stop"; wait $w || true
  stop_capture; stop_server
}

scen_perl-coalesce() { perl_scenario basic; }

scen_large-arg() { perl_scenario large; }

scen_admin() {
  start_server 4730; start_capture
  gearman -h $H -p "$PORT" -w -f adm_worker >>"$W/worker.out" 2>&1 & local w=$!
  sleep 0.3
  # jobs for a function nobody serves, so status / show jobs have rows
  gm -b -f adm_queued -u adm-u-1 "queued one" >/dev/null;   job bg adm_queued adm-u-1
  gm -b -f adm_queued -u adm-u-2 "queued two" >/dev/null;   job bg adm_queued adm-u-2
  gm -b -I -f adm_queued -u adm-u-3 "queued high" >/dev/null; job high_bg adm_queued adm-u-3
  gm -b -L -f adm_queued -u adm-u-4 "queued low" >/dev/null;  job low_bg adm_queued adm-u-4
  ga --status; ga --workers; ga --priority-status; ga --show-jobs; ga --show-unique-jobs
  ga --server-version; ga --getpid; ga --server-verbose
  ga --create-function adm_ga_created; ga --drop-function adm_ga_created
  ga --cancel-job H:gearcap:1
  ga --show-jobs
  # the rest over raw sockets (LF line endings, split lines, several per send)
  python3 "$GEN/raw_tricks.py" "$PORT" admin-text >> "$W/raw.log"
  # and one through nc, the way the protocol document suggests
  (printf 'status\r\n'; sleep 0.5) | nc -q 1 $H "$PORT" >> "$W/admin.out"
  echo "ADMIN nc status" >> "$W/jobs.log"
  stop_pids $w
  sleep 0.3
  python3 "$GEN/raw_tricks.py" "$PORT" admin-shutdown >> "$W/raw.log"
  stop_capture; stop_server
}

scen_errors() {
  start_server 4730; start_capture
  perl "$GEN/perl_worker.pl" "$PORT" "$W/stop" & local w=$!
  sleep 0.5
  # pl_fail, then pl_die: the Perl worker sends WORK_EXCEPTION + WORK_FAIL,
  # gearmand answers the WORK_FAIL with ERROR and the Perl worker croaks.
  timeout 60 perl "$GEN/perl_client.pl" "$PORT" errors >> "$W/jobs.log" 2>>"$W/client.err" || true
  wait $w 2>/dev/null || true
  python3 "$GEN/raw_tricks.py" "$PORT" binary-tricks >> "$W/raw.log"
  touch "$W/stop"
  stop_capture; stop_server
}

scen_nonstandard-port() {
  start_server 7003; start_capture
  gearman -h $H -p "$PORT" -w -f ns_reverse -- rev >>"$W/worker.out" 2>&1 & local w1=$!
  perl "$GEN/perl_worker.pl" "$PORT" "$W/stop" perl-worker-7003 & local w2=$!
  sleep 0.5
  gm -f ns_reverse -u ns-u-1 "on port 7003" > "$W/out.txt";        job normal ns_reverse ns-u-1
  gm -b -f ns_reverse -u ns-u-2 "background on 7003" >> "$W/out.txt"; job bg ns_reverse ns-u-2
  gm -I -f pl_upper -u ns-u-3 "perl worker on 7003" >> "$W/out.txt"; job high pl_upper ns-u-3
  ga --status; ga --workers
  sleep 0.5
  touch "$W/stop"; stop_pids $w1; wait $w2 || true
  stop_capture; stop_server
}

# The Perl Gearman::Server (gearman-server 1.130.1). It knows no GRAB_JOB_ALL
# (the `gearman -w` worker would spin on ERROR replies) and no
# SUBMIT_JOB_LOW, so the worker is Gearman::Worker and the libgearman
# program is not used; the gearman CLI client works for -f/-b/-I.
scen_perl-server() {
  start_perl_server 4730; start_capture
  perl "$GEN/perl_worker.pl" "$PORT" "$W/stop" & local w=$!
  sleep 0.5
  gm -f pl_upper -u ps-cli-1 "cli on perl server" > "$W/out.txt";       job normal pl_upper ps-cli-1
  gm -b -f pl_upper -u ps-cli-bg "cli background" >> "$W/out.txt";      job bg pl_upper ps-cli-bg
  gm -I -f pl_upper -u ps-cli-high "cli high" >> "$W/out.txt";          job high pl_upper ps-cli-high
  # SUBMIT_JOB_LOW is not implemented: ERROR server_error, no job
  gm -L -f pl_upper -u ps-cli-low "cli low" >> "$W/out.txt" 2>>"$W/client.err" || true
  job low pl_upper ps-cli-low rejected
  timeout 60 perl "$GEN/perl_client.pl" "$PORT" perlserver >> "$W/jobs.log"
  # admin while a foreground pl_slow runs, so jobs/clients/status have rows
  gm -f pl_slow -u ps-admin "watched by admin" >> "$W/out.txt" & local c=$!
  sleep 0.5
  adm status workers jobs clients version
  wait $c;                                                              job normal pl_slow ps-admin
  adm maxqueue 'maxqueue ps_nobody 1' getpid 'show jobs' 'shutdown bogus'
  # maxqueue 1: the next submit evicts the queued job; its waiting client
  # gets WORK_FAIL from the server (gearmand would answer ERROR QUEUE_ERROR)
  timeout 10 gearman -h $H -p "$PORT" -f ps_nobody -u ps-q-1 "evicted" >> "$W/out.txt" 2>>"$W/client.err" & c=$!
  sleep 0.5;                                                            job normal ps_nobody ps-q-1
  gm -b -f ps_nobody -u ps-q-2 "stays queued" >> "$W/out.txt";          job bg ps_nobody ps-q-2
  wait $c || true
  adm status jobs
  touch "$W/stop"; wait $w || true
  stop_capture; stop_server
}

# Node.js: a worker and a client program of one npm library (gen/node/, installed there by
# `npm ci` before the scenarios run). Each program prints its JOB lines on stdout.
node_scenario() {           # node_scenario SCRIPT
  start_server 4730; start_capture
  node "$GEN/node/$1" worker "$PORT" "$W/stop" >>"$W/worker.out" 2>&1 & local w=$!
  sleep 0.5
  timeout 60 node "$GEN/node/$1" client "$PORT" >> "$W/jobs.log" 2>>"$W/client.err"
  sleep 1.5                 # background jobs finish
  touch "$W/stop"; wait $w || true
  # gearmanode logs through winston 3, which has no transport configured and says so
  grep -v '^\[winston\] Attempt to write logs with no transports' "$W/client.err" >&2 || true
  stop_capture; stop_server
}

scen_nodejs-gearman() { node_scenario gearman_pkg.js; }
scen_nodejs-node-gearman() { node_scenario node_gearman.js; }
scen_nodejs-gearmanode() { node_scenario gearmanode.js; }

# PHP: GearmanWorker / GearmanClient from php-gearman (on libgearman).
scen_php() {
  start_server 4730; start_capture
  php "$GEN/php_worker.php" "$PORT" "$W/stop" >>"$W/worker.out" 2>&1 & local w=$!
  sleep 0.5
  timeout 60 php "$GEN/php_client.php" "$PORT" >> "$W/jobs.log" 2>>"$W/client.err"
  sleep 1
  touch "$W/stop"; wait $w || true
  cat "$W/client.err" "$W/worker.out" >&2
  stop_capture; stop_server
}

# Gearman::Worker with empty and Perl-false values (gen/perl_empty.pl): packets without the NUL
# separator. perl-empty against gearmand, perl-empty-perlserver against Gearman::Server.
PE_FUNCS="pe_empty pe_zero pe_undef pe_data pe_warn pe_status pe_jstatus"
scen_perl-empty() {
  start_server 4730; start_capture
  perl "$GEN/perl_empty.pl" worker "$PORT" "$W/stop" >>"$W/worker.out" 2>&1 & local w=$!
  sleep 0.5
  timeout 60 perl "$GEN/perl_empty.pl" client "$PORT" $PE_FUNCS >> "$W/jobs.log" 2>>"$W/client.err"
  sleep 0.5
  touch "$W/stop"; wait $w || true
  cat "$W/client.err" "$W/worker.out" >&2
  grep -c 'realloc' "$W/gearmand.log" | sed 's/^/gearmand realloc errors: /' >&2 || true
  stop_capture; stop_server
}
# The Perl server refuses the separator-less WORK_COMPLETE with ERROR not_worker, on which
# Gearman::Worker dies, so pe_empty comes last.
scen_perl-empty-perlserver() {
  start_perl_server 4730; start_capture
  perl "$GEN/perl_empty.pl" worker "$PORT" "$W/stop" >>"$W/worker.out" 2>&1 & local w=$!
  sleep 0.5
  timeout 60 perl "$GEN/perl_empty.pl" client "$PORT" pe_jstatus pe_undef pe_status pe_empty >> "$W/jobs.log" 2>>"$W/client.err"
  sleep 0.5
  touch "$W/stop"; wait $w || true
  cat "$W/client.err" "$W/worker.out" >&2
  stop_capture; stop_server
}

# A third server: the Node.js abraxas server (npm abraxas 2.1.10, handles job:N) with abraxas's
# own worker and client (gen/node/abraxas.js), then gen/perl_empty.pl's worker and client. It
# takes the Perl worker's WORK_COMPLETE without the NUL separator and relays it to the client
# (with a NUL after the length it declares: one stray byte in that stream, on which the Perl
# client gives up), where gearmand drops the connection and Gearman::Server answers ERROR.
scen_nodejs-abraxas-server() {
  PORT=4730
  node "$GEN/node/abraxas.js" server "$PORT" >>"$W/server.out" 2>&1 & local s=$!
  wait_port; start_capture
  node "$GEN/node/abraxas.js" worker "$PORT" "$W/stop" >>"$W/worker.out" 2>&1 & local w=$!
  perl "$GEN/perl_empty.pl" worker "$PORT" "$W/stop" >>"$W/worker.out" 2>&1 & local pw=$!
  sleep 0.5
  timeout 60 node "$GEN/node/abraxas.js" client "$PORT" >> "$W/jobs.log" 2>>"$W/client.err"
  # The Perl client dies at the bogus copy of pe_empty's result (so it logs 3 of its 4 jobs).
  timeout 60 perl "$GEN/perl_empty.pl" client "$PORT" pe_jstatus pe_undef pe_status pe_empty >> "$W/jobs.log" 2>>"$W/client.err" || true
  sleep 1
  # Gearman::Worker asleep (PRE_SLEEP) looks at its stop file only when woken: it is killed.
  touch "$W/stop"; wait $w || true
  stop_pids $pw
  cat "$W/client.err" "$W/worker.out" "$W/server.out" >&2
  stop_capture; stop_pids $s
}

# Damage made by real software: the abraxas server dies (an uncaught exception on the first
# packets of a libgearman worker) while its own client waits for ab_slow jobs that its worker
# runs; the libgearman worker then retries its connection in a loop (SYN, RST), cut after 0.1 s.
scen_nodejs-abraxas-server-dies() {
  PORT=4730
  node "$GEN/node/abraxas.js" server "$PORT" >>"$W/server.out" 2>&1 & local s=$!
  wait_port; start_capture
  node "$GEN/node/abraxas.js" worker "$PORT" "$W/stop" >>"$W/worker.out" 2>&1 & local w=$!
  sleep 0.5
  timeout 10 node "$GEN/node/abraxas.js" client "$PORT" >> "$W/jobs.log" 2>>"$W/client.err" & local c=$!
  sleep 0.3
  timeout 0.1 gearman -h $H -p "$PORT" -w -f cli_rev -- rev >>"$W/worker.out" 2>&1 || true
  wait $c || true
  touch "$W/stop"; wait $w || true
  cat "$W/client.err" "$W/worker.out" "$W/server.out" >&2
  stop_capture; stop_pids $s
}

# ------------------------------------------------------------ driver
if [ "${1:-}" = "--inner" ]; then
  SCEN=$2; W=$3
  hostname gearcap
  ip link set lo up
  ip link set lo mtu 1500
  cd "$W"
  "scen_$SCEN"
  exit 0
fi

[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
SCENS=${*:-$ALL}
TMP=$(mktemp -d /tmp/gearcap.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
cc -O2 -Wall -o "$TMP/libgearman_scenarios" "$GEN/libgearman_scenarios.c" -lgearman
# The Node.js libraries (npm registry; outside the namespaces, which have no network).
case " $SCENS " in *" nodejs-"*)
  if [ ! -f "$GEN/node/node_modules/.package-lock.json" ] ||
     [ "$GEN/node/package-lock.json" -nt "$GEN/node/node_modules/.package-lock.json" ]; then
    (cd "$GEN/node" && npm ci --no-audit --no-fund) >&2
  fi ;;
esac
for s in $SCENS; do
  W=$TMP/$s; mkdir -p "$W"; chmod 777 "$W"   # tcpdump drops privileges
  cp "$TMP/libgearman_scenarios" "$W/"
  echo "== $s" >&2
  unshare -nu "$0" --inner "$s" "$W"
  cp "$W/$s.pcap" "$HERE/$s.pcap"
  chmod 644 "$HERE/$s.pcap"
  [ -z "${KEEP_LOGS:-}" ] || cp "$W/jobs.log" "$KEEP_LOGS/$s.jobs.log" 2>/dev/null || true
  python3 "$GEN/make_manifest.py" "$s" "$HERE/$s.pcap" "$W"
done
ls -l "$HERE"/*.pcap >&2
