#!/usr/bin/env bash
# CI step 2 (after the build and tests): export the namespace to ARCHIVE for the
# platform's cache step to save. Always a full archive (no incremental ones yet).
# Env: STORE MNT ARCHIVE NS GOCACHECTL (tools/ci/common.sh).
# Exit: 0 archive written; non-zero otherwise (ARCHIVE then is the old one or absent:
# export writes ARCHIVE.tmp and renames it, so a half-written archive is never saved).
set -euo pipefail
# shellcheck source=tools/ci/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ns=$(ci_namespace)
# A unique name: a persistent store (self-hosted runner) may hold older snapshots.
snap="ci-save-$(date +%s)-$$"
mkdir -p "$(dirname "$ARCHIVE")"
"$GOCACHECTL" --store "$STORE" snapshot create "$snap" --ns "$ns" >&2   # instant (hard links)
trap '"$GOCACHECTL" --store "$STORE" snapshot delete "$snap" >/dev/null 2>&1 || true' EXIT
"$GOCACHECTL" --store "$STORE" snapshot export "$snap" -o "$ARCHIVE" >&2
ci_log "saved namespace $ns to $ARCHIVE ($(stat -c %s "$ARCHIVE") bytes)"
