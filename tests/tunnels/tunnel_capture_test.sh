#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Gearman across real Linux tunnels, captured on the underlay: the analyzer must find the jobs
# that ran. tunnel_capture_test.sh GEARMAN_ANALYZE
#
# Two network namespaces joined by a veth pair (the underlay, 192.0.2.0/24). For each tunnel type
# the kernel has (vxlan on 4789 and on Linux's default port 8472, geneve, gre, gretap, ipip, erspan
# type I/II/III): a tunnel between them
# (the overlay, 10.42.0.0/24), the C gearmand in namespace B on 10.42.0.2, a `gearman -w` worker
# and `gearman` clients in namespace A, tcpdump on A's underlay interface. Truth: the jobs the
# clients saw answered (the worker echoes the workload). Every Gearman byte crosses the tunnel,
# so the capture holds no plain TCP to port 4730 (checked with tcpdump's own filter).
#
# Needs root, unshare/nsenter (util-linux), iproute2, tcpdump, gearman-job-server, gearman-tools.
# Exits 77 (ctest: skipped) when those are missing or the kernel has none of the tunnel types; a
# type the kernel lacks is reported and skipped.
set -uo pipefail
analyze=${1:?gearman-analyze}
case $analyze in /*) ;; *) analyze=$PWD/$analyze ;; esac
# shellcheck source=../support/netns.sh
source "$(dirname "$0")/../support/netns.sh"
in_own_netns "$0" "network namespaces" unshare nsenter ip tcpdump gearman python3 -- "$analyze"

work=$(mktemp -d /tmp/gearwire-tunnels.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  [ -n "${KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
failures=0 ran=0 skipped=()
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

ip link set lo up
unshare -n sleep 3600 &   # namespace B lives as long as this process
B=$!
pids+=("$B")
inb() { nsenter -t "$B" -n "$@"; }
for _ in $(seq 50); do [ -e "/proc/$B/ns/net" ] && [ "$(readlink /proc/$B/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break; sleep 0.05; done
ip link add va type veth peer name vb netns "/proc/$B/ns/net" || { echo "FAIL: no veth" >&2; exit 1; }
ip addr add 192.0.2.1/24 dev va && ip link set va up
inb ip link set lo up
inb ip addr add 192.0.2.2/24 dev vb && inb ip link set vb up

# make_tunnel TYPE: creates tun0 on both sides; fails (the reason in ip.err) when it cannot.
make_tunnel() {
  local a=(local 192.0.2.1 remote 192.0.2.2) b=(local 192.0.2.2 remote 192.0.2.1) l3=0 kind=${1%%[0-9]*}
  case $1 in
    vxlan)    a=(id 42 "${a[@]}" dstport 4789); b=(id 42 "${b[@]}" dstport 4789) ;;
    vxlan8472) a=(id 42 "${a[@]}" dstport 0); b=(id 42 "${b[@]}" dstport 0) ;;  # 0: Linux's default, 8472
    geneve)   a=(id 42 remote 192.0.2.2); b=(id 42 remote 192.0.2.1) ;;
    gre|ipip) l3=1 ;;
    gretap)   a=("${a[@]}" key 7); b=("${b[@]}" key 7) ;;
    erspan1)  a=(seq key 7 "${a[@]}" erspan_ver 0); b=(seq key 7 "${b[@]}" erspan_ver 0) ;;
    erspan2)  a=(seq key 7 "${a[@]}" erspan_ver 1 erspan 12); b=(seq key 7 "${b[@]}" erspan_ver 1 erspan 12) ;;
    erspan3)  a=(seq key 7 "${a[@]}" erspan_ver 2 erspan_dir ingress erspan_hwid 5)
              b=(seq key 7 "${b[@]}" erspan_ver 2 erspan_dir ingress erspan_hwid 5) ;;
  esac
  ip link add tun0 type "$kind" "${a[@]}" 2>"$work/ip.err" || return 1
  inb ip link add tun0 type "$kind" "${b[@]}" 2>>"$work/ip.err" || { ip link del tun0; return 1; }
  if [ "$l3" = 1 ]; then
    ip addr add 10.42.0.1 peer 10.42.0.2 dev tun0
    inb ip addr add 10.42.0.2 peer 10.42.0.1 dev tun0
  else
    ip addr add 10.42.0.1/24 dev tun0
    inb ip addr add 10.42.0.2/24 dev tun0
  fi
  ip link set tun0 up && inb ip link set tun0 up
}
remove_tunnel() { ip link del tun0 2>/dev/null; inb ip link del tun0 2>/dev/null; }

wait_port() {
  for _ in $(seq 100); do
    (exec 3<>/dev/tcp/10.42.0.2/4730) 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

run_case() {
  local type=$1 dir=$work/$1
  mkdir -p "$dir"
  if ! make_tunnel "$type"; then
    if grep -q "Unknown device type" "$work/ip.err"; then
      skipped+=("$type ($(head -n1 "$work/ip.err"))")
    else
      fail "$type: cannot make the tunnel: $(cat "$work/ip.err")"
    fi
    return
  fi
  ran=$((ran + 1))
  inb "$GEARMAND" -L 10.42.0.2 -p 4730 -d --pid-file="$dir/gearmand.pid" -l "$dir/gearmand.log" --threads=1
  if ! wait_port; then fail "$type: gearmand did not listen across the tunnel"; remove_tunnel; return; fi
  tcpdump -i va -s 0 -U -w "$dir/underlay.pcap" 2>"$dir/tcpdump.err" &
  local tcpdump=$!
  for _ in $(seq 100); do grep -q "listening on" "$dir/tcpdump.err" 2>/dev/null && break; sleep 0.05; done
  gearman -h 10.42.0.2 -p 4730 -w -f tun_echo -- cat >"$dir/worker.out" 2>&1 &
  local worker=$!
  sleep 0.3
  local answered=0 background=0 i out
  for i in 1 2 3 4 5 6; do
    out=$(timeout 10 gearman -h 10.42.0.2 -p 4730 -f tun_echo -u "$type-$i" "payload $i over $type" 2>>"$dir/client.err")
    [ "$out" = "payload $i over $type" ] && answered=$((answered + 1)) || echo "client $i got: $out" >>"$dir/client.err"
  done
  for i in 1 2; do
    timeout 10 gearman -h 10.42.0.2 -p 4730 -b -f tun_echo -u "$type-bg-$i" "background $i" >>"$dir/client.out" 2>>"$dir/client.err" \
      && background=$((background + 1))
  done
  sleep 0.5   # the worker finishes the background jobs
  kill "$worker"; wait "$worker" 2>/dev/null
  sleep 0.3
  kill -INT "$tcpdump"; wait "$tcpdump" 2>/dev/null
  kill "$(cat "$dir/gearmand.pid")" 2>/dev/null
  remove_tunnel

  local want=$((answered + background))
  [ "$answered" = 6 ] || fail "$type: only $answered of 6 clients were answered: $(head -c 300 "$dir/client.err")"
  # The capture holds the tunnel, not plain Gearman: tcpdump's filter sees no TCP port 4730.
  local plain n
  plain=$(tcpdump -r "$dir/underlay.pcap" -nn 'tcp port 4730' 2>/dev/null | wc -l)
  [ "$plain" = 0 ] || fail "$type: $plain plain TCP packets to 4730 on the underlay (the test is not testing tunnels)"
  local outer
  case $type in
    vxlan) outer='udp dst port 4789' ;; vxlan8472) outer='udp dst port 8472' ;; geneve) outer='udp dst port 6081' ;;
    ipip) outer='ip proto 4' ;; *) outer='ip proto 47' ;;
  esac
  n=$(tcpdump -r "$dir/underlay.pcap" -nn "$outer" 2>/dev/null | wc -l)
  [ "$n" -gt 0 ] || fail "$type: no '$outer' packets on the underlay"
  "$analyze" --format json "$dir/underlay.pcap" >"$dir/report.json" 2>"$dir/analyze.err" \
    || { fail "$type: gearman-analyze failed: $(cat "$dir/analyze.err")"; return; }
  python3 - "$dir/report.json" "$type" "$want" "$background" <<'PY' || failures=$((failures + 1))
import json, sys
r = json.load(open(sys.argv[1]))
kind, want, bg = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
jobs = r["jobs"]
fn = {f["name"]: f for f in r["functions"]}
problems = []
if jobs["total"] != want or jobs["complete"] != want:
    problems.append(f"jobs {jobs['total']} total / {jobs['complete']} complete, {want} ran")
if jobs["background"] != bg:
    problems.append(f"{jobs['background']} background jobs, {bg} submitted")
if fn.get("tun_echo", {}).get("jobs") != want:
    problems.append(f"function tun_echo: {fn.get('tun_echo')}")
for w in r["warnings"]:
    if w["kind"] in ("unsupported_encapsulation", "unknown_link_type", "malformed_frame", "gap", "resync"):
        problems.append(f"warning {w['kind']}: {w['detail']}")
if problems:
    print(f"FAIL: {kind}: " + "; ".join(problems), file=sys.stderr)
    sys.exit(1)
print(f"ok: {kind}: {want} jobs ran across the tunnel, the analyzer found {jobs['total']} "
      f"({r['packets']['gearman']} PDUs in {r['capture']['frames']} underlay frames)")
PY
}

for type in vxlan vxlan8472 geneve gre gretap ipip erspan1 erspan2 erspan3; do
  run_case "$type"
done
for s in "${skipped[@]}"; do echo "skipped (kernel): $s"; done
[ "$ran" -gt 0 ] || skip "the kernel has none of the tunnel types"
[ "$failures" = 0 ] || { echo "$failures failure(s)" >&2; exit 1; }
echo "$ran tunnel type(s) tested"
