#!/usr/bin/env bash
# Configure (once) and build gocachefs with meson + ninja. Idempotent.
# Usage: bash tools/build.sh [BUILD_DIR [MESON_SETUP_OPTION...]]
#   BUILD_DIR defaults to build (relative to the repo root); extra options are
#   passed to `meson setup` only when the directory is first configured.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

BUILD_DIR=${1:-build}
shift || true

if [[ -f "$BUILD_DIR/build.ninja" ]]; then
  : # configured; ninja re-runs meson by itself when a meson.build changed
elif [[ -d "$BUILD_DIR/meson-private" ]]; then
  echo "build: $BUILD_DIR is half-configured, wiping and reconfiguring"
  meson setup --wipe "$BUILD_DIR" --buildtype=debugoptimized "$@"
else
  meson setup "$BUILD_DIR" --buildtype=debugoptimized "$@"
fi

ninja -C "$BUILD_DIR"
