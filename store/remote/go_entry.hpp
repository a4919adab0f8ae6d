// Go's cache entry formats, for verifying what the remote returns:
// an action entry (`-a`) is exactly 175 bytes,
//   "v1 <64 hex action ID> <64 hex output ID> <%20d size> <%20d unixnano>\n"
// and an output (`-d`) is named by the SHA-256 of its content.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "store/result.hpp"

namespace gcfs::remote {

inline constexpr size_t kActionEntrySize = 175;

struct ActionEntry {
  std::string action_hex;
  std::string output_hex;
  uint64_t size = 0;
  int64_t time_ns = 0;
};

// Errc::corrupt unless `bytes` is a well-formed entry, as Go parses it.
Result<ActionEntry> parse_action_entry(std::string_view bytes);

// Lower-case hex SHA-256 (nettle).
std::string sha256_hex(std::string_view bytes);

}  // namespace gcfs::remote
