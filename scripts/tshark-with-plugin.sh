#!/usr/bin/env bash
# Runs tshark with the gearman plugin from this build: tshark-with-plugin.sh ARGS...
#
# WIRESHARK_PLUGIN_DIR=DIR makes tshark load DIR/4.0/epan/*.so instead of the global plugins, but
# tshark ignores it when run as root, so as root this drops to `nobody` with a private HOME.
# PLUGIN_DIR overrides the plugin folder (default: build/plugin/plugins, or $BUILD_DIR/plugin/plugins).
# WIRESHARK_CONFIG_DIR (Wireshark's own variable: the personal configuration folder, e.g. with a
# colorfilters file) is passed on (as root: a copy of it).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BUILD_DIR:-build}
case $build_dir in /*) ;; *) build_dir=$here/$build_dir ;; esac
plugin_dir=${PLUGIN_DIR:-$build_dir/plugin/plugins}
case $plugin_dir in /*) ;; *) plugin_dir=$PWD/$plugin_dir ;; esac
if ! ls "$plugin_dir"/*/epan/gearman.so >/dev/null 2>&1; then
  echo "tshark-with-plugin: no gearman.so under $plugin_dir (build first: cmake --build build)" >&2
  exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
  exec env WIRESHARK_PLUGIN_DIR="$plugin_dir" tshark "$@"
fi

# Root: run as nobody. Files named on the command line must be readable by nobody; copy the ones
# that are not into the private HOME (and write -w outputs back afterwards is not supported).
home=$(mktemp -d /tmp/tshark-plugin-home.XXXXXX)
trap 'rm -rf "$home"' EXIT
chmod 0755 "$home"
args=()
for a in "$@"; do
  if [ -f "$a" ] && ! setpriv --reuid=nobody --regid=nogroup --clear-groups test -r "$a" 2>/dev/null; then
    cp "$a" "$home/" && chmod 0644 "$home/$(basename "$a")"
    args+=("$home/$(basename "$a")")
  elif [ -e "$a" ] && [ "${a#/}" = "$a" ]; then
    args+=("$PWD/$a")
  else
    args+=("$a")
  fi
done
# The plugin folder must be readable by nobody too.
if ! setpriv --reuid=nobody --regid=nogroup --clear-groups test -r "$plugin_dir" 2>/dev/null; then
  mkdir -p "$home/plugins" && cp -r "$plugin_dir"/. "$home/plugins/" && chmod -R a+rX "$home/plugins"
  plugin_dir=$home/plugins
fi
config=()
if [ -n "${WIRESHARK_CONFIG_DIR:-}" ]; then
  mkdir -p "$home/config" && cp -r "$WIRESHARK_CONFIG_DIR"/. "$home/config/" && chmod -R a+rX "$home/config"
  config=(WIRESHARK_CONFIG_DIR="$home/config")
fi
chown nobody:nogroup "$home"
cd "$home"
setpriv --reuid=nobody --regid=nogroup --clear-groups \
  env -i PATH="$PATH" HOME="$home" LANG=C.UTF-8 WIRESHARK_PLUGIN_DIR="$plugin_dir" "${config[@]}" tshark "${args[@]}"
