#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# plugin/gearman.colorfilters: the one-liner in docs/wireshark-plugin.md puts the rules first in a
# personal colorfilters file (made in a scratch home), tshark with the plugin accepts every rule's
# filter, and on every bundled capture the frames each rule colours (tshark --color -T psml) are
# those where Wireshark's built-in dissector, not the plugin, sees WORK_FAIL, WORK_EXCEPTION or
# ERROR (plus admin "ERR" replies in the TCP payload). The malformed rule colours nothing there
# and something on the crafted broken capture. Environment: SRC_DIR, BUILD_DIR, PCAP_DIR.
set -uo pipefail
SRC_DIR=${SRC_DIR:?}
BUILD_DIR=${BUILD_DIR:?}
PCAP_DIR=${PCAP_DIR:?}
export PLUGIN_DIR=$BUILD_DIR/plugin/plugins
WRAP=$SRC_DIR/scripts/tshark-with-plugin.sh
RULES=$SRC_DIR/plugin/gearman.colorfilters
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The one-liner, exactly as documented, with PREFIX at a copy of the file.
line=$(grep '^f=~/.config/wireshark/colorfilters;' "$SRC_DIR/docs/wireshark-plugin.md")
[ -n "$line" ] || { echo "FAIL: no colorfilters one-liner in docs/wireshark-plugin.md" >&2; exit 1; }
mkdir -p "$tmp/prefix/share/gearman-wire" "$tmp/home"
cp "$RULES" "$tmp/prefix/share/gearman-wire/"
for run in 1 2; do  # twice: the second run must not add the rules again
  HOME=$tmp/home PREFIX=$tmp/prefix bash -c "$line" || fail "the one-liner failed (run $run)"
done
conf=$tmp/home/.config/wireshark
n=$(grep -c '^@Gearman ' "$conf/colorfilters")
want=$(grep -c '^@' "$RULES")
[ "$n" = "$want" ] && pass "one-liner: $n Gearman rules, once" || fail "one-liner: $n Gearman rules, want $want"
first=$(head -n "$want" "$conf/colorfilters" | grep -c '^@Gearman ')
[ "$first" = "$want" ] && pass "Gearman rules first" || fail "the Gearman rules are not first: $(head -n 6 "$conf/colorfilters")"
grep -q '^@TCP@tcp@' "$conf/colorfilters" && pass "Wireshark's default rules kept" || fail "default rules lost"

# Every rule's filter compiles in tshark with the plugin.
while IFS=@ read -r _ name filter _; do
  err=$(bash "$WRAP" -r "$SRC_DIR/captures/basic-cli.pcap" -Y "$filter" 2>&1 >/dev/null)
  [ -z "$err" ] && pass "filter of '$name' accepted" || fail "filter of '$name': $err"
done < <(grep '^@' "$RULES")

# Each rule's colours as tshark writes them: "#rrggbb/#rrggbb" (background/foreground, the high
# byte of each 16-bit component).
colours=$(python3 - "$RULES" <<'PY'
import re, sys
for line in open(sys.argv[1]):
    if not line.startswith("@"): continue
    _, name, _, colours = line.rstrip("\n").split("@")
    bg, fg = ([int(x) >> 8 for x in c.split(",")] for c in re.findall(r"\[([^\]]*)\]", colours))
    print(f"{name}\t#{bg[0]:02x}{bg[1]:02x}{bg[2]:02x}/#{fg[0]:02x}{fg[1]:02x}{fg[2]:02x}")
PY
)
# The rules' colours are theirs alone (else the test could not tell who coloured a frame).
while IFS=$'\t' read -r name pair; do
  grep -v '^@Gearman ' "$conf/colorfilters" | python3 -c '
import re, sys
pair = sys.argv[1]
for line in sys.stdin:
    c = re.findall(r"\[([^\]]*)\]", line)
    if len(c) == 2:
        bg, fg = ([int(x) >> 8 for x in v.split(",")] for v in c)
        if f"#{bg[0]:02x}{bg[1]:02x}{bg[2]:02x}/#{fg[0]:02x}{fg[1]:02x}{fg[2]:02x}" == pair: sys.exit(1)' "$pair" \
    || fail "'$name' has the colours of a default rule"
done <<<"$colours"

check_capture() {
  local cap=$1 args=()
  local m=${cap%.pcap}.manifest.json port=4730
  if [ -f "$m" ]; then port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("server",{}).get("port",4730))' "$m"); fi
  [ "$port" = 4730 ] || args=(-d "tcp.port==$port,gearman")
  WIRESHARK_CONFIG_DIR=$conf bash "$WRAP" -r "$cap" "${args[@]}" --color -T psml 2>"$tmp/err" >"$tmp/psml" \
    || { fail "$(basename "$cap"): tshark --color: $(cat "$tmp/err")"; return; }
  tshark -r "$cap" "${args[@]}" -T fields -E occurrence=a -E aggregator=, \
    -e frame.number -e gearman.pkt_type -e tcp.srcport -e tcp.payload 2>/dev/null >"$tmp/builtin"
  python3 - "$tmp/psml" "$tmp/builtin" "$port" "$(basename "$cap")" "$2" <<PY || failures=$((failures + 1))
import re, sys
psml, builtin, port, name, broken = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5] == "broken"
colour = dict(l.split("\t") for l in """$colours""".strip().split("\n"))
by_colour = {v: k for k, v in colour.items()}
got = {}
text = open(psml).read()
for m in re.finditer(r"<packet foreground='([^']*)' background='([^']*)'>\s*<section>(\d+)</section>", text):
    rule = by_colour.get(m.group(2) + "/" + m.group(1))
    if rule: got.setdefault(rule, set()).add(int(m.group(3)))
want = {}
for line in open(builtin):
    f = line.rstrip("\n").split("\t") + ["", "", ""]
    frame, types, sport, payload = int(f[0]), {t for t in f[1].split(",") if t}, f[2], f[3]
    data = bytes.fromhex(payload.replace(":", "")) if payload else b""
    admin_err = sport == port and not data.startswith(b"\0RES") and any(
        l.startswith(b"ERR ") for l in data.split(b"\n"))
    rule = ("Gearman server ERROR" if "19" in types or admin_err else
            "Gearman job exception" if "25" in types else
            "Gearman job failed" if "14" in types else None)
    if rule: want.setdefault(rule, set()).add(frame)
ok = True
if broken:
    if not got.get("Gearman malformed"):
        print(f"FAIL: {name}: the malformed rule coloured nothing", file=sys.stderr); ok = False
    else:
        print(f"ok: {name}: {len(got['Gearman malformed'])} frames coloured malformed")
    sys.exit(0 if ok else 1)
for rule in sorted(set(colour) | set(want)):
    g, w = got.get(rule, set()), want.get(rule, set())
    if g != w:
        print(f"FAIL: {name}: '{rule}' coloured frames {sorted(g)[:20]}, the built-in dissector says {sorted(w)[:20]}",
              file=sys.stderr)
        ok = False
    elif w:
        print(f"ok: {name}: '{rule}' colours the {len(w)} frames it should")
sys.exit(0 if ok else 1)
PY
}

for cap in "$SRC_DIR"/captures/*.pcap; do check_capture "$cap" clean; done
check_capture "$PCAP_DIR/broken.pcap" broken
[ "$failures" = 0 ] || { echo "$failures failure(s)" >&2; exit 1; }
