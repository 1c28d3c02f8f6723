# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion for gearman-gen(1). Installed as
# PREFIX/share/bash-completion/completions/gearman-gen (see gearman-analyze.bash).
# Keep the options in step with --help: ctest -R install checks that every one is here.

_gearman_gen() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
  local opts="--out --truth --seed --jobs --clients --workers --rate --functions --coalesce --batch
              --high --low --status --data --extra-wake --exception-then-fail --stuck --admin-every
              --assign-before-created --end-before-created --result-before-end --end-before-assign
              --worker-deaths --mss --split --reorder --loss --drop --ack --link --start --jobs-csv -q --quiet
              --version -h --help"
  case $prev in
    --out|--truth|--jobs-csv) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return ;;
    --link) mapfile -t COMPREPLY < <(compgen -W "en10mb null" -- "$cur"); return ;;
    --seed|--jobs|--clients|--workers|--rate|--functions|--coalesce|--batch|--high|--low|--status|--data|\
    --extra-wake|--exception-then-fail|--stuck|--admin-every|--assign-before-created|--end-before-created|\
    --result-before-end|--end-before-assign|--worker-deaths|--mss|--split|--reorder|--loss|--drop|--ack|--start)
      COMPREPLY=(); return ;;
  esac
  mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
}
complete -F _gearman_gen gearman-gen
