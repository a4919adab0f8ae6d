#!/usr/bin/env bash
# One command from a fresh Debian bookworm machine (as root) to a mounted
# gocachefs: install dependencies, build, install the binaries to
# /usr/local/bin, mount /mnt/gocache on the store /var/lib/gocachefs and create
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
if [[ -x build/tools/gocachectl ]]; then
  install -m 0755 build/tools/gocachectl "$BINDIR/gocachectl"
fi

# Is $MNT a mount point right now? (read the kernel's table: a dead FUSE mount
# cannot be stat'ed, so `mountpoint` alone is not enough)
is_mounted() {
  awk -v m="$1" '$5 == m { found = 1 } END { exit !found }' /proc/self/mountinfo
}

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
MSG
