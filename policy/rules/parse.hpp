// Numbers, sizes and durations given on command lines and in control
// requests. Anything but a plain finite value in range is refused (nullopt),
// never cast: nan, inf, negatives, overflow, trailing garbage.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace gcfs::policy {

// "20G", "512M", "4096", "1.5G", "64k", "2GiB", "10MB" (powers of 1024, at
// most 2^64-1 bytes).
std::optional<uint64_t> parse_size(std::string_view text);
// "90s", "30m", "12h", "5d", "2w" or plain seconds, at most what a signed
// 64-bit count of nanoseconds holds (~292 years).
std::optional<uint64_t> parse_duration_seconds(std::string_view text);
// A count: decimal digits only, at most 2^64-1 ("-1" is no count).
std::optional<uint64_t> parse_count(std::string_view text);
// A decimal number in [min, max], e.g. "90", "0.5", "1e3".
std::optional<double> parse_number(std::string_view text, double min, double max);

}  // namespace gcfs::policy
