#!/usr/bin/env bash
# CI step 1: mount gocachefs on an empty runner-local store and restore the warm
# cache from ARCHIVE if the platform's cache step brought one.
# Prints `export GOCACHE=...` on stdout (eval it), appends GOCACHE=... to
# $GITHUB_ENV on GitHub Actions; everything else goes to stderr.
# Env: STORE MNT ARCHIVE NS GOCACHEFS GOCACHECTL GOCACHEFS_OPTS (tools/ci/common.sh).
# Exit: 0 mounted (warm or cold); non-zero if the mount or the restore failed.
set -euo pipefail
# shellcheck source=tools/ci/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

mkdir -p "$STORE" "$MNT"
# Daemonizes and returns 0 only once the mount works.
# shellcheck disable=SC2086  # GOCACHEFS_OPTS is a list of flags
"$GOCACHEFS" --store "$STORE" $GOCACHEFS_OPTS "$MNT"
ns=$(ci_namespace)

# Test for the file instead of `restore ... || true`: a missing archive is the
# normal first run, but a corrupt one must fail the job, not build cold silently.
if [[ -f $ARCHIVE ]]; then
  ci_log "restoring $ARCHIVE ($(stat -c %s "$ARCHIVE") bytes) into namespace $ns"
  if ! "$GOCACHECTL" --store "$STORE" snapshot restore "$ARCHIVE" --ns "$ns" >&2; then
    ci_log "error: restoring $ARCHIVE failed (corrupt or truncated archive?);" \
      "delete the cache entry or the file to start cold"
    exit 1
  fi
else
  ci_log "no archive at $ARCHIVE: cold start (first run for this key)"
fi
# restore created the namespace; on a cold start create it here.
mkdir -p "$MNT/$ns"

if [[ -n ${GITHUB_ENV:-} ]]; then
  printf 'GOCACHE=%s\n' "$MNT/$ns" >>"$GITHUB_ENV"
fi
printf 'export GOCACHE=%s\n' "$MNT/$ns"
