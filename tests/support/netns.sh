# Sourced by the tests that run real Gearman software on a network (live, tunnels): what they
# need before they start, and a network namespace of their own so that nothing they do touches
# the host's network and only their own traffic is captured.
#
#   in_own_netns "$0" "why root" TOOL... -- ARG...
# returns in the namespace (GEARWIRE_IN_NETNS set): the first call re-runs the script there with
# ARG...; exits 77 (ctest: skipped) when not root or a tool or gearmand is missing.

GEARMAND=/usr/sbin/gearmand   # gearman-job-server (the Perl one is /usr/bin/gearmand)
skip() { echo "SKIP: $*"; exit 77; }

in_own_netns() {
  local script=$1 why=$2
  shift 2
  [ -n "${GEARWIRE_IN_NETNS:-}" ] && return 0
  [ "$(id -u)" = 0 ] || skip "needs root ($why)"
  while [ $# -gt 0 ] && [ "$1" != -- ]; do
    command -v "$1" >/dev/null || skip "$1 not installed"
    shift
  done
  [ $# -gt 0 ] && shift
  [ -x "$GEARMAND" ] || skip "$GEARMAND not installed (gearman-job-server)"
  exec env GEARWIRE_IN_NETNS=1 unshare -n bash "$script" "$@"
}
