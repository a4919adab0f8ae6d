// The Go command's 32-byte cache IDs (action IDs and output IDs, both
// SHA-256 sized) and their lowercase hex form, as file names use it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gcfs::gocache {

using GoHash = std::array<uint8_t, 32>;

// 64 lowercase hex digits.
std::string to_hex(const GoHash& h);
// From exactly 64 hex digits (either case); nullopt otherwise.
std::optional<GoHash> hash_from_hex(std::string_view hex);
// From exactly 32 raw bytes; nullopt otherwise.
std::optional<GoHash> hash_from_bytes(std::string_view bytes);

}  // namespace gcfs::gocache
