#!/usr/bin/env bash
# The README's two commands on a fresh Debian bookworm machine: a minimal root
# (`debootstrap --variant=minbase bookworm`) entered with chroot, as root.
#
# Run it before an issue is resolved: a command the scripts or tests need but
# tools/install-deps.sh does not install shows only on a fresh machine (the
# development machines and CI have it installed by hand). Not run by CI: it takes
# ~40 minutes (debootstrap once, then the quick start and the whole suite).
#
# What it does:
#   1. once: debootstrap --variant=minbase bookworm, kept as a pristine tarball
#      (DIR/pristine.tar.gz); every run unpacks it anew into DIR/run, so no run
#      sees what an earlier one installed;
#   2. makes DIR/run look like a freshly installed machine: apt sources as a fresh
#      bookworm has them (debootstrap writes only `bookworm main`; the installer
#      and Debian's container image also have bookworm-updates and
#      bookworm-security: written here as the image's deb822 debian.sources),
#      /etc/hosts (the installer writes it; minbase has none), the host's
#      /etc/resolv.conf; no locale set (LANG unset, as minbase has none);
#   3. copies this checkout to /root/gocachefs inside: git's tracked files plus
#      uncommitted and untracked-not-ignored files (`git ls-files -co
#      --exclude-standard`), no build directories, no .git;
#   4. mounts DIR/run on itself (private: mounts made inside do not propagate),
#      /proc, /sys, /dev (recursive: /dev/pts, /dev/shm; slaves of the host's)
#      and a tmpfs on /run;
#   5. runs, in order, from /root/gocachefs, each line of README.md's first
#      ```sh block (read from the README, so the check follows it) with
#      `chroot DIR/run env -i ... bash -lc`, one log per command in
#      DIR/logs/TIMESTAMP/ (the last 10 runs are kept); a command that fails
#      does not stop the next;
#   6. always (also on failure, Ctrl-C or SIGTERM): stops every process whose
#      root is DIR/run (the quick start's daemon: SIGTERM flushes and unmounts),
#      unmounts what is left under DIR/run (FUSE mounts first with fusermount3 -u,
#      then the rest, last mounted first, lazily if busy), checks
#      /proc/self/mountinfo, and only then removes DIR/run (rm --one-file-system);
#   7. prints one verdict line and the tail of each log; exits 0 only if every
#      command passed.
#
# Usage (as root, from anywhere): bash tools/fresh-check.sh [--keep] [--root DIR] [--rebuild]
#                                                          [--instead CMD]
#   --root DIR  cache directory (default /var/cache/gocachefs-fresh/bookworm-minbase)
#   --instead CMD  run the README's first command (the quick start), then CMD instead of the
#               rest (e.g. one test file: `/usr/bin/python3 -m pytest tests/e2e/test_readme_remote.py`)
#   --keep      leave DIR/run (unmounted, no process left) to look into afterwards
#   --rebuild   debootstrap anew even if DIR/pristine.tar.gz exists
# Environment: FRESH_MIRROR (default http://deb.debian.org/debian),
#   FRESH_TIMEOUT (seconds per command, default 5400), FRESH_TAIL (log lines shown, 30).
# The chroot shares the host's network and process table: the quick start's daemon
# listens on 127.0.0.1:9868, which must be free on the host.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=/var/cache/gocachefs-fresh/bookworm-minbase
KEEP=0
REBUILD=0
INSTEAD=
MIRROR=${FRESH_MIRROR:-http://deb.debian.org/debian}
CMD_TIMEOUT=${FRESH_TIMEOUT:-5400}
TAIL_LINES=${FRESH_TAIL:-30}
SUITE=bookworm
INSIDE_REPO=/root/gocachefs
METRICS_PORT=9868

usage() { sed -n '/^# Usage/,/^# listens/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
say() { printf 'fresh-check: %s\n' "$*"; }
die() { printf 'fresh-check: error: %s\n' "$*" >&2; exit 2; }

while [[ $# -gt 0 ]]; do
  case $1 in
    --keep) KEEP=1 ;;
    --rebuild) REBUILD=1 ;;
    --root) [[ $# -ge 2 ]] || die "--root needs a directory"; CACHE=$2; shift ;;
    --root=*) CACHE=${1#--root=} ;;
    --instead) [[ $# -ge 2 ]] || die "--instead needs a command"; INSTEAD=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
  shift
done

[[ $(id -u) -eq 0 ]] || die "run as root (debootstrap, mounts, chroot)"
mkdir -p "$CACHE"
CACHE=$(realpath "$CACHE")
[[ $CACHE != / ]] || die "--root cannot be /"
RUN=$CACHE/run
PRISTINE=$CACHE/pristine.tar.gz

# One run at a time per cache directory.
exec 9>"$CACHE/lock"
flock -n 9 || die "another fresh-check is running on $CACHE"

# ---------------------------------------------------------------- mounts and processes

# Mount points at or under $1, last mounted first, as "FSTYPE MOUNTPOINT" lines.
mounts_under() {
  awk -v r="$1" '{
      mp = $5; gsub(/\\040/, " ", mp)
      for (i = 7; i <= NF; i++) if ($i == "-") { fs = $(i + 1); break }
      if (mp == r || index(mp, r "/") == 1) print fs " " mp
    }' /proc/self/mountinfo | tac
}

# Pids of the processes whose root directory is $1 or below it.
procs_in() {
  local p r
  for p in /proc/[0-9]*; do
    r=$(readlink "$p/root" 2>/dev/null) || continue
    if [[ $r == "$1" || $r == "$1"/* ]]; then
      echo "${p#/proc/}"
    fi
  done
}

# SIGTERM then SIGKILL every process rooted in $1; true when none is left.
stop_procs() {
  local root=$1 pids i
  pids=$(procs_in "$root")
  [[ -z $pids ]] && return 0
  say "stopping processes left in $root: $(echo $pids)"
  kill -TERM $pids 2>/dev/null || true
  for i in $(seq 1 100); do
    [[ -z $(procs_in "$root") ]] && return 0
    sleep 0.1
  done
  pids=$(procs_in "$root")
  say "SIGKILL to: $(echo $pids)"
  kill -KILL $pids 2>/dev/null || true
  for i in $(seq 1 50); do
    [[ -z $(procs_in "$root") ]] && return 0
    sleep 0.1
  done
  say "warning: processes still in $root: $(procs_in "$root" | tr '\n' ' ')"
  return 1
}

# Unmount everything at or under $1: FUSE mounts first, then the rest, last first.
unmount_all() {
  local root=$1 fs mp
  while read -r fs mp; do
    [[ $fs == fuse* ]] || continue
    say "unmounting FUSE mount $mp"
    if command -v fusermount3 >/dev/null 2>&1; then
      timeout 60 fusermount3 -u "$mp" 2>/dev/null || fusermount3 -uz "$mp" 2>/dev/null ||
        umount -l "$mp" || true
    else
      timeout 60 umount "$mp" 2>/dev/null || umount -l "$mp" || true
    fi
  done < <(mounts_under "$root")
  while read -r fs mp; do
    umount "$mp" 2>/dev/null || umount -l "$mp" || say "warning: cannot unmount $mp"
  done < <(mounts_under "$root")
  [[ -z $(mounts_under "$root") ]]
}

# Remove $1 only when nothing is mounted in it and no process runs in it.
remove_tree() {
  local dir=$1
  [[ -e $dir ]] || return 0
  if [[ -n $(mounts_under "$dir") ]]; then
    say "NOT removing $dir: still mounted:"; mounts_under "$dir" >&2
    return 1
  fi
  if [[ -n $(procs_in "$dir") ]]; then
    say "NOT removing $dir: processes still run in it"
    return 1
  fi
  rm -rf --one-file-system -- "$dir"
}

# Everything a run leaves behind: processes, mounts (and the tree unless --keep).
CLEANED=0
cleanup() {
  [[ $CLEANED -eq 1 ]] && return 0
  CLEANED=1
  [[ -d $RUN ]] || return 0
  stop_procs "$RUN" || true
  unmount_all "$RUN" || { say "warning: still mounted under $RUN:"; mounts_under "$RUN" >&2; }
  stop_procs "$RUN" || true
  if [[ $KEEP -eq 1 ]]; then
    say "kept $RUN (unmounted)"
  else
    remove_tree "$RUN" || true
  fi
}

on_signal() {
  say "interrupted by SIG$1: cleaning up"
  CLEANED=0
  cleanup
  case $1 in INT) exit 130 ;; HUP) exit 129 ;; *) exit 143 ;; esac
}
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM
trap 'on_signal HUP' HUP
trap cleanup EXIT

# ---------------------------------------------------------------- pre-flight

# The quick start's daemon listens on the default metrics port; the chroot shares
# the host's network, so a daemon of the host on it would make the mount fail.
if (exec 3<>"/dev/tcp/127.0.0.1/$METRICS_PORT") 2>/dev/null; then
  die "127.0.0.1:$METRICS_PORT is in use on this host (another gocachefs?): the quick start's daemon needs it"
fi
[[ -c /dev/fuse ]] || modprobe fuse 2>/dev/null || true
[[ -c /dev/fuse ]] || die "/dev/fuse missing on the host"

mapfile -t COMMANDS < <(awk '
    !inblock && /^```sh[[:space:]]*$/ { inblock = 1; next }
    inblock && /^```/ { exit }
    inblock && NF && $1 !~ /^#/ { print }
  ' "$REPO/README.md")
[[ ${#COMMANDS[@]} -gt 0 ]] || die "no commands in README.md's first \`\`\`sh block"
if [[ -n $INSTEAD ]]; then
  COMMANDS=("${COMMANDS[0]}" "$INSTEAD")
fi

# A leftover of an interrupted run (mounts, processes) goes first.
if [[ -e $RUN ]]; then
  say "removing the previous run's root $RUN"
  stop_procs "$RUN" || true
  unmount_all "$RUN" || die "cannot unmount what is left under $RUN"
  remove_tree "$RUN" || die "cannot remove $RUN"
fi

# ---------------------------------------------------------------- pristine root

if ! command -v debootstrap >/dev/null 2>&1; then
  say "installing debootstrap"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap ||
    { DEBIAN_FRONTEND=noninteractive apt-get update &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap; }
fi

if [[ $REBUILD -eq 1 || ! -f $PRISTINE ]]; then
  BUILDING=$CACHE/pristine.building
  if [[ -e $BUILDING ]]; then
    stop_procs "$BUILDING" || true
    unmount_all "$BUILDING" || die "cannot unmount what is left under $BUILDING"
    remove_tree "$BUILDING" || die "cannot remove $BUILDING"
  fi
  say "debootstrap --variant=minbase $SUITE $BUILDING $MIRROR (once; a few minutes)"
  t0=$(date +%s)
  if ! debootstrap --variant=minbase "$SUITE" "$BUILDING" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1; then
    tail -n 30 "$CACHE/debootstrap.log" >&2
    unmount_all "$BUILDING" || true
    die "debootstrap failed (log: $CACHE/debootstrap.log)"
  fi
  unmount_all "$BUILDING" || die "cannot unmount what debootstrap left under $BUILDING"
  tar -C "$BUILDING" --numeric-owner --xattrs --xattrs-include='*' -cpzf "$PRISTINE.new" .
  mv -f "$PRISTINE.new" "$PRISTINE"
  printf 'built %s with debootstrap %s: --variant=minbase %s %s\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(dpkg-query -W -f='${Version}' debootstrap 2>/dev/null || echo '?')" \
    "$SUITE" "$MIRROR" >"$CACHE/pristine.info"
  remove_tree "$BUILDING" || die "cannot remove $BUILDING"
  say "pristine root cached: $PRISTINE ($(du -h "$PRISTINE" | cut -f1), $(( $(date +%s) - t0 ))s)"
else
  say "pristine root: $PRISTINE ($(cat "$CACHE/pristine.info" 2>/dev/null || echo 'no info'))"
fi

# ---------------------------------------------------------------- this run's root

mkdir "$RUN"
tar -C "$RUN" --numeric-owner --xattrs --xattrs-include='*' -xpzf "$PRISTINE"

# Apt sources of a fresh bookworm (as Debian's bookworm container image has them).
rm -f "$RUN/etc/apt/sources.list"
mkdir -p "$RUN/etc/apt/sources.list.d"
cat >"$RUN/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: ${MIRROR}
Suites: ${SUITE} ${SUITE}-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${MIRROR%/debian}/debian-security
Suites: ${SUITE}-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
if [[ ! -s $RUN/etc/hosts ]]; then
  printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\nff02::1\t\tip6-allnodes\nff02::2\t\tip6-allrouters\n' \
    >"$RUN/etc/hosts"
fi
rm -f "$RUN/etc/resolv.conf"
cp -L /etc/resolv.conf "$RUN/etc/resolv.conf"

# This checkout: tracked files (as in the work tree) plus untracked, not ignored ones.
mkdir -p "$RUN$INSIDE_REPO"
(
  cd "$REPO"
  git ls-files -co --exclude-standard -z |
    while IFS= read -r -d '' f; do
      if [[ -e $f || -L $f ]]; then printf '%s\0' "$f"; fi
    done |
    tar --null -T - -cf -
) | tar -C "$RUN$INSIDE_REPO" -xpf -
REVISION=$(git -C "$REPO" describe --always --dirty 2>/dev/null || echo unknown)
NFILES=$(find "$RUN$INSIDE_REPO" -type f | wc -l)
say "checkout $REPO ($REVISION, $NFILES files) copied to $INSIDE_REPO"

# Mounts: the root on itself (private), then /proc, /sys, /dev (recursive, slaves
# of the host's: what is mounted or unmounted inside never reaches the host), /run.
mount --bind "$RUN" "$RUN"
mount --make-private "$RUN"
mount --bind /proc "$RUN/proc"
mount --make-private "$RUN/proc"
mount --rbind /sys "$RUN/sys"
mount --make-rslave "$RUN/sys"
mount --rbind /dev "$RUN/dev"
mount --make-rslave "$RUN/dev"
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs "$RUN/run"
install -d -m 1777 "$RUN/run/lock"
[[ -c $RUN/dev/fuse ]] || die "/dev/fuse is not visible inside $RUN"

# ---------------------------------------------------------------- the README's commands

LOGDIR=$CACHE/logs/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$LOGDIR"
# The logs of the last 10 runs are kept.
find "$CACHE/logs" -mindepth 1 -maxdepth 1 -type d | sort | head -n -10 |
  while read -r old; do rm -rf --one-file-system -- "$old"; done
say "logs: $LOGDIR"
names=() results=() durations=() logs=()
overall=0
i=0
for cmd in "${COMMANDS[@]}"; do
  i=$((i + 1))
  name=$(printf '%s' "$cmd" | sed -E 's/^bash +//; s/[^A-Za-z0-9]+/-/g; s/^-+|-+$//g' | cut -c1-60)  # a log name, not too long
  log=$LOGDIR/$i-$name.log
  say "[$i/${#COMMANDS[@]}] $(date -u +%H:%M:%SZ) running \`$cmd\` in the chroot (log: $log)"
  t0=$(date +%s)
  {
    printf '# fresh-check: `%s` in %s:%s, checkout %s, started %s\n' \
      "$cmd" "$RUN" "$INSIDE_REPO" "$REVISION" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  } >"$log"
  # In the background so that a signal to this script is handled at once.
  timeout --signal=TERM --kill-after=60 "$CMD_TIMEOUT" \
    chroot "$RUN" /usr/bin/env -i HOME=/root USER=root LOGNAME=root SHELL=/bin/bash TERM=dumb \
      PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      /bin/bash -lc "cd $INSIDE_REPO && $cmd" </dev/null >>"$log" 2>&1 &
  child=$!
  rc=0
  wait "$child" || rc=$?
  dt=$(( $(date +%s) - t0 ))
  printf '# fresh-check: exit status %s after %ss\n' "$rc" "$dt" >>"$log"
  [[ $rc -eq 124 ]] && printf '# fresh-check: killed after FRESH_TIMEOUT=%ss\n' "$CMD_TIMEOUT" >>"$log"
  names+=("$cmd") results+=("$rc") durations+=("$dt") logs+=("$log")
  [[ $rc -eq 0 ]] || overall=1
  say "[$i/${#COMMANDS[@]}] \`$cmd\`: $([[ $rc -eq 0 ]] && echo pass || echo "FAIL (exit $rc)") in $((dt / 60))m$((dt % 60))s"
done

# Processes and mounts first, so the verdict also tells whether cleanup went well.
cleanup
left=$(mounts_under "$RUN")

fmt() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }
summary=()
for j in "${!names[@]}"; do
  if [[ ${results[$j]} -eq 0 ]]; then
    summary+=("\`${names[$j]}\` pass $(fmt "${durations[$j]}")")
  else
    summary+=("\`${names[$j]}\` FAIL exit ${results[$j]} $(fmt "${durations[$j]}")")
  fi
done
for j in "${!logs[@]}"; do
  printf '\n----- last %s lines of %s\n' "$TAIL_LINES" "${logs[$j]}"
  tail -n "$TAIL_LINES" "${logs[$j]}"
done
echo
if [[ -n $left ]]; then
  say "warning: still mounted after cleanup: $(echo $left)"
  overall=1
fi
verdict=$([[ $overall -eq 0 ]] && echo PASS || echo FAIL)
say "$verdict on fresh $SUITE minbase ($REVISION): $(printf '%s; ' "${summary[@]}" | sed 's/; $//')"
exit "$overall"
