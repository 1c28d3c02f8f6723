# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion for gearman-analyze(1). Installed as
# PREFIX/share/bash-completion/completions/gearman-analyze, where bash-completion loads it on
# first use (for /usr, /usr/local and ~/.local; other prefixes: add PREFIX/share to
# XDG_DATA_DIRS, or source this file). Needs nothing from bash-completion itself.
# Keep the options in step with --help: ctest -R install checks that every one is here.

_gearman_analyze_files() {  # captures (also compressed) and folders
  local f
  COMPREPLY=()
  compopt -o filenames 2>/dev/null
  while IFS= read -r f; do
    if [[ -d $f ]]; then COMPREPLY+=("$f"); continue; fi
    case $f in
      *.pcap|*.pcapng|*.cap|*.pcap.gz|*.pcapng.gz|*.cap.gz|*.pcap.zst|*.pcapng.zst|*.gz|*.zst) COMPREPLY+=("$f") ;;
    esac
  done < <(compgen -f -- "$1")
}

_gearman_analyze() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
  local opts="-r --read-file -p --port -f --format --jobs --jobs-format --html -q --quiet --top
              --max-open-jobs --max-connections --max-message-size --no-heuristic --no-progress
              -i --interface --duration --interval -w --write --heuristic --threads
              -v --version -h --help"
  case $prev in
    -f|--format) mapfile -t COMPREPLY < <(compgen -W "text json csv" -- "$cur"); return ;;
    --jobs-format) mapfile -t COMPREPLY < <(compgen -W "auto csv jsonl" -- "$cur"); return ;;
    -p|--port) mapfile -t COMPREPLY < <(compgen -W "4730 7003" -- "$cur"); return ;;
    --threads) mapfile -t COMPREPLY < <(compgen -W "auto 1 2" -- "$cur"); return ;;
    --top|--max-open-jobs|--max-connections|--max-message-size|--duration|--interval) COMPREPLY=(); return ;;
    -i|--interface)
      mapfile -t COMPREPLY < <(compgen -W "$(ls /sys/class/net 2>/dev/null) any" -- "$cur"); return ;;
    -w|--write) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return ;;
    --html) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return ;;
    --jobs) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return ;;
    -r|--read-file) _gearman_analyze_files "$cur"; return ;;
  esac
  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
    return
  fi
  _gearman_analyze_files "$cur"
}
complete -F _gearman_analyze gearman-analyze
