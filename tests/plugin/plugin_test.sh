#!/usr/bin/env bash
# Plugin tests, one case per ctest test: plugin_test.sh CASE
# Runs tshark with the plugin (scripts/tshark-with-plugin.sh: as nobody when root) over crafted
# captures (made by make_pcaps into $PCAP_DIR) and over every captures/*.pcap with a manifest.
# Environment: SRC_DIR, BUILD_DIR (the cmake build), PCAP_DIR, MAKE_PCAPS.
set -uo pipefail
case_name=${1:?case}
SRC_DIR=${SRC_DIR:?}
BUILD_DIR=${BUILD_DIR:?}
PCAP_DIR=${PCAP_DIR:?}
export PLUGIN_DIR=$BUILD_DIR/plugin/plugins
WRAP=$SRC_DIR/scripts/tshark-with-plugin.sh
CAPTURES=$SRC_DIR/captures

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
ours() { bash "$WRAP" "$@"; }
# The stock tshark: only the built-in dissector (our plugin is not in the global plugin folder).
builtin() { tshark "$@" 2>/dev/null; }
count() { grep -c . || true; }

# Clean captures: everything in captures/ whose name does not say it is damaged, plus ours.
clean_captures() {
  ls "$PCAP_DIR"/basic.pcap "$PCAP_DIR"/admin.pcap "$PCAP_DIR"/heuristic-7003.pcap "$PCAP_DIR"/real-bytes.pcap \
     "$PCAP_DIR"/tiny-segments.pcap "$PCAP_DIR"/keep-alive.pcap
  for m in "$CAPTURES"/*.manifest.json; do
    [ -f "$m" ] || continue
    p=${m%.manifest.json}.pcap
    [ -f "$p" ] || continue
    case $(basename "$p") in *corrupt*|*broken*|*garbage*|*malformed*|*truncat*|*damaged*|*fuzz*) continue ;; esac
    echo "$p"
  done
}
manifests() {
  ls "$PCAP_DIR"/*.manifest.json
  ls "$CAPTURES"/*.manifest.json 2>/dev/null || true
}
# Extra tshark arguments for a capture whose server port is not 4730 (the heuristic test checks
# that case without them).
port_args() {
  local m=${1%.pcap}.manifest.json port
  [ -f "$m" ] || return 0
  port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("server",{}).get("port",4730))' "$m")
  [ "$port" = 4730 ] || echo "-d tcp.port==$port,gearman"
}

case $case_name in
startup)
  so=$(ls "$PLUGIN_DIR"/*/epan/gearman.so | head -n1)
  syms=$(nm -D --defined-only "$so" 2>/dev/null | awk '{print $3}')
  for sym in plugin_version plugin_want_major plugin_want_minor plugin_register; do
    grep -qx "$sym" <<<"$syms" && pass "exports $sym" || fail "$so does not export $sym"
  done
  n=$(grep -c "gearproto" <<<"$syms" || true)
  [ "$n" = 0 ] && pass "decoder symbols stay private" || fail "$n decoder symbols exported"
  err=$(ours -G plugins 2>&1 >/dev/null)
  [ -z "$err" ] && pass "nothing on stderr at start" || fail "stderr at start: $err"
  ours -G plugins 2>/dev/null | grep -q '^gearman.so' && pass "plugin listed" || fail "gearman.so not in -G plugins"
  err=$(ours -r "$PCAP_DIR/basic.pcap" 2>&1 >/dev/null)
  [ -z "$err" ] && pass "nothing on stderr reading a capture" || fail "stderr: $err"
  proto=$(ours -r "$PCAP_DIR/basic.pcap" -T fields -e _ws.col.Protocol -Y "frame.number==1" 2>/dev/null)
  [ "$proto" = Gearman ] && pass "Protocol column" || fail "Protocol column is '$proto'"
  ;;
fields)
  fields=$(ours -G fields 2>/dev/null)
  for f in gearman.pkt_type:FT_UINT32 gearman.type:FT_STRING gearman.func.name:FT_STRING gearman.job.handle:FT_STRING \
           gearman.payload:FT_BYTES gearman.status.numerator:FT_DOUBLE gearman.status.percent:FT_DOUBLE gearman.status.known:FT_UINT32 \
           gearman.err.code:FT_STRINGZ gearman.reducer:FT_STRINGZ gearman.func.arg:FT_STRING gearman.numerator:FT_STRINGZ \
           gearman.request_in:FT_FRAMENUM gearman.response_in:FT_FRAMENUM gearman.response_time:FT_RELATIVE_TIME \
           gearman.job.queue_time:FT_RELATIVE_TIME gearman.job.run_time:FT_RELATIVE_TIME \
           gearman.job.total_time:FT_RELATIVE_TIME gearman.admin.total:FT_UINT64 gearman.mgr_cmd:FT_STRING; do
    name=${f%%:*} type=${f##*:}
    # The first registration of a name is the one filters use: it must have our type.
    got=$(printf '%s\n' "$fields" | awk -F'\t' -v n="$name" '$1=="F" && $3==n {print $4; exit}')
    [ "$got" = "$type" ] && pass "$name is $type" || fail "$name is '$got', want $type"
  done
  n=$(ours -r "$PCAP_DIR/basic.pcap" -Y 'gearman.status.numerator == 1 && gearman.func.name == "reverse" || gearman.payload contains "dlrow"' 2>/dev/null | count)
  [ "$n" -ge 2 ] && pass "gearman.* filters work ($n frames)" || fail "filters matched $n frames"
  # No two fields share a label (case, spaces and word order aside): "Error Code" / "Error code",
  # "Reducer" twice were near-duplicates.
  dups=$(printf '%s\n' "$fields" | awk -F'\t' '$1=="F" && $3 ~ /^gearman\./ {print $2 "\t" $3}' | python3 -c '
import sys, collections, re
seen = collections.defaultdict(set)
for line in sys.stdin:
    label, abbrev = line.rstrip("\n").split("\t")
    seen[tuple(sorted(re.findall(r"[a-z0-9]+", label.lower())))].add(abbrev)
print("; ".join(" / ".join(sorted(v)) for v in seen.values() if len(v) > 1))')
  [ -z "$dups" ] && pass "no two fields share a label" || fail "fields sharing a label: $dups"
  n=$(ours -r "$PCAP_DIR/basic.pcap" -Y 'gearman.pkt_type == 7' 2>/dev/null | count)
  [ "$n" = 2 ] && pass "gearman.pkt_type == 7 (SUBMIT_JOB) matches 2" || fail "gearman.pkt_type == 7 matched $n"
  ;;
counts)
  for m in $(manifests); do
    p=$(dirname "$m")/$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["capture"])' "$m")
    [ -f "$p" ] || { fail "$m names a missing capture"; continue; }
    ours -r "$p" $(port_args "$p") -2 -T fields -E occurrence=a -E aggregator=, -e gearman.type -e gearman.mgr_cmd \
      -e gearman.admin.reply -e gearman.magic_code -Y gearman 2>/dev/null >"$PCAP_DIR/fields.txt"
    if python3 - "$m" "$PCAP_DIR/fields.txt" <<'EOF'
import collections, json, sys
m = json.load(open(sys.argv[1]))
types, magics, cmds, replies = collections.Counter(), collections.Counter(), 0, 0
for line in open(sys.argv[2]):
    cols = line.rstrip("\n").split("\t")
    ts = list(filter(None, cols[0].split(",")))
    ms = list(filter(None, cols[3].split(","))) if len(cols) > 3 else []
    for t in ts:
        types[t] += 1
    for t, mg in zip(ts, ms):
        magics[t + "/" + mg] += 1
    cmds += len(list(filter(None, cols[1].split(",")))) if len(cols) > 1 else 0
    replies += len(list(filter(None, cols[2].split(",")))) if len(cols) > 2 else 0
want = {k: v for k, v in m["packets"]["by_type"].items() if v}
ok = dict(types) == want
if "binary_total" in m["packets"]:
    ok = ok and sum(types.values()) == m["packets"]["binary_total"]
for key, got in (("admin_commands", cmds), ("admin_reply_lines", replies)):
    if key in m["packets"] and m["packets"][key] != got:
        print(f"{key}: got {got}, want {m['packets'][key]}"); ok = False
if "by_type_magic" in m["packets"]:
    want_m = {k: v for k, v in m["packets"]["by_type_magic"].items() if v}
    if dict(magics) != want_m:
        print("by_type_magic got ", dict(sorted(magics.items())))
        print("by_type_magic want", dict(sorted(want_m.items())))
        ok = False
if not ok:
    print("by_type got ", dict(sorted(types.items())))
    print("by_type want", dict(sorted(want.items())))
sys.exit(0 if ok else 1)
EOF
    then pass "packet counts match $(basename "$m")"; else fail "packet counts differ for $(basename "$m")"; fi
  done
  ;;
clean)
  for p in $(clean_captures); do
    n=$(ours -r "$p" $(port_args "$p") -2 -Y '_ws.malformed || _ws.expert.severity == error' 2>/dev/null | count)
    [ "$n" = 0 ] && pass "no Malformed / error expert in $(basename "$p")" || fail "$n frames with Malformed or error-level expert items in $(basename "$p")"
  done
  ;;
experts)
  b=$PCAP_DIR/broken.pcap
  for e in bad_magic resync unknown_type magic_not_allowed missing_arguments handle_too_long bad_number oversize \
           no_request work_warning unusual_number; do
    n=$(ours -r "$b" -2 -Y "gearman.expert.$e" 2>/dev/null | count)
    [ "$n" -ge 1 ] && pass "expert gearman.expert.$e" || fail "no gearman.expert.$e on broken.pcap"
  done
  # One stray byte before the next message (the abraxas server): skipped as not Gearman, in the
  # same segment as the message after it and at the end of a segment; no "partial header".
  st=$PCAP_DIR/stray-byte.pcap
  got=$(ours -r "$st" -2 -T fields -e frame.number -e _ws.col.Info -Y 'gearman.expert.resync' 2>/dev/null | tr '\t' ' ')
  n=$(count <<<"$got")
  [ "$n" = 2 ] && pass "stray byte skipped twice (same segment, segment end): $(tr '\n' '|' <<<"$got")" || fail "stray bytes: '$got'"
  n=$(ours -r "$st" -2 -Y 'gearman.expert.truncated || _ws.col.info contains "partial header"' 2>/dev/null | count)
  [ "$n" = 0 ] && pass "no partial header for a stray byte" || fail "$n frames call a stray byte a partial header"
  n=$(ours -r "$st" -2 -Y 'gearman.type == "WORK_COMPLETE" || gearman.type == "ECHO_RES"' 2>/dev/null | count)
  [ "$n" = 3 ] && pass "the messages after the stray bytes are read" || fail "$n of the 3 messages around the stray bytes read"
  # Fewer bytes than a header held no request or answer: the ECHO_RES after one still answers.
  n=$(ours -r "$st" -2 -Y 'gearman.expert.no_request' 2>/dev/null | count)
  [ "$n" = 0 ] && pass "pairing kept across a stray byte" || fail "$n responses without a request after a stray byte"
  # Messages the capture never completes, at the end of both directions: known once the whole
  # capture was seen (the analyzer's truncated_message), not on the first pass.
  se=$PCAP_DIR/stream-ends.pcap
  n=$(ours -r "$se" -2 -Y 'gearman.expert.unfinished' 2>/dev/null | count)
  [ "$n" = 2 ] && pass "unfinished message at the end of each direction" || fail "$n of 2 unfinished messages flagged"
  n=$(ours -r "$se" -Y 'gearman.expert.unfinished' 2>/dev/null | count)
  [ "$n" = 0 ] && pass "no unfinished flag on the first pass" || fail "$n unfinished flags on the first pass"
  n=$("$BUILD_DIR/analyzer/gearman-analyze" --no-progress --format json "$se" 2>/dev/null |
      python3 -c 'import json,sys; print(sum(w["count"] for w in json.load(sys.stdin)["warnings"] if w["kind"]=="truncated_message"))')
  [ "$n" = 2 ] && pass "the analyzer counts the same 2 truncated messages" || fail "analyzer truncated_message: '$n'"
  # Resync: the packet after the oversize garbage is still dissected.
  n=$(ours -r "$b" -Y 'gearman.type == "WORK_WARNING"' 2>/dev/null | count)
  [ "$n" = 1 ] && pass "resync after garbage" || fail "WORK_WARNING after garbage not found"
  a=$PCAP_DIR/admin.pcap
  for e in admin_err admin_unknown_command; do
    n=$(ours -r "$a" -2 -Y "gearman.expert.$e" 2>/dev/null | count)
    [ "$n" -ge 1 ] && pass "expert gearman.expert.$e" || fail "no gearman.expert.$e on admin.pcap"
  done
  c=$PCAP_DIR/basic.pcap
  for e in error work_fail work_exception; do
    n=$(ours -r "$c" -2 -Y "gearman.expert.$e" 2>/dev/null | count)
    [ "$n" -ge 1 ] && pass "expert gearman.expert.$e" || fail "no gearman.expert.$e on basic.pcap"
  done
  # The message size limit is a preference: a 200 KB argument is over a 64 KB limit.
  big=$CAPTURES/large-arg.pcap
  n=$(ours -r "$big" -Y gearman.expert.oversize 2>/dev/null | count)
  [ "$n" = 0 ] && pass "200 KB message under the default limit" || fail "$n oversize experts at the default limit"
  n=$(ours -r "$big" -o gearman.max_message_size:65536 -Y gearman.expert.oversize 2>/dev/null | count)
  [ "$n" -ge 1 ] && pass "gearman.max_message_size:65536 refuses the 200 KB message" || fail "no oversize expert with a 64 KB limit"
  # Control bytes in strings are escaped, not dots.
  n=$(ours -r "$b" -Y 'gearman.func.name == "fn\\x01\\n"' 2>/dev/null | count)
  [ "$n" = 1 ] && pass "control bytes shown escaped (\\x01, \\n)" || fail "escaped function name matched $n frames"
  txt=$(ours -r "$c" -2 -Y gearman.expert.error -V 2>/dev/null)
  grep -q "JOB_QUEUE_FULL" <<<"$txt" && pass "ERROR expert has the code" || fail "ERROR expert lacks the code"
  ;;
heuristic)
  h=$PCAP_DIR/heuristic-7003.pcap
  want=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["packets"]["binary_total"])' "${h%.pcap}.manifest.json")
  got=$(ours -r "$h" -T fields -E occurrence=a -E aggregator=, -e gearman.type -Y gearman 2>/dev/null | tr ',' '\n' | count)
  [ "$got" = "$want" ] && pass "heuristic finds all $want PDUs on port 7003" || fail "heuristic found $got of $want PDUs"
  got=$(ours -r "$h" --disable-heuristic gearman_tcp -Y gearman 2>/dev/null | count)
  [ "$got" = 0 ] && pass "heuristic can be disabled" || fail "$got frames decoded with the heuristic disabled"
  got=$(ours -r "$h" -o gearman.heuristic:FALSE -Y gearman 2>/dev/null | count)
  [ "$got" = 0 ] && pass "gearman.heuristic:FALSE disables it" || fail "$got frames decoded with gearman.heuristic:FALSE"
  # Bundled captures on another port than 4730: the heuristic alone finds every binary message.
  for m in "$CAPTURES"/*.manifest.json; do
    [ -f "$m" ] || continue
    read -r port cap total < <(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["server"]["port"], m["capture"], m["packets"]["binary_total"])' "$m")
    [ "$port" = 4730 ] && continue
    got=$(ours -r "$CAPTURES/$cap" -T fields -E occurrence=a -E aggregator=, -e gearman.type -Y gearman 2>/dev/null | tr ',' '\n' | count)
    [ "$got" = "$total" ] && pass "heuristic finds all $total messages in $cap (port $port)" || fail "heuristic found $got of $total in $cap"
  done
  # A first segment with only magic and type (8 bytes), and an admin command whose newline comes
  # in the next segment: the heuristic waits for more instead of giving up.
  s=$PCAP_DIR/heuristic-short-start.pcap
  got=$(ours -r "$s" -T fields -E occurrence=a -E aggregator=, -e gearman.type -Y gearman 2>/dev/null | tr ',' '\n' | count)
  [ "$got" = 6 ] && pass "heuristic decides on 8 bytes, waits for them after 6 (6 of 6 PDUs)" \
    || fail "heuristic on 8- and 6-byte first segments found $got of 6 PDUs"
  bad=$(ours -r "$s" -2 -Y '_ws.malformed || _ws.expert.severity >= warning' 2>/dev/null)
  [ -z "$bad" ] && pass "short first segments: no error, no warning (a keep-alive probe after)" || fail "short first segments: $bad"
  got=$(ours -r "$s" -Y 'gearman.mgr_cmd == "status"' 2>/dev/null | count)
  [ "$got" = 1 ] && pass "heuristic waits for an admin line's newline" || fail "split admin command on port 7011: $got"
  got=$(ours -r "$PCAP_DIR/not-gearman.pcap" -Y gearman 2>/dev/null | count)
  [ "$got" = 0 ] && pass "HTTP/TLS/memcached not claimed" || fail "$got non-Gearman frames claimed"
  ;;
decode_as)
  h=$PCAP_DIR/heuristic-7003.pcap
  got=$(ours -r "$h" --disable-heuristic gearman_tcp -d tcp.port==7003,gearman -Y 'gearman.payload' 2>/dev/null | count)
  [ "$got" -ge 3 ] && pass "Decode As gearman uses the plugin ($got frames with gearman.payload)" || fail "Decode As: $got frames with plugin fields"
  got=$(ours -r "$h" --disable-heuristic gearman_tcp -o gearman.tcp.port:4730,7003 -Y 'gearman.payload' 2>/dev/null | count)
  [ "$got" -ge 3 ] && pass "port range preference gearman.tcp.port" || fail "gearman.tcp.port:4730,7003 decoded $got frames"
  err=$(ours -r "$h" --disable-heuristic gearman_tcp -d tcp.port==7003,gearman 2>&1 >/dev/null)
  [ -z "$err" ] && pass "Decode As quiet" || fail "Decode As stderr: $err"
  ;;
links)
  c=$PCAP_DIR/basic.pcap
  # Two passes: links both ways. One pass: backward links (request_in) already right.
  two=$(ours -r "$c" -2 -T fields -e frame.number -e gearman.request_in -e gearman.response_in -Y gearman 2>/dev/null)
  one=$(ours -r "$c" -T fields -e frame.number -e gearman.request_in -Y gearman 2>/dev/null)
  [ "$(cut -f1,2 <<<"$two")" = "$one" ] && pass "single pass backward links equal two-pass" || fail "single pass links differ"
  for pair in 8:9 11:12 3:10 6:7 24:25 4:5 20:21 29:30 31:32 35:38 39:40 41:42; do
    q=${pair%%:*} r=${pair##*:}
    awk -F'\t' -v q="$q" -v r="$r" 'function has(l, x,  i, n, p) { n = split(l, p, ","); for (i = 1; i <= n; i++) if (p[i] == x) return 1; return 0 }
      $1==r && has($2, q) {a=1} $1==q && has($3, r) {b=1} END {exit !(a&&b)}' <<<"$two" \
      && pass "request $q <-> response $r" || fail "link $q <-> $r missing"
  done
  a=$(ours -r "$PCAP_DIR/admin.pcap" -2 -T fields -e frame.number -e gearman.request_in -e gearman.response_in -Y gearman 2>/dev/null)
  awk -F'\t' '$1==2 && $2 ~ /^1(,|$)/ {a=1} $1==1 && $3 ~ /^2/ {b=1} END {exit !(a&&b)}' <<<"$a" \
    && pass "admin command <-> reply" || fail "admin links missing: $a"
  ;;
jobs)
  for p in $(clean_captures); do
    ours -r "$p" $(port_args "$p") -2 -T fields -E occurrence=f -e gearman.job.queue_time -e gearman.job.run_time \
      -e gearman.job.total_time -Y 'gearman.job.total_time' 2>/dev/null >"$PCAP_DIR/times.txt"
    if python3 - "$PCAP_DIR/times.txt" <<'EOF'
import sys
bad = 0
for line in open(sys.argv[1]):
    q, r, t = (float(x) if x else None for x in line.rstrip("\n").split("\t")[:3])
    if q is not None and r is not None and q + r > t + 1e-6:
        bad += 1
sys.exit(1 if bad else 0)
EOF
    then pass "queue + run <= total in $(basename "$p")"; else fail "queue + run > total in $(basename "$p")"; fi
  done
  # Jobs against the manifests: totals, outcomes, and per function when the manifest has them.
  for m in $(manifests); do
    p=$(dirname "$m")/$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["capture"])' "$m")
    [ -f "$p" ] || continue
    python3 -c 'import json,sys; sys.exit(0 if "jobs" in json.load(open(sys.argv[1])) else 1)' "$m" || continue
    ours -r "$p" $(port_args "$p") -2 -o tcp.reassemble_out_of_order:TRUE -T fields -E occurrence=a -E aggregator=';' \
      -e gearman.job.function -e gearman.job.outcome -e gearman.job.queue_time -e gearman.job.run_time \
      -e gearman.job.total_time -e gearman.job.created_in -e gearman.job.unique -e gearman.job.assigned_in \
      -Y gearman.job.function 2>/dev/null >"$PCAP_DIR/jobs.tsv"
    python3 "$SRC_DIR/tests/plugin/check_truth.py" "$m" "$PCAP_DIR/jobs.tsv" && pass "jobs match $(basename "$m")" \
      || fail "jobs differ from $(basename "$m")"
  done
  c=$PCAP_DIR/basic.pcap
  row=$(ours -r "$c" -2 -T fields -E occurrence=f -e gearman.job.function -e gearman.job.unique -e gearman.job.submit_in \
        -e gearman.job.created_in -e gearman.job.assigned_in -e gearman.job.end_in -e gearman.job.result_in \
        -e gearman.job.outcome -Y 'frame.number == 13' 2>/dev/null)
  [ "$row" = "$(printf 'reverse\tu-1\t8\t9\t12\t14\t15\tcomplete')" ] && pass "job links on WORK_STATUS" || fail "job row: $row"
  n=$(ours -r "$c" -2 -Y 'gearman.job.outcome == "fail" && gearman.job.function == "fail"' 2>/dev/null | count)
  [ "$n" -ge 3 ] && pass "failed job found by filter" || fail "failed-job filter matched $n"
  ;;
stats)
  out=$(ours -r "$PCAP_DIR/basic.pcap" -2 -q -z gearman,tree 2>&1)
  for s in "Packets by type" "SUBMIT_JOB" "Jobs by function" "Jobs by outcome" "complete" "incomplete" "Response time" \
           "queue time" "total time"; do
    grep -q "$s" <<<"$out" && pass "-z gearman,tree has '$s'" || fail "-z gearman,tree lacks '$s'"
  done
  ;;
builtin)
  b=$PCAP_DIR/broken.pcap
  # An exception in a dissector shows as "[Malformed Packet: ...]" in the tree.
  nb=$(builtin -r "$b" -V | grep -c "Malformed Packet")
  no=$(ours -r "$b" -V 2>/dev/null | grep -c "Malformed Packet")
  [ "$nb" -ge 1 ] && [ "$no" = 0 ] && pass "built-in throws Malformed on missing arguments ($nb), ours does not" || fail "malformed: built-in $nb, ours $no"
  # The built-in reads ERROR's text as NUL-terminated and throws; ours does not.
  nb=$(builtin -r "$PCAP_DIR/basic.pcap" -V -Y 'gearman.pkt_type == 19' | grep -c "Malformed Packet")
  no=$(ours -r "$PCAP_DIR/basic.pcap" -V -Y 'gearman.pkt_type == 19' 2>/dev/null | grep -c "Malformed Packet")
  [ "$nb" -ge 1 ] && [ "$no" = 0 ] && pass "ERROR packet: built-in Malformed, ours clean" || fail "ERROR packet: built-in $nb, ours $no"
  # Every clean capture: the built-in throws exceptions on some (e.g. ERROR packets, admin text),
  # ours on none.
  for p in $(clean_captures); do
    nb=$(builtin -r "$p" $(port_args "$p") -V | grep -c "Malformed Packet")
    no=$(ours -r "$p" $(port_args "$p") -V 2>/dev/null | grep -c "Malformed Packet")
    [ "$no" = 0 ] && pass "$(basename "$p"): built-in $nb Malformed, ours 0" || fail "$(basename "$p"): ours has $no Malformed"
  done
  nb=$(builtin -r "$b" -Y 'gearman.pkt_type == 29' | count)
  no=$(ours -r "$b" -Y 'gearman.pkt_type == 29' 2>/dev/null | count)
  [ "$nb" = 0 ] && [ "$no" = 1 ] && pass "only ours resyncs after an oversize header" || fail "resync: built-in $nb, ours $no"
  a=$PCAP_DIR/admin.pcap
  nb=$(builtin -r "$a" -Y 'gearman.mgr_cmd' | count)
  no=$(ours -r "$a" -Y 'gearman.mgr_cmd' 2>/dev/null | count)
  [ "$no" -gt "$nb" ] && pass "admin commands: ours $no frames, built-in $nb" || fail "admin commands: ours $no, built-in $nb"
  nb=$(builtin -r "$PCAP_DIR/heuristic-7003.pcap" -Y gearman | count)
  no=$(ours -r "$PCAP_DIR/heuristic-7003.pcap" -Y gearman 2>/dev/null | count)
  [ "$nb" = 0 ] && [ "$no" -gt 0 ] && pass "only ours finds Gearman on port 7003" || fail "port 7003: built-in $nb, ours $no"
  ;;
desegment)
  c=$PCAP_DIR/basic.pcap
  err=$(ours -r "$c" -o gearman.desegment:FALSE 2>&1 >/dev/null)
  [ -z "$err" ] && pass "desegment off: quiet" || fail "desegment off stderr: $err"
  n=$(ours -r "$c" -o gearman.desegment:FALSE -o tcp.desegment_tcp_streams:FALSE -Y 'gearman.expert.truncated' 2>/dev/null | count)
  [ "$n" -ge 1 ] && pass "desegment off: split PDU marked truncated" || fail "desegment off: no truncated PDU ($n)"
  # TCP reassembly off while ours is on: no "Unreassembled Packet" exceptions.
  for p in "$c" "$PCAP_DIR/admin.pcap"; do
    n=$(ours -r "$p" -o tcp.desegment_tcp_streams:FALSE -V 2>/dev/null | grep -c "Unreassembled\|Exception occurred")
    [ "$n" = 0 ] && pass "tcp desegmentation off: no exceptions in $(basename "$p")" || fail "tcp desegmentation off: $n exceptions in $(basename "$p")"
  done
  n=$(ours -r "$c" -Y 'frame.number == 17 && gearman.type == "SUBMIT_JOB_HIGH"' 2>/dev/null | count)
  [ "$n" = 1 ] && pass "desegment on: split PDU reassembled" || fail "split PDU not reassembled"
  # 1- and 2-byte segments: the admin reply's rows and both binary messages are reassembled.
  t=$PCAP_DIR/tiny-segments.pcap
  got=$(ours -r "$t" -T fields -E occurrence=a -E aggregator=, -e gearman.admin.reply -e gearman.type \
        -Y 'gearman.type || gearman.mgr_cmd || gearman.admin.reply' 2>/dev/null | tr '\t' ':' | paste -sd'|')
  [ "$got" = ":|status row:|end of list:|:SUBMIT_JOB|:ECHO_REQ|:JOB_CREATED,ECHO_RES" ] \
    && pass "1- and 2-byte segments reassembled" || fail "tiny segments: '$got'"
  # The plugin reassembles (not TCP): the 29-byte SUBMIT_JOB from frames 14-42 is dissected in 42
  # from a "Reassembled Gearman" data source listing its 29 segments, and each of 14-41 links to 42.
  got=$(ours -r "$t" -2 -T fields -E occurrence=a -E aggregator=, -e gearman.segment.count -e gearman.reassembled.length \
        -e gearman.segment -Y 'frame.number == 42' 2>/dev/null)
  [ "$got" = "$(printf '29\t29\t%s' "$(seq -s, 14 42)")" ] && pass "SUBMIT_JOB lists its 29 segments" || fail "frame 42 segments: '$got'"
  got=$(ours -r "$t" -2 -T fields -e frame.number -Y 'gearman.reassembled_in == 42' 2>/dev/null | paste -sd,)
  [ "$got" = "$(seq -s, 14 41)" ] && pass "segments 14-41 link to frame 42" || fail "frames linking to 42: '$got'"
  n=$(ours -r "$t" -2 -x -Y 'frame.number == 42' 2>/dev/null | grep -c '^Reassembled Gearman (29 bytes):')
  [ "$n" = 1 ] && pass "data source 'Reassembled Gearman'" || fail "no 'Reassembled Gearman' data source in frame 42"
  n=$(ours -r "$PCAP_DIR/admin.pcap" -Y 'gearman.mgr_cmd == "prioritystatus"' 2>/dev/null | count)
  [ "$n" = 1 ] && pass "text line split over segments reassembled" || fail "split text line: $n"
  # No TCP reassembly error, no Malformed and no Error-level item (stock Wireshark shows none) on
  # 1-byte segments whose last one is retransmitted, nor on Windows keep-alive probes (1 byte at
  # next sequence - 1) after messages that spanned segments and after ones that did not: in one
  # pass and in two, with and without out-of-order reassembly and TCP sequence analysis.
  k=$PCAP_DIR/keep-alive.pcap
  for p in "$t" "$k"; do
    for opts in "" "-2" "-o tcp.reassemble_out_of_order:TRUE" "-2 -o tcp.reassemble_out_of_order:TRUE" \
                "-2 -o tcp.analyze_sequence_numbers:FALSE"; do
      # shellcheck disable=SC2086
      bad=$(ours -r "$p" $opts -Y '_ws.malformed || _ws.expert.severity == error' 2>/dev/null)
      [ -z "$bad" ] && pass "no reassembly error in $(basename "$p") (${opts:-one pass})" \
        || fail "$(basename "$p") (${opts:-one pass}): $bad"
    done
  done
  # TCP takes the probes for keep-alives (else this would test nothing), and none is a message.
  n=$(ours -r "$k" -Y 'tcp.analysis.keep_alive' 2>/dev/null | count)
  [ "$n" = 9 ] && pass "9 keep-alive probes" || fail "$n keep-alive probes, want 9"
  n=$(ours -r "$k" -2 -Y 'tcp.analysis.keep_alive && (gearman.type || gearman.mgr_cmd || gearman.admin.reply)' 2>/dev/null | count)
  [ "$n" = 0 ] && pass "no probe decoded as a message" || fail "$n probes decoded as messages"
  # Every message once, in the frame of its last byte, in both passes and with out-of-order
  # reassembly.
  want="3:SUBMIT_JOB::|6:JOB_CREATED::|9:ECHO_REQ::|13:ECHO_RES::|16:GET_STATUS::|17:ECHO_REQ::|20:STATUS_RES,ECHO_RES::"
  want+="|22::status:|26:::status row|27:::status row,end of list|30::workers:|33:::workers row,end of list"
  for opts in "" "-2" "-2 -o tcp.reassemble_out_of_order:TRUE"; do
    # shellcheck disable=SC2086
    got=$(ours -r "$k" $opts -T fields -E occurrence=a -E aggregator=, -e frame.number -e gearman.type -e gearman.mgr_cmd \
          -e gearman.admin.reply -Y 'gearman.type || gearman.mgr_cmd || gearman.admin.reply' 2>/dev/null | tr '\t' ':' | paste -sd'|')
    [ "$got" = "$want" ] && pass "keep-alive.pcap: every message once (${opts:-one pass})" \
      || fail "keep-alive.pcap (${opts:-one pass}): '$got'"
  done
  ;;
compat)
  # The built-in dissector's fields: on every capture, each one we fill on at least the frames
  # where stock tshark (the built-in alone) fills it.
  bfields=$(tshark -G fields 2>/dev/null | awk -F'\t' '$1=="F" && $3 ~ /^gearman\./ && $4 != "FT_NONE" {print $3}' | sort -u)
  [ "$(wc -w <<<"$bfields")" -ge 25 ] || fail "stock tshark lists only $(wc -w <<<"$bfields") gearman fields"
  eargs=()
  for f in $bfields; do eargs+=(-e "$f"); done
  for p in $(clean_captures) "$PCAP_DIR/broken.pcap"; do
    builtin -r "$p" $(port_args "$p") -T fields -E quote=d -e frame.number "${eargs[@]}" >"$PCAP_DIR/compat-b.tsv"
    ours -r "$p" $(port_args "$p") -T fields -E quote=d -e frame.number "${eargs[@]}" 2>/dev/null >"$PCAP_DIR/compat-o.tsv"
    if missing=$(python3 "$SRC_DIR/tests/plugin/compare_fields.py" "$PCAP_DIR/compat-b.tsv" "$PCAP_DIR/compat-o.tsv" $bfields); then
      pass "every built-in field the built-in fills in $(basename "$p") is filled by ours"
    else
      fail "$(basename "$p"): built-in fields ours lacks: $missing"
    fi
  done
  ;;
realbytes)
  # What real software sends and real servers accept: no Malformed, no error.
  r=$PCAP_DIR/real-bytes.pcap
  n=$(ours -r "$r" -2 -Y '_ws.malformed || _ws.expert.severity >= warning && !gearman.expert.missing_last_separator' 2>/dev/null | count)
  [ "$n" = 0 ] && pass "fractions, empty numbers: no Malformed, no warning" || fail "$n frames with Malformed or warnings in real-bytes.pcap"
  got=$(ours -r "$r" -T fields -e gearman.status.numerator -e gearman.status.denominator -e gearman.status.percent -Y 'frame.number == 5' 2>/dev/null)
  [ "$got" = "$(printf '33.3333333333333\t100\t33.3333333333333')" ] && pass "Node.js fraction read as a number: $got" || fail "frame 5: '$got'"
  n=$(ours -r "$r" -Y 'gearman.status.percent > 33.3 && gearman.status.percent < 33.4' 2>/dev/null | count)
  [ "$n" = 5 ] && pass "gearman.status.percent filters (5 frames)" || fail "gearman.status.percent matched $n frames, want 5"
  n=$(ours -r "$r" -Y 'frame.number == 12 && gearman.arg.invalid_number == "" && !_ws.expert' 2>/dev/null | count)
  [ "$n" = 1 ] && pass "Gearman::Server's empty numbers: no progress, no expert" || fail "empty numbers: $n"
  got=$(ours -r "$r" -T fields -e gearman.job.handle -e _ws.expert.severity -Y 'gearman.expert.missing_last_separator' 2>/dev/null)
  [ "$got" = "$(printf 'H:vm:1\t6291456')" ] && pass "WORK_COMPLETE without its last NUL: the handle, a Warning, not Malformed" || fail "WORK_COMPLETE without separator: '$got'"
  n=$(ours -r "$r" -Y 'gearman.expert.missing_arguments' 2>/dev/null | count)
  [ "$n" = 0 ] && pass "no 'fewer arguments' error" || fail "$n frames with missing_arguments"
  ;;
srt)
  out=$(ours -r "$PCAP_DIR/basic.pcap" -q -z gearman,srt 2>&1)
  for row in "SUBMIT_JOB +2 " "GRAB_JOB +3 " "PRE_SLEEP +1 " "ECHO_REQ +1 " "GET_STATUS +1 " "OPTION_REQ +1 " \
             "GRAB_JOB_UNIQ +1 " "GET_STATUS_UNIQUE +1 " "SUBMIT_JOB_SCHED +1 "; do
    grep -Eq "^ *[0-9]+ +$row" <<<"$out" && pass "-z gearman,srt row '$row'" || fail "-z gearman,srt lacks '$row': $out"
  done
  # ECHO_REQ (frame 6) -> ECHO_RES (frame 7): 1 ms in basic.pcap.
  grep -Eq "ECHO_REQ +1 +0\.001000 +0\.001000" <<<"$out" && pass "ECHO_REQ response time 1 ms" || fail "ECHO_REQ time: $out"
  out=$(ours -r "$PCAP_DIR/admin.pcap" -q -z gearman,srt 2>&1)
  grep -Eq "admin status +[0-9]+ " <<<"$out" && pass "admin command rows" || fail "admin rows: $out"
  ;;
install)
  # cmake --install puts gearman.so under the prefix (DESTDIR here); copied into a personal plugin
  # folder, a normal user's tshark loads it. (tests/install checks the prefixes themselves.)
  dest=$(mktemp -d)
  DESTDIR=$dest cmake --install "$BUILD_DIR" >/dev/null || fail "cmake --install"
  so=$(find "$dest" -path '*/plugins/4.0/epan/gearman.so' | head -n1)
  [ -n "$so" ] && pass "installed $so" || fail "gearman.so not installed"
  if [ -n "$so" ]; then
    # Load it from there as an unprivileged user with that folder as HOME's personal plugins.
    home=$(mktemp -d)
    mkdir -p "$home/.local/lib/wireshark/plugins/4.0/epan"
    cp "$so" "$home/.local/lib/wireshark/plugins/4.0/epan/"
    cp "$PCAP_DIR/basic.pcap" "$home/"
    chmod -R a+rX "$home"
    if [ "$(id -u)" = 0 ]; then
      chown -R nobody "$home"
      out=$(cd "$home" && setpriv --reuid=nobody --regid=nogroup --clear-groups env -i PATH="$PATH" HOME="$home" tshark -r "$home/basic.pcap" -Y gearman.payload 2>&1)
    else
      out=$(HOME=$home tshark -r "$home/basic.pcap" -Y gearman.payload 2>&1)
    fi
    grep -q "SUBMIT_JOB" <<<"$out" && pass "personal plugin folder install loads" || fail "installed plugin not loaded: $out"
    rm -rf "$home"
  fi
  rm -rf "$dest"
  ;;
truth)
  # gearman-gen writes captures whose jobs are known exactly; the plugin's job fields must agree.
  gen=${GEARMAN_GEN:?}
  i=0
  while IFS= read -r opts; do
    i=$((i + 1))
    g=$PCAP_DIR/truth-$i.pcap
    # shellcheck disable=SC2086
    "$gen" --out "$g" --truth "${g%.pcap}.json" --jobs 800 --seed "$i" $opts -q || { fail "gearman-gen $opts"; continue; }
    ours -r "$g" -2 -o tcp.reassemble_out_of_order:TRUE -T fields -E occurrence=a -E aggregator=';' \
      -e gearman.job.function -e gearman.job.outcome -e gearman.job.queue_time -e gearman.job.run_time \
      -e gearman.job.total_time -e gearman.job.created_in -e gearman.job.unique -e gearman.job.assigned_in \
      -Y gearman.job.function 2>/dev/null >"${g%.pcap}.tsv"
    if python3 "$SRC_DIR/tests/plugin/check_truth.py" "${g%.pcap}.json" "${g%.pcap}.tsv"; then
      pass "jobs match gearman-gen truth ($opts)"
    else
      fail "jobs differ from gearman-gen truth ($opts)"
    fi
    n=$(ours -r "$g" -2 -o tcp.reassemble_out_of_order:TRUE -Y '_ws.malformed || _ws.expert.severity == error' 2>/dev/null | count)
    [ "$n" = 0 ] && pass "no Malformed/error items ($opts)" || fail "$n Malformed/error frames ($opts)"
  done <<'OPTS'
--split 0.3
--exception-then-fail 0.3 --stuck 2 --batch 0.3 --coalesce 0.3
--reorder 0.05 --loss 0.02 --link null
--assign-before-created 0.05 --end-before-created 0.05 --result-before-end 0.05 --end-before-assign 0.05 --worker-deaths 3
OPTS
  ;;
*)
  echo "unknown case $case_name" >&2; exit 2 ;;
esac
[ "$failures" = 0 ] || { echo "$failures failure(s) in $case_name" >&2; exit 1; }
