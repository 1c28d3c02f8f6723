#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `cmake --install` as a packager and a user run it: with DESTDIR and --prefix, every file lands
# under DESTDIR/PREFIX and nowhere else; the installed analyzer runs; the man pages render without
# warnings and, like the bash completions, know every option of --help; the installed plugin
# loads in tshark; with the prefix /usr the plugin goes to Wireshark's own folder, with ~/.local
# to the personal one. Environment: SRC_DIR, BUILD_DIR, VERSION, WITH_PLUGIN (1 or 0).
set -uo pipefail
SRC_DIR=${SRC_DIR:?}
BUILD_DIR=${BUILD_DIR:?}
VERSION=${VERSION:?}
WITH_PLUGIN=${WITH_PLUGIN:-0}
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
tmp=$(mktemp -d)
chmod 0755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
ws=$(pkg-config --variable=plugindir wireshark 2>/dev/null || true)
majmin=4.0
[ -n "$ws" ] && majmin=${ws##*/}

# 1. A packager's install: DESTDIR + --prefix.
DESTDIR=$tmp/dest cmake --install "$BUILD_DIR" --prefix /opt/gearwire >"$tmp/install.log" 2>&1 \
  || { cat "$tmp/install.log" >&2; echo "FAIL: cmake --install" >&2; exit 1; }
root=$tmp/dest/opt/gearwire
want=(bin/gearman-analyze bin/gearman-gen share/man/man1/gearman-analyze.1 share/man/man1/gearman-gen.1
      share/bash-completion/completions/gearman-analyze share/bash-completion/completions/gearman-gen
      share/doc/gearman-wire/LICENSE share/doc/gearman-wire/README.md share/doc/gearman-wire/gearman-analyze.md)
if [ "$WITH_PLUGIN" = 1 ]; then
  want+=("lib/wireshark/plugins/$majmin/epan/gearman.so" share/gearman-wire/gearman.colorfilters)
fi
for f in "${want[@]}"; do
  [ -f "$root/$f" ] && pass "installed $f" || fail "missing $f"
done
for f in bin/gearman-analyze bin/gearman-gen; do [ -x "$root/$f" ] || fail "$f not executable"; done
stray=$(find "$tmp/dest" -type f ! -path "$root/*")
[ -z "$stray" ] && pass "nothing outside DESTDIR/PREFIX" || fail "installed outside the prefix: $stray"
grep -q "$HOME" <<<"$(find "$tmp/dest")" && fail "the install depends on HOME"
if [ "$WITH_PLUGIN" = 1 ]; then
  grep -q "Wireshark does not look in" "$tmp/install.log" && pass "install says Wireshark will not find /opt/gearwire's plugin" \
    || fail "no hint that Wireshark ignores $root/lib/wireshark: $(cat "$tmp/install.log")"
fi
for b in gearman-analyze gearman-gen; do
  rp=$(readelf -d "$root/bin/$b" | grep -E 'RPATH|RUNPATH' || true)
  grep -q "$BUILD_DIR" <<<"$rp" && fail "$b keeps the build folder in its RPATH: $rp"
done

# 2. The installed tools run.
v=$("$root/bin/gearman-analyze" --version)
[ "$v" = "gearman-analyze $VERSION" ] && pass "installed gearman-analyze --version" || fail "--version: $v"
v=$("$root/bin/gearman-gen" --version)
[ "$v" = "gearman-gen $VERSION" ] && pass "installed gearman-gen --version" || fail "gearman-gen --version: $v"
out=$("$root/bin/gearman-analyze" "$SRC_DIR/captures/basic-cli.pcap" 2>&1)
rc=$?
[ "$rc" = 0 ] && grep -q '^jobs: 10 total' <<<"$out" && pass "installed analyzer reads basic-cli.pcap" \
  || fail "installed analyzer: rc=$rc $(head -c 300 <<<"$out")"
"$root/bin/gearman-gen" --jobs 200 --seed 7 --stuck 1 --loss 0.01 --reorder 0.01 \
  --functions 'resize:r=15/0.5:fail=0.05;mail:bg=0.8' --out "$tmp/g.pcap" --truth "$tmp/g.json" -q \
  && pass "the man page's gearman-gen example runs" || fail "gearman-gen example from the man page"

# 3. Man pages: render without warnings, and document every option --help lists.
for tool in gearman-analyze gearman-gen; do
  page=$root/share/man/man1/$tool.1
  warn=$(MANWIDTH=200 man --warnings -l "$page" 2>&1 >"$tmp/$tool.txt")
  [ -z "$warn" ] && pass "man -l $tool.1 renders without warnings" || fail "man -l $tool.1: $warn"
  grep -q '^NAME' "$tmp/$tool.txt" && grep -q "^SYNOPSIS" "$tmp/$tool.txt" && grep -q "^EXIT STATUS" "$tmp/$tool.txt" \
    || fail "$tool.1 lacks NAME, SYNOPSIS or EXIT STATUS"
  grep -q "gearman-wire $VERSION" "$tmp/$tool.txt" || fail "$tool.1 does not say version $VERSION"
  comp=$root/share/bash-completion/completions/$tool
  for opt in $("$root/bin/$tool" --help | grep -oE -- '(^|[ ,])--?[a-zA-Z][a-zA-Z-]*' | tr -d ' ,' | sort -u); do
    grep -qE -- "(^|[^a-zA-Z-])$opt([^a-zA-Z-]|$)" "$tmp/$tool.txt" || fail "$tool.1 does not document $opt"
    grep -qE -- "(^|[ \"])$opt([ \"]|$)" "$comp" || fail "the $tool completion lacks $opt"
  done
  pass "$tool: man page and completion cover --help"
done

# 4. Completions work in a plain bash (no bash-completion package needed).
got=$(cd "$SRC_DIR/captures" && bash --norc --noprofile -c '
  source "$1"
  COMP_WORDS=(gearman-analyze --form); COMP_CWORD=1; _gearman_analyze; echo "${COMPREPLY[*]}"
  COMP_WORDS=(gearman-analyze --format ""); COMP_CWORD=2; _gearman_analyze; echo "${COMPREPLY[*]}"
  COMP_WORDS=(gearman-analyze -r basic); COMP_CWORD=2; _gearman_analyze; echo "${COMPREPLY[*]}"
  complete -p gearman-analyze' _ "$root/share/bash-completion/completions/gearman-analyze" 2>&1)
[ "$got" = $'--format\ntext json csv\nbasic-cli.pcap\ncomplete -F _gearman_analyze gearman-analyze' ] \
  && pass "gearman-analyze completion: options, values, capture files" || fail "completion gave: $got"
got=$(bash --norc --noprofile -c 'source "$1"; COMP_WORDS=(gearman-gen --link ""); COMP_CWORD=2; _gearman_gen; echo "${COMPREPLY[*]}"' \
  _ "$root/share/bash-completion/completions/gearman-gen" 2>&1)
[ "$got" = "en10mb null" ] && pass "gearman-gen completion" || fail "gearman-gen completion gave: $got"

# 5. The installed plugin loads (as the wrapper runs tshark: unprivileged, WIRESHARK_PLUGIN_DIR).
if [ "$WITH_PLUGIN" = 1 ]; then
  n=$(PLUGIN_DIR=$root/lib/wireshark/plugins bash "$SRC_DIR/scripts/tshark-with-plugin.sh" \
        -r "$SRC_DIR/captures/basic-cli.pcap" -Y gearman.job.function 2>/dev/null | grep -c . || true)
  [ "$n" -gt 0 ] && pass "installed plugin decodes basic-cli.pcap ($n frames with jobs)" || fail "installed plugin not loaded"

  # 6. --prefix /usr: Wireshark's own folder (still under DESTDIR).
  DESTDIR=$tmp/usr-dest cmake --install "$BUILD_DIR" --prefix /usr >"$tmp/usr.log" 2>&1 || fail "install --prefix /usr"
  [ -f "$tmp/usr-dest$ws/epan/gearman.so" ] && pass "--prefix /usr: plugin in $ws/epan" \
    || fail "--prefix /usr: no $ws/epan/gearman.so: $(find "$tmp/usr-dest" -name gearman.so)"
  [ -x "$tmp/usr-dest/usr/bin/gearman-analyze" ] || fail "--prefix /usr: no /usr/bin/gearman-analyze"
  grep -q "Wireshark does not look in" "$tmp/usr.log" && fail "--prefix /usr: wrongly says Wireshark will not find it"

  # 7. --prefix ~/.local (no DESTDIR): the personal plugin folder, no warning.
  mkdir -p "$tmp/home"
  HOME=$tmp/home cmake --install "$BUILD_DIR" --prefix "$tmp/home/.local" >"$tmp/home.log" 2>&1 || fail "install --prefix ~/.local"
  [ -f "$tmp/home/.local/lib/wireshark/plugins/$majmin/epan/gearman.so" ] && pass "--prefix ~/.local: the personal plugin folder" \
    || fail "--prefix ~/.local: no plugin in the personal folder"
  grep -q "Wireshark does not look in" "$tmp/home.log" && fail "--prefix ~/.local: wrongly says Wireshark will not find it"
fi
[ "$failures" = 0 ] || { echo "$failures failure(s)" >&2; exit 1; }
