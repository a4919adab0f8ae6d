#!/usr/bin/env bash
# One command from a fresh Debian bookworm machine (as root) to a mounted
# gocachefs: install dependencies, build, install the binaries to
# /usr/local/bin (man pages and completion to /usr/local/share), mount /mnt/gocache on the store /var/lib/gocachefs and create
# the namespace of the local Go toolchain.
# Usage (from anywhere): bash tools/quickstart.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

MNT=${GOCACHEFS_MNT:-/mnt/gocache}
STORE=${GOCACHEFS_STORE:-/var/lib/gocachefs}
BINDIR=${GOCACHEFS_BINDIR:-/usr/local/bin}

step() { printf '\n==> %s\n' "$*"; }

step "installing dependencies"
bash tools/install-deps.sh

step "building"
bash tools/build.sh

step "installing binaries to $BINDIR"
install -d "$BINDIR"
install -m 0755 build/fusefs/gocachefs "$BINDIR/gocachefs"
install -m 0755 build/tools/gocachectl "$BINDIR/gocachectl"
install -m 0755 build/tools/health/gocachefs-health-check "$BINDIR/gocachefs-health-check"
# What `meson install` would also put in place: the man pages and gocachectl's bash
# completion (bash-completion finds it under /usr/local/share through XDG_DATA_DIRS).
SHAREDIR=${GOCACHEFS_SHAREDIR:-/usr/local/share}
install -D -m 0644 docs/man/gocachefs.8 "$SHAREDIR/man/man8/gocachefs.8"
install -D -m 0644 docs/man/gocachectl.8 "$SHAREDIR/man/man8/gocachectl.8"
install -D -m 0644 docs/man/gocachefs-health-check.8 "$SHAREDIR/man/man8/gocachefs-health-check.8"
install -D -m 0644 tools/completion/gocachectl.bash \
  "$SHAREDIR/bash-completion/completions/gocachectl"

# Is $MNT a mount point right now? (read the kernel's table: a dead FUSE mount
# cannot be stat'ed, so `mountpoint` alone is not enough)
is_mounted() {
  awk -v m="$1" '$5 == m { found = 1 } END { exit !found }' /proc/self/mountinfo
}

# FUSE over io_uring (kernel 6.14+): requests are answered on the CPU that
# made them, which halves a round trip on VMs (README, Benchmarks). Off by
# default in the kernel; the systemd unit turns it on at each start.
URING=/sys/module/fuse/parameters/enable_uring
if [[ -w $URING ]]; then
  step "turning on FUSE over io_uring ($URING, until reboot)"
  echo 1 >"$URING"
fi

mkdir -p "$STORE"
if is_mounted "$MNT" && ! stat "$MNT" >/dev/null 2>&1; then
  step "$MNT is a dead mount (daemon gone), unmounting it"
  fusermount3 -u "$MNT" 2>/dev/null || fusermount3 -uz "$MNT"
fi
if is_mounted "$MNT"; then
  step "$MNT is already mounted, leaving it as it is"
else
  step "mounting gocachefs on $MNT (store: $STORE)"
  mkdir -p "$MNT"
  "$BINDIR/gocachefs" --store "$STORE" "$MNT"
fi

GOVERSION=$(go env GOVERSION)
mkdir -p "$MNT/$GOVERSION"

cat <<MSG

gocachefs is mounted on $MNT (store: $STORE, log: $STORE/gocachefs.log).
Namespace for the local Go ($GOVERSION): $MNT/$GOVERSION

Use it:
    export GOCACHE=$MNT/$GOVERSION
    go build ./...

Another Go version gets its own namespace:  mkdir $MNT/<go version>
Unmount (the daemon flushes and exits):     fusermount3 -u $MNT
Statistics, snapshots, health:              gocachectl --help, man gocachectl
MSG
