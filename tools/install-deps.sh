#!/usr/bin/env bash
# Install every Debian bookworm package gocachefs needs to build, test and run.
# Idempotent: when all packages are already installed it does not touch apt.
# Usage: bash tools/install-deps.sh   (as root, or with sudo available)
set -euo pipefail

# The one list of packages (build, unit tests, benchmarks, mount tests, e2e, CI).
PACKAGES=(
  meson ninja-build pkg-config g++
  libfuse3-dev fuse3
  librocksdb-dev liblz4-dev libxxhash-dev
  libhiredis-dev nettle-dev redis-server redis-tools
  libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev nlohmann-json3-dev prometheus-cpp-dev nettle-dev
  golang-go python3 python3-pytest python3-yaml
  prometheus
  clang-format git ca-certificates
  iproute2 systemd procps
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "ii"* ]]; then
    missing+=("$pkg")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

echo "install-deps: installing ${#missing[@]} missing package(s): ${missing[*]}"
SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "install-deps: error: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
