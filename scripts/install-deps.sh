#!/usr/bin/env bash
# Installs every Debian package the build and the test suite need. Idempotent: apt-get skips what
# is already there. Works as root, or as a normal user with sudo.
set -euo pipefail

packages=(
  cmake g++ make pkg-config
  libpcap-dev libgtest-dev nlohmann-json3-dev libcli11-dev
  # The analyzer reads gzip (ISA-L's inflate) and zstd captures; the tests write gzip with zlib;
  # the fuzz seeds are compressed with zstd.
  zlib1g-dev libisal-dev nettle-dev libzstd-dev zstd
  # libwireshark-dev does not pull in libglib2.0-dev, which its headers include.
  libwireshark-dev libglib2.0-dev tshark
  # Fuzzing (libFuzzer) and sanitizer builds.
  clang libfuzzer-14-dev
  # setpriv runs tshark as an unprivileged user: tshark run as root ignores plugin folders.
  util-linux
  # The benchmark scripts and the tshark-pipeline test compute with python3.
  python3
  # The load capture (tests/load, captures/make-load-capture.sh): the C gearmand, the load
  # program built with cc on libgearman, tcpdump, and `ip` inside its network namespace.
  gearman-job-server libgearman-dev gcc tcpdump iproute2
  # The install test renders the man pages (man -l) and loads the bash completions.
  man-db groff-base bash-completion
  # The tunnel test: gearmand and the gearman CLI across real Linux tunnels in a network
  # namespace, captured with tcpdump.
  gearman-tools
  # The live-capture test drives gearman-analyze's terminal screen in tmux.
  tmux
  # The HTML report's test renders the page in headless Chromium (and its screenshots need a font).
  chromium fonts-dejavu-core
)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
