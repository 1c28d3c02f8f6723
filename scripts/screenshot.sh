#!/usr/bin/env bash
# Takes docs/images/plugin-tree.png: Wireshark (Qt) under Xvfb with the built plugin, on
# captures/libgearman-full.pcap, frame 81 (a worker's WORK_COMPLETE) with its Gearman tree expanded.
# Needs: apt-get install wireshark-qt xvfb imagemagick xdotool (not part of install-deps: docs only).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/gearman-shot.XXXXXX)
chmod 0777 "$work"
cp captures/libgearman-full.pcap "$work/"
chmod 0644 "$work"/*.pcap
plugin_dir=$(cd build/plugin/plugins && pwd)
Xvfb :99 -screen 0 1400x1000x24 >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null; pkill -f "wireshark -r $work" || true; rm -rf "$work"' EXIT
sleep 1
run=(env HOME="$work" DISPLAY=:99 WIRESHARK_PLUGIN_DIR="$plugin_dir" QT_QPA_PLATFORM=xcb
     wireshark -r "$work/libgearman-full.pcap" -Y gearman -g 81)
if [ "$(id -u)" -eq 0 ]; then setpriv --reuid=nobody --regid=nogroup --clear-groups "${run[@]}" >/dev/null 2>&1 &
else "${run[@]}" >/dev/null 2>&1 &
fi
sleep 10
export DISPLAY=:99
wid=$(xdotool search --name libgearman-full | head -n1)
xdotool windowsize "$wid" 1400 1000 windowmove "$wid" 0 0
sleep 2
xdotool mousemove 160 613 click 1   # the "Gearman Protocol" row of the details pane
sleep 0.5
xdotool key shift+Right             # expand its subtrees
sleep 1
import -window root "$work/shot.png"
convert "$work/shot.png" -colors 128 docs/images/plugin-tree.png
echo "wrote docs/images/plugin-tree.png"
