# shellcheck shell=bash
# Shared by tools/ci/{restore,save,unmount}.sh: the settings every CI step needs.
# Sourced, not run. See docs/ci.md for what each variable means.

# Runner-local by default: the store and the mount live and die with the job.
STORE=${STORE:-${RUNNER_TEMP:-/tmp}/gocachefs-store}
MNT=${MNT:-${RUNNER_TEMP:-/tmp}/gocachefs-mnt}
# Relative to the job's working directory: the platform's cache step saves it.
ARCHIVE=${ARCHIVE:-.gcfs/warm.gcfsarc}
# What changed since ARCHIVE (a delta of it), saved by later runs instead of a new
# full archive while it stays below DELTA_MAX_PERCENT of ARCHIVE's size.
DELTA=${DELTA:-.gcfs/warm.delta.gcfsarc}
DELTA_MAX_PERCENT=${DELTA_MAX_PERCENT:-50}
GOCACHEFS=${GOCACHEFS:-gocachefs}
GOCACHECTL=${GOCACHECTL:-gocachectl}
# Extra daemon flags, word-split (e.g. "--metrics-listen off --max-size 20G").
GOCACHEFS_OPTS=${GOCACHEFS_OPTS:-}

ci_log() { printf 'gocachefs-ci: %s\n' "$*" >&2; }

# The namespace of the go in PATH, named as `gocachectl env` names it (gccgo and
# versions with spaces get derived names); NS overrides it.
ci_namespace() {
  if [[ -n ${NS:-} ]]; then
    printf '%s\n' "$NS"
    return
  fi
  local line
  line=$("$GOCACHECTL" --store "$STORE" env) || return 1
  # line: export GOCACHE=MNT/NS
  printf '%s\n' "${line##*/}"
}
