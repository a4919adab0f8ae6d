#!/usr/bin/env bash
# One command from a fresh Debian bookworm machine (as root) to a mounted
# gocachefs: install dependencies, build the Debian package and install it (so
# `apt remove gocachefs` takes it away again; programs in /usr/bin, man pages,
# completion, the systemd unit), mount /mnt/gocache on the store
# /var/lib/gocachefs and create the namespace of the local Go toolchain.
# Usage (from anywhere): bash tools/quickstart.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

MNT=${GOCACHEFS_MNT:-/mnt/gocache}
STORE=${GOCACHEFS_STORE:-/var/lib/gocachefs}

step() { printf '\n==> %s\n' "$*"; }

step "installing dependencies"
bash tools/install-deps.sh

# dpkg-buildpackage writes its results next to the source tree and its build
# directory inside it: build a copy (no .git needed, developer builds left out).
WORK=$(mktemp -d /var/tmp/gocachefs-package-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
step "building the Debian package (log: $WORK/build.log, ~10 minutes on 2 CPUs)"
mkdir "$WORK/src"
tar -C "$ROOT" --exclude=./.git --exclude='./build*' --exclude='./obj-*' \
  --exclude=./debian/.debhelper --exclude=./debian/gocachefs -cf - . | tar -C "$WORK/src" -xf -
if ! (cd "$WORK/src" &&
  DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" dpkg-buildpackage -us -uc -b >"$WORK/build.log" 2>&1); then
  tail -n 30 "$WORK/build.log" >&2
  echo "quickstart: dpkg-buildpackage failed (the lines above end its log)" >&2
  trap - EXIT  # keep the log
  exit 1
fi
debs=("$WORK"/gocachefs_*.deb)

step "installing ${debs[0]##*/}"
apt-get install -y --no-install-recommends "${debs[0]}"
# An earlier quick start copied the programs to /usr/local, which comes first
# in PATH: take those copies away so the package's are the ones that run.
for f in /usr/local/bin/gocachefs /usr/local/bin/gocachectl /usr/local/bin/gocachefs-health-check \
  /usr/local/share/man/man8/gocachefs.8 /usr/local/share/man/man8/gocachectl.8 \
  /usr/local/share/man/man8/gocachefs-health-check.8 \
  /usr/local/share/bash-completion/completions/gocachectl; do
  if [[ -e $f ]]; then
    step "removing $f (an earlier quick start's copy; the package has its own)"
    rm -f "$f"
  fi
done
BINDIR=/usr/bin

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
