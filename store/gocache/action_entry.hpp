// The Go command's action entry (`XX/<action ID>-a`), exactly as
// cmd/go/internal/cache writes and reads it:
//   "v1 <action hex> <output hex> <size %20d> <unix nano %20d>\n"  (175 bytes)
// Any other length or form is a miss to the go command, and so to us.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/gocache/go_hash.hpp"

namespace gcfs::gocache {

constexpr size_t kActionEntrySize = 175;

struct ActionEntry {
  GoHash action{};
  GoHash output{};
  uint64_t size = 0;
  int64_t time_ns = 0;  // when the entry was written, ns since the epoch
};

std::string format_action_entry(const ActionEntry& e);
// The entry in `bytes` if it is a valid entry for `action` (cache.go's get).
std::optional<ActionEntry> parse_action_entry(std::string_view bytes, const GoHash& action);

}  // namespace gcfs::gocache
