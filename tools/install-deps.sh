#!/usr/bin/env bash
# Install every Debian bookworm package gocachefs needs to build, test and run.
# Idempotent: when all packages are already installed it does not touch apt.
# Current Go (golang-1.23-go, golang-1.21-go) comes from bookworm-backports, which a
# Debian install does not enable: the script adds it as
# /etc/apt/sources.list.d/bookworm-backports.sources (deb822) unless some apt source
# already names that suite, and rewrites nothing that is already there.
# Usage: bash tools/install-deps.sh   (as root, or with sudo available)
set -euo pipefail

BACKPORTS_FILE=/etc/apt/sources.list.d/bookworm-backports.sources
BACKPORTS_SOURCES='Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg'

# The one list of packages (build, unit tests, benchmarks, mount tests, e2e, CI; the Debian
# package's build, lintian and man -l in tests/e2e/test_deb_package.py).
PACKAGES=(
  meson ninja-build pkg-config g++
  libfuse3-dev fuse3 liburing-dev
  librocksdb-dev liblz4-dev libxxhash-dev
  libhiredis-dev nettle-dev redis-server redis-tools
  libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev nlohmann-json3-dev prometheus-cpp-dev
  golang-go golang-1.23-go golang-1.21-go gccgo-12 strace
  python3 python3-pytest python3-yaml
  prometheus
  clang-format git ca-certificates groff-base
  iproute2 systemd procps strace
  debhelper dpkg-dev build-essential lintian man-db
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
if ! grep -rqs --include='*.list' --include='*.sources' -E '(^|[[:space:]])bookworm-backports([[:space:]]|$)' \
    /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "install-deps: enabling bookworm-backports ($BACKPORTS_FILE)"
  printf '%s\n' "$BACKPORTS_SOURCES" | "${SUDO[@]}" tee "$BACKPORTS_FILE" >/dev/null
fi
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
