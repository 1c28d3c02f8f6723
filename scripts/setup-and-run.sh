#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# README command (1): install the Debian packages the build needs, build, install the tools into
# a prefix you can see, and run them on a bundled capture.
#
#   bash scripts/setup-and-run.sh [capture]           installs into ./install (in this checkout)
#   PREFIX=~/.local bash scripts/setup-and-run.sh     installs for this user: bin/ on PATH, the
#                                                     plugin in Wireshark's personal folder
set -euo pipefail
cd "$(dirname "$0")/.."
here=$PWD
prefix=${PREFIX:-$here/install}
case $prefix in /*) ;; *) prefix=$here/$prefix ;; esac

bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
cmake --install build --prefix "$prefix" >build/install.log

PREFIX=$prefix bash scripts/demo.sh "${1:-captures/basic-cli.pcap}"

majmin=$(ls "$prefix/lib/wireshark/plugins" 2>/dev/null | head -n1)
cat <<EOF

== Installed into $prefix (the list: build/install_manifest.txt)
  $prefix/bin/gearman-analyze, gearman-gen
      export PATH="$prefix/bin:\$PATH"
  $prefix/share/man/man1/gearman-analyze.1, gearman-gen.1
      man -l $prefix/share/man/man1/gearman-analyze.1
  $prefix/share/bash-completion/completions/
      source $prefix/share/bash-completion/completions/gearman-analyze
EOF
if [ -n "$majmin" ]; then
  cat <<EOF
  $prefix/lib/wireshark/plugins/$majmin/epan/gearman.so  (the Wireshark plugin)
EOF
  if [ "$prefix" != "$HOME/.local" ]; then
    cat <<EOF
      Wireshark loads it from your personal plugin folder:
      mkdir -p ~/.local/lib/wireshark/plugins/$majmin/epan && cp $prefix/lib/wireshark/plugins/$majmin/epan/gearman.so ~/.local/lib/wireshark/plugins/$majmin/epan/
EOF
  fi
  cat <<EOF
  $prefix/share/gearman-wire/gearman.colorfilters  (colouring rules: docs/wireshark-plugin.md)
EOF
fi
