#!/usr/bin/env bash
# The whole gocachefs test suite, as CI runs it (.ci/run execs this file):
#   dependencies -> clang-format check -> layer check -> build -> unit tests -> pytest mount +
#   e2e tests, with the sanitizer (address+undefined) build and its unit tests running niced
#   in the background meanwhile. Exits non-zero if any phase fails; the last line printed
#   names the phases that failed.
# Usage (from anywhere): bash tests/run.sh
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

PYTHON=/usr/bin/python3        # Debian's python3, which has python3-pytest
PYTEST_TIMEOUT=${PYTEST_TIMEOUT:-3000}   # seconds; hard stop for the pytest phase (Go 1.23 e2e, remote e2e)
START=$(date +%s)
failed=()

phase() {
  printf '\n===== [%s] (+%ss) %s =====\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(( $(date +%s) - START ))" "$*"
}
fail() {
  failed+=("$1")
  printf '!!!!! phase FAILED: %s\n' "$1"
}

# pytest's temporary directories of this run only: a run cleans up what it
# left (mounts and daemons of an interrupted test), never another run's.
RUN_TMP=$(mktemp -d /tmp/gocachefs-tests-XXXXXX)
cleanup_leftovers() {
  local mp
  awk '{ print $5 }' /proc/self/mountinfo | grep -F "$RUN_TMP/" | sort -r |
    while read -r mp; do
      fusermount3 -uz "$mp" 2>/dev/null || umount -l "$mp" 2>/dev/null || true
    done
  local pid
  # a daemon whose mount is gone calls itself gocachefs-stop (store/lock_holder.hpp)
  for pid in $(pgrep -x 'gocachefs(-stop)?' 2>/dev/null); do
    if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$RUN_TMP/"; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
}
# The mount and e2e tests run with FUSE over io_uring on, as the quick start
# and the systemd unit leave a machine (the daemon's default transport then
# uses it); the machine's setting comes back at exit.
URING_PARAM=/sys/module/fuse/parameters/enable_uring
URING_BEFORE=
ASAN_PID=
finish() {
  if [[ -n $ASAN_PID ]] && kill -0 "$ASAN_PID" 2>/dev/null; then  # interrupted: stop the build
    pkill -TERM -P "$ASAN_PID" 2>/dev/null || true
    kill -TERM "$ASAN_PID" 2>/dev/null || true
  fi
  cleanup_leftovers
  if [[ -n $URING_BEFORE ]]; then
    [[ $URING_BEFORE == Y ]] && echo 1 >"$URING_PARAM" || echo 0 >"$URING_PARAM"
  fi
  rm -rf --one-file-system "$RUN_TMP" 2>/dev/null || true
}
trap finish EXIT

phase "install dependencies"
bash tools/install-deps.sh || { fail deps; exit 1; }

phase "clang-format check (store fusefs policy tools tests bench)"
dirs=()
for d in store fusefs policy tools tests bench; do [[ -d $d ]] && dirs+=("$d"); done
mapfile -t sources < <(find "${dirs[@]}" -type f \( -name '*.cpp' -o -name '*.hpp' \) | sort)
if [[ ${#sources[@]} -eq 0 ]]; then
  echo "no C++ sources found"
elif clang-format --dry-run --Werror "${sources[@]}"; then
  echo "clang-format: ${#sources[@]} files formatted"
else
  echo "clang-format: files above are not formatted; fix with: clang-format -i <file>"
  fail clang-format
fi

phase "layer check (tools/check-layers.sh: includes follow docs/design.md's layers)"
bash tools/check-layers.sh || fail layers

phase "build (build/, debugoptimized)"
# A build/ configured here gets line tables only (-g1): a quarter less compile time than full
# debug info, with file:line in backtraces; an existing build/ keeps its options.
if ! bash tools/build.sh build -Dcpp_args=-g1; then
  fail build
  echo "build failed: nothing to test"
  exit 1
fi

phase "unit tests (build/)"
meson test -C build --print-errorlogs || fail unit-tests

# The sanitizer build and its unit tests run in the background at nice 19 while pytest runs:
# the mount tests leave most of the CPU idle (they wait on the kernel and on timers), and a
# niced compile takes only what the tests leave. Its log is printed, and its result counted,
# after pytest. -O0 (buildtype debug) and -g1: it compiles everything once more.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:halt_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ASAN_LOG="$RUN_TMP/sanitizer.log"
sanitizer_phase() {
  if ! { [[ -f build-asan/build.ninja ]] ||
         meson setup build-asan --buildtype=debug -Db_sanitize=address,undefined -Dbench=false \
           -Dcpp_args=-g1; } || ! ninja -C build-asan; then
    echo "SANITIZER-RESULT: build failed"
    return 1
  fi
  if meson test -C build-asan --print-errorlogs --timeout-multiplier 4; then
    echo "SANITIZER-RESULT: unit tests passed"
  else
    echo "SANITIZER-RESULT: unit tests failed"
    return 1
  fi
}
phase "sanitizer build (build-asan/, address+undefined) and its unit tests: started in the background"
nice -n 19 bash -c "$(declare -f sanitizer_phase); sanitizer_phase" >"$ASAN_LOG" 2>&1 &
ASAN_PID=$!
unset ASAN_OPTIONS UBSAN_OPTIONS

cleanup_leftovers
if [[ -w $URING_PARAM ]]; then
  URING_BEFORE=$(cat "$URING_PARAM")
  echo 1 >"$URING_PARAM" && echo "fuse.enable_uring on for the mount tests (was $URING_BEFORE)"
fi
phase "mount + e2e tests (pytest, real daemon build/fusefs/gocachefs)"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "earlier phases FAILED: ${failed[*]} (running pytest anyway; the run fails)"
else
  echo "earlier phases passed"
fi
timeout --signal=TERM --kill-after=30 "$PYTEST_TIMEOUT" \
  "$PYTHON" -m pytest -v -rfE --durations=10 --basetemp "$RUN_TMP/main" tests/mount tests/e2e
rc=$?
if [[ $rc -ne 0 ]]; then
  failed+=(pytest)
  if [[ $rc -eq 124 || $rc -eq 137 ]]; then
    echo "pytest was killed after ${PYTEST_TIMEOUT}s (PYTEST_TIMEOUT): the run fails"
  fi
fi

phase "sanitizer build and unit tests (build-asan/): waiting for the background job"
if wait "$ASAN_PID"; then
  tail -n 15 "$ASAN_LOG"
else
  tail -n 80 "$ASAN_LOG"
  if grep -q "SANITIZER-RESULT: build failed" "$ASAN_LOG"; then fail sanitizer-build; else fail sanitizer-unit-tests; fi
fi

# Opt-in: the mount tests against the sanitizer-built daemon (leaks and memory errors in the
# daemon make its exit status non-zero, which the harness reports as an unclean shutdown).
if [[ "${GOCACHEFS_ASAN_MOUNT_TESTS:-0}" == 1 && ! " ${failed[*]} " =~ " sanitizer-build " ]]; then
  phase "mount tests against the sanitizer daemon (build-asan/fusefs/gocachefs)"
  ASAN_OPTIONS=abort_on_error=1:halt_on_error=1:detect_leaks=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    GOCACHEFS_BIN=build-asan/fusefs/gocachefs "$PYTHON" -m pytest -q -rfE \
    --basetemp "$RUN_TMP/asan" tests/mount ||
    fail sanitizer-mount-tests
fi

phase "done: ${failed[*]:-every phase passed}"
[[ ${#failed[@]} -eq 0 ]]
