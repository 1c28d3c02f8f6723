#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Takes docs/images/html-report.png (the top of a gearman-analyze --html page: summary and
# functions), html-report-time.png (its charts over time) and html-report-workers.png (worker
# lanes and table) with
# headless Chromium, on a gearman-gen capture with failures, exceptions, worker deaths, stuck
# workers and admin status samples. Needs a build (build/) and chromium (scripts/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/gearman-html-shot.XXXXXX)
trap 'rm -rf "$work"' EXIT
build/generator/gearman-gen -q --seed 5 --jobs 20000 --workers 8 --clients 6 --stuck 2 --worker-deaths 6 \
  --admin-every 400 --out "$work/load.pcap" --truth "$work/truth.json"
(cd "$work" && "$OLDPWD/build/analyzer/gearman-analyze" -q --html report.html load.pcap)
# A copy of the page with only some sections (the CSP hashes the style and script, not the body).
only() {
  python3 - "$work/report.html" "$1" "$work/$2" <<'EOF'
import re, sys
text = open(sys.argv[1], encoding='utf-8').read()
keep = sys.argv[2].split(',')
text = re.sub(r'<section id="(\w+)".*?</section>\n', lambda m: m.group(0) if m.group(1) in keep else '', text, flags=re.S)
open(sys.argv[3], 'w', encoding='utf-8').write(text)
EOF
}
shot() {  # PAGE OUT HEIGHT
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$work/profile" \
    --window-size=1200,"$3" --screenshot="$2" "file://$work/$1" >/dev/null 2>&1
}
mkdir -p docs/images
only summary,functions top.html
shot top.html docs/images/html-report.png 1250
only time time.html
shot time.html docs/images/html-report-time.png 1500
only workers workers.html
shot workers.html docs/images/html-report-workers.png 820
ls -l docs/images/html-report*.png
