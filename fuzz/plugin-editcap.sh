#!/usr/bin/env bash
# Wireshark's own method on the plugin: corrupt every bundled capture with `editcap -E`, many
# rounds, and dissect each result with tshark (two passes, full tree, statistics) while the plugin
# runs under AddressSanitizer and UndefinedBehaviorSanitizer (runtimes preloaded into stock tshark).
# Fails on a crash, a sanitizer report, or a dissector bug message.
#   bash fuzz/plugin-editcap.sh [ROUNDS] [ERROR_PROBABILITY]      (default 200 rounds, 0.02)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-200}
prob=${2:-0.02}
build=build-plugin-asan

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGEARWIRE_SANITIZE=ON \
  -DGEARWIRE_SANITIZE_PLUGIN=ON -DGEARWIRE_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target gearman >/dev/null
work=$(mktemp -d /tmp/gearman-editcap.XXXXXX)
chmod 0777 "$work"
trap 'rm -rf "$work"' EXIT
# A copy the unprivileged tshark can read wherever the checkout is (CI may clone under /root).
plugin_dir="$work/plugins"
mkdir -p "$plugin_dir" && cp -r "$build/plugin/plugins"/. "$plugin_dir/" && chmod -R a+rX "$plugin_dir"
preload="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)"
run_tshark() {
  local env=(env HOME="$work" WIRESHARK_PLUGIN_DIR="$plugin_dir" LD_PRELOAD="$preload"
             ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1)
  if [ "$(id -u)" -eq 0 ]; then
    setpriv --reuid=nobody --regid=nogroup --clear-groups "${env[@]}" tshark "$@"
  else
    "${env[@]}" tshark "$@"
  fi
}

# A plugin that failed to load would make every round pass: gearman.payload is a field only the
# plugin registers, so an uncorrupted capture must show some. (`tshark -G plugins` hangs with the
# sanitizer runtimes preloaded.)
cp captures/basic-cli.pcap "$work/clean.pcap" && chmod 0644 "$work/clean.pcap"
if ! run_tshark -r "$work/clean.pcap" -Y gearman.payload 2>"$work/err" | grep -q .; then
  echo "plugin-editcap: the ASan-built plugin did not load"
  head -n 20 "$work/err"
  exit 1
fi

failures=0
runs=0
for capture in captures/*.pcap; do
  for ((i = 1; i <= rounds; i++)); do
    seed=$((i * 7919))
    out="$work/cut.pcap"
    editcap -E "$prob" --seed "$seed" "$capture" "$out" >/dev/null 2>&1 || continue
    chmod 0644 "$out"
    runs=$((runs + 1))
    set +e
    run_tshark -r "$out" -2 -V -z gearman,tree >/dev/null 2>"$work/err"
    rc=$?
    set -e
    if [ $rc -gt 2 ] || grep -qE 'AddressSanitizer|runtime error|Dissector bug|DISSECTOR_ASSERT|was unexpectedly' "$work/err"; then
      failures=$((failures + 1))
      keep="fuzz/artifacts/editcap-$(basename "$capture" .pcap)-seed$seed.pcap"
      mkdir -p fuzz/artifacts
      cp "$out" "$keep"
      echo "FAIL rc=$rc $capture seed=$seed (kept as $keep)"
      head -n 20 "$work/err"
    fi
  done
done
echo "plugin-editcap: $runs corrupted captures dissected, $failures failed"
[ "$failures" -eq 0 ]
