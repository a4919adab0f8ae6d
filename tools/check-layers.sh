#!/usr/bin/env bash
# The layer rules of docs/design.md ("Layers"), checked on the #include lines
# of the sources. tests/run.sh runs it after the clang-format check.
#   - fusefs/, policy/ and tools/ never include <rocksdb/...>;
#   - outside store/ and tests/ (and bench/'s micro-benchmarks of the
#     store's internals), nothing includes store/local/, store/archive/,
#     store/codec/ or store/testing/: the public headers are store/'s top
#     level, store/admin/ and policy/;
#   - store/ includes nothing of fusefs/, policy/ or tools/; store/remote/
#     includes no RocksDB and nothing of store/local/, nor does store/tiered/;
#     store/gocache/ (over the Store interface) no RocksDB and no store internal;
#   - fusefs/ (but its daemon/) sees the second tier only as SecondTier;
#   - policy/ never includes fusefs/ or tools/; policy/rules/ (the pure
#     decisions) includes no store engine, no fusefs/ and no I/O header;
#   - fusefs/ never includes tools/.
# Usage (from anywhere): bash tools/check-layers.sh
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

bad=0
# rule DESCRIPTION DIRS PATTERN [EXCLUDED-PATH-REGEX]
rule() {
  local what=$1 dirs=$2 pattern=$3 exclude=${4:-}
  local hits
  # shellcheck disable=SC2086
  hits=$(grep -rnE --include='*.cpp' --include='*.hpp' "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]($pattern)" $dirs 2>/dev/null |
    { if [[ -n $exclude ]]; then grep -vE "$exclude"; else cat; fi; })
  if [[ -n $hits ]]; then
    printf 'layer rule broken: %s\n%s\n\n' "$what" "$hits"
    bad=1
  fi
}

internals='store/(local|archive|codec|testing)/'
rule "fusefs/, policy/ and tools/ never include RocksDB headers" "fusefs policy tools" 'rocksdb/'
rule "outside store/ and tests/, only the store's public headers (store/*.hpp, store/admin/)" \
  "fusefs policy tools" "$internals"
rule "bench/ reaches no store internal but the chunk codec it measures" "bench" \
  'store/(local|archive|testing)/'
rule "store/ includes nothing of fusefs/, policy/ or tools/" "store" '(fusefs|policy|tools)/'
rule "store/remote/ includes no RocksDB and nothing of store/local/" "store/remote" \
  'rocksdb/|store/local/'
rule "store/gocache/ is over the Store interface: no RocksDB, no store internal" "store/gocache" \
  "rocksdb/|$internals"
rule "store/tiered/ uses the Store interface and the remote client: no RocksDB, no store/local/" \
  "store/tiered" 'rocksdb/|store/(local|archive|testing)/'
rule "fusefs/ reaches the second tier through store/second_tier.hpp: only the daemon wires it" \
  "fusefs --exclude-dir=daemon" 'store/(remote|tiered)/'
rule "policy/ never includes fusefs/ or tools/" "policy" '(fusefs|tools)/'
rule "policy/rules/ is pure: no store engine, no fusefs/, no I/O header" "policy/rules" \
  "store/|fusefs/|tools/|rocksdb/|fuse|spdlog/|(sys/[a-z_]+|unistd|fcntl|dirent|poll|netdb)\.h|fstream|iostream|cstdio|filesystem|thread>"
rule "fusefs/ never includes tools/" "fusefs" 'tools/'

if [[ $bad -ne 0 ]]; then
  echo "see docs/design.md, \"Layers\": move the code to the layer that may depend on it, or"
  echo "give the lower layer an interface (as Store or Evictor) that the higher one implements."
  exit 1
fi
echo "layers: every include follows the rules of docs/design.md"
