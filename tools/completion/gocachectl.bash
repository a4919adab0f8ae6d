# bash completion for gocachectl(8): commands, nested commands, the options of each,
# namespace names for --ns (and ns drop/rename), snapshot names for the snapshot
# commands that take one, files and directories for paths.
#
# Installed as $datadir/bash-completion/completions/gocachectl (meson install), where
# bash-completion loads it on demand; it needs nothing from that package, so it can also
# be sourced from ~/.bashrc. tests/mount/test_completion.py checks it against
# `gocachectl --help`.

# Commands and their options as `gocachectl [SUB...] --help` lists them ("." is
# gocachectl itself; every command also takes -h, --help). Kept here rather than parsed
# from --help at every <Tab>: a completion must answer at once.
declare -gA _gocachectl_subs=(
  [.]="stats ns snapshot verify env cacheprog compact evict health trim remote"
  [ns]="list create drop rename"
  [snapshot]="create list delete export import swap restore"
  [remote]="status push"
)
declare -gA _gocachectl_opts=(
  [.]="--version --store --json"
  [stats]="--ns"
  [verify]="--ns --repair"
  [env]="--go"
  [cacheprog]="--ns --idle --lock-wait --outputs --outputs-max --keep-used"
  [evict]="--to --include-recent"
  [trim]="--unused-for --include-recent"
  [health]="--mount --metrics"
  ["snapshot create"]="--ns"
  ["snapshot export"]="-o --output --since --since-archive"
  ["snapshot import"]="--as --name"
  ["snapshot swap"]="--ns"
  ["snapshot restore"]="--ns --keep-old"
  ["remote push"]="--ns --remote --remote-auth-file --force"
)
# Options that take a value (the next word).
_gocachectl_valued=" --store --since --since-archive --ns --go --idle --lock-wait --outputs --outputs-max --keep-used 
  --to --unused-for --mount --metrics -o --output --as --name --remote --remote-auth-file "

# gocachectl's own default store (store/paths.cpp).
_gocachectl_default_store() {
  if [[ $EUID -eq 0 ]]; then
    printf '%s' /var/lib/gocachefs
  elif [[ $XDG_DATA_HOME == /* ]]; then
    printf '%s' "$XDG_DATA_HOME/gocachefs"
  else
    printf '%s' "${HOME:-/tmp}/.local/share/gocachefs"
  fi
}

# Names from a running daemon only: `gocachectl ns list` without one opens the store
# itself, which can take seconds (it waits for a daemon that is closing it) and holds the
# store's lock meanwhile, so a gocachefs started at that moment would be refused.
# /proc/net/unix lists the sockets bound now: a control.sock left by a dead daemon is
# not among them.
_gocachectl_names() { # STORE ns|snapshot
  local sock=$1/control.sock ctl=${COMP_WORDS[0]}
  [[ -S $sock ]] || return 0
  awk -v p="$sock" '$NF == p { found = 1; exit } END { exit !found }' /proc/net/unix \
    2>/dev/null || return 0
  # The gocachectl being completed when it is a path (./build/tools/gocachectl).
  [[ $ctl == */* && -x $ctl ]] || ctl=gocachectl
  if [[ $2 == ns ]]; then
    timeout 2 "$ctl" --store "$1" ns list 2>/dev/null
  else
    # A table: a header line, then the name first on each line.
    timeout 2 "$ctl" --store "$1" snapshot list 2>/dev/null | awk 'NR > 1 { print $1 }'
  fi
}

_gocachectl_files() { # dirs|files CUR
  compopt -o filenames 2>/dev/null
  if [[ $1 == dirs ]]; then
    mapfile -t COMPREPLY < <(compgen -d -- "$2")
  else
    mapfile -t COMPREPLY < <(compgen -f -- "$2")
  fi
}

_gocachectl() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=""
  ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
  # --opt=value: bash splits it into --opt, =, value.
  if [[ $cur == "=" ]]; then
    cur=""
  elif [[ $prev == "=" ]] && ((COMP_CWORD > 1)); then
    prev=${COMP_WORDS[COMP_CWORD - 2]}
  fi
  COMPREPLY=()

  # Walk the words before the cursor: the command path, --store, positionals.
  local path="" store="" npos=0 i w
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=${COMP_WORDS[i]}
    if [[ $w == --store=* ]]; then
      store=${w#--store=}
    elif [[ $w == -* ]]; then
      [[ $_gocachectl_valued == *" $w "* ]] || continue
      # Skip the value, and the = before it.
      ((i + 1 < COMP_CWORD)) && [[ ${COMP_WORDS[i + 1]} == "=" ]] && ((i++))
      ((i++))
      [[ $w == --store ]] && ((i < COMP_CWORD)) && store=${COMP_WORDS[i]}
    elif [[ " ${_gocachectl_subs[${path:-.}]} " == *" $w "* ]]; then
      path=${path:+$path }$w
    else
      ((npos++))
    fi
  done
  [[ -z $store ]] && store=$(_gocachectl_default_store)
  [[ $store == "~/"* ]] && store=$HOME/${store#"~/"}
  # As gocachectl and the daemon name it: absolute, . and .. resolved, symlinks kept.
  local abs
  abs=$(realpath -ms -- "$store" 2>/dev/null) && store=$abs

  # The value of an option.
  if [[ $_gocachectl_valued == *" $prev "* ]]; then
    case $prev in
      --store | --outputs | --mount) _gocachectl_files dirs "$cur" ;;
      -o | --output | --go | --since-archive) _gocachectl_files files "$cur" ;;
      --ns) mapfile -t COMPREPLY < <(compgen -W "$(_gocachectl_names "$store" ns)" -- "$cur") ;;
      --since) mapfile -t COMPREPLY < <(compgen -W "$(_gocachectl_names "$store" snapshot)" -- "$cur") ;;
    esac
    return 0
  fi

  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "${_gocachectl_opts[${path:-.}]} -h --help" -- "$cur")
    return 0
  fi

  local subs=${_gocachectl_subs[${path:-.}]}
  if [[ -n $subs ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$subs" -- "$cur")
    return 0
  fi

  # Positionals.
  case "$path:$npos" in
    "ns drop:0" | "ns rename:0")
      mapfile -t COMPREPLY < <(compgen -W "$(_gocachectl_names "$store" ns)" -- "$cur") ;;
    "snapshot delete:0" | "snapshot export:0" | "snapshot swap:0")
      mapfile -t COMPREPLY < <(compgen -W "$(_gocachectl_names "$store" snapshot)" -- "$cur") ;;
    "snapshot import:"* | "snapshot restore:"*)  # the archive, then its deltas
      _gocachectl_files files "$cur" ;;
  esac
  return 0
}

complete -F _gocachectl gocachectl
