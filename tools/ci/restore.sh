#!/usr/bin/env bash
# CI step 1: mount gocachefs on an empty runner-local store and restore the warm
# cache from ARCHIVE, and DELTA after it, if the platform's cache steps brought them.
# Prints `export GOCACHE=...` on stdout (eval it), appends GOCACHE=... to
# $GITHUB_ENV on GitHub Actions; everything else goes to stderr.
# Env: STORE MNT ARCHIVE DELTA NS GOCACHEFS GOCACHECTL GOCACHEFS_OPTS (tools/ci/common.sh).
# Exit: 0 mounted (warm or cold); non-zero if the mount or the restore of ARCHIVE
# failed. A DELTA that does not apply (another full archive's, damaged) is a warning:
# ARCHIVE alone is restored, and the next save writes a delta of it again.
set -euo pipefail
# shellcheck source=tools/ci/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

mkdir -p "$STORE" "$MNT"
# Daemonizes and returns 0 only once the mount works. No settling: it would
# rewrite the restored records (same content, new bytes) and save.sh's delta
# would carry them all; the job's store is thrown away anyway.
# shellcheck disable=SC2086  # GOCACHEFS_OPTS is a list of flags
"$GOCACHEFS" --store "$STORE" --settle-after off $GOCACHEFS_OPTS "$MNT"
ns=$(ci_namespace)

restore() { "$GOCACHECTL" --store "$STORE" snapshot restore "$@" --ns "$ns" >&2; }

# Test for the file instead of `restore ... || true`: a missing archive is the
# normal first run, but a corrupt one must fail the job, not build cold silently.
if [[ -f $ARCHIVE ]]; then
  if [[ -f $DELTA ]]; then
    ci_log "restoring $ARCHIVE ($(stat -c %s "$ARCHIVE") bytes) and the delta $DELTA" \
      "($(stat -c %s "$DELTA") bytes) into namespace $ns"
    # A refused restore changes nothing: trying ARCHIVE alone after it is safe.
    if restore "$ARCHIVE" "$DELTA"; then
      restored=1
    else
      ci_log "warning: restoring $ARCHIVE with the delta $DELTA failed (see above);" \
        "restoring $ARCHIVE alone"
    fi
  else
    ci_log "restoring $ARCHIVE ($(stat -c %s "$ARCHIVE") bytes) into namespace $ns"
  fi
  if [[ -z ${restored:-} ]] && ! restore "$ARCHIVE"; then
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
