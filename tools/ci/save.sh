#!/usr/bin/env bash
# CI step 2 (after the build and tests): export the namespace for the platform's
# cache steps to save. When ARCHIVE (the full archive this job restored) exists, a
# delta of it goes to DELTA: what the job added or changed, typically a few percent
# of ARCHIVE. Once the delta would exceed DELTA_MAX_PERCENT of ARCHIVE, or without
# an ARCHIVE, a new full archive goes to ARCHIVE and DELTA is removed.
# Prints kind=full|delta on $GITHUB_OUTPUT (GitHub Actions) and on stdout.
# Env: STORE MNT ARCHIVE DELTA DELTA_MAX_PERCENT NS GOCACHECTL (tools/ci/common.sh).
# Exit: 0 archive written; non-zero otherwise (the files then are the old ones or
# absent: export writes FILE.tmp and renames it, so a half-written archive is
# never saved).
set -euo pipefail
# shellcheck source=tools/ci/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ns=$(ci_namespace)
# A unique name: a persistent store (self-hosted runner) may hold older snapshots.
snap="ci-save-$(date +%s)-$$"
mkdir -p "$(dirname "$ARCHIVE")" "$(dirname "$DELTA")"
"$GOCACHECTL" --store "$STORE" snapshot create "$snap" --ns "$ns" >&2   # instant (hard links)
trap '"$GOCACHECTL" --store "$STORE" snapshot delete "$snap" >/dev/null 2>&1 || true' EXIT
export_to() { "$GOCACHECTL" --store "$STORE" snapshot export "$snap" -o "$@" >&2; }

kind="full"
# A delta needs a base it can read: an archive of an older gocachefs (no content
# id), of another chunk size or damaged is replaced by a new full archive.
if [[ -f $ARCHIVE ]] && ! export_to "$DELTA" --since-archive "$ARCHIVE"; then
  ci_log "warning: no delta against $ARCHIVE (see above): saving a new full archive"
  rm -f "$DELTA"
elif [[ -f $ARCHIVE ]]; then
  full_size=$(stat -c %s "$ARCHIVE")
  delta_size=$(stat -c %s "$DELTA")
  percent=$((100 * delta_size / full_size))
  if ((percent <= DELTA_MAX_PERCENT)); then
    kind="delta"
    ci_log "saved the delta of namespace $ns to $DELTA ($delta_size bytes, $percent% of" \
      "$ARCHIVE)"
  else
    ci_log "the delta is $percent% of $ARCHIVE (more than $DELTA_MAX_PERCENT%): saving a new" \
      "full archive"
  fi
fi
if [[ $kind == full ]]; then
  export_to "$ARCHIVE"
  rm -f "$DELTA"
  ci_log "saved namespace $ns to $ARCHIVE (full archive, $(stat -c %s "$ARCHIVE") bytes)"
fi
if [[ -n ${GITHUB_OUTPUT:-} ]]; then
  printf 'kind=%s\n' "$kind" >>"$GITHUB_OUTPUT"
fi
printf 'kind=%s\n' "$kind"
