#!/usr/bin/env bash
# CI step 3 (always, also after a failure): unmount and wait for the daemon to
# flush, close the store and exit, so nothing of the job outlives it.
# Env: STORE MNT (tools/ci/common.sh). Exit 0 also when nothing was mounted.
set -euo pipefail
# shellcheck source=tools/ci/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# Is MNT a mount point? (the kernel's table: a dead FUSE mount cannot be stat'ed)
is_mounted() {
  awk -v m="$(realpath -m "$MNT")" '$5 == m { found = 1 } END { exit !found }' /proc/self/mountinfo
}

if ! is_mounted; then
  ci_log "$MNT is not mounted: nothing to do"
  exit 0
fi
# The daemon's pid, to wait for its exit (absent if it already died).
pid=$("$GOCACHECTL" --store "$STORE" --json env 2>/dev/null |
  sed -n 's/.*"pid":[[:space:]]*\([0-9][0-9]*\).*/\1/p' | head -1) || true
if ! fusermount3 -u "$MNT"; then
  ci_log "fusermount3 -u $MNT failed (busy?): detaching it lazily"
  fusermount3 -uz "$MNT"
fi
if [[ -n $pid ]]; then
  for _ in $(seq 300); do   # up to 30 s, as gocachefs's own --lock-wait
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    ci_log "error: gocachefs (pid $pid) still running 30 s after the unmount"
    exit 1
  fi
fi
ci_log "unmounted $MNT"
