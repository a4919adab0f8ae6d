#include "store/gocache/action_entry.hpp"

#include <fmt/format.h>

#include <charconv>

namespace gcfs::gocache {

namespace {

constexpr size_t kHex = 64;

// A right-aligned decimal field of 20 characters: leading spaces, digits.
std::optional<int64_t> number(std::string_view field) {
  size_t i = 0;
  while (i < field.size() && field[i] == ' ') ++i;
  int64_t v = 0;
  const char* end = field.data() + field.size();
  auto [p, ec] = std::from_chars(field.data() + i, end, v);
  if (ec != std::errc() || p != end || i == field.size()) return std::nullopt;
  return v;
}

}  // namespace

std::string format_action_entry(const ActionEntry& e) {
  return fmt::format("v1 {} {} {:20d} {:20d}\n", to_hex(e.action), to_hex(e.output), e.size,
                     e.time_ns);
}

std::optional<ActionEntry> parse_action_entry(std::string_view b, const GoHash& action) {
  if (b.size() != kActionEntrySize) return std::nullopt;
  const size_t out_at = 3 + kHex + 1, size_at = out_at + kHex + 1, time_at = size_at + 21;
  if (b.substr(0, 3) != "v1 " || b[3 + kHex] != ' ' || b[size_at - 1] != ' ' ||
      b[time_at - 1] != ' ' || b.back() != '\n') {
    return std::nullopt;
  }
  auto id = hash_from_hex(b.substr(3, kHex));
  auto out = hash_from_hex(b.substr(out_at, kHex));
  auto size = number(b.substr(size_at, 20));
  auto time = number(b.substr(time_at, 20));
  if (!id || *id != action || !out || !size || *size < 0 || !time) return std::nullopt;
  return ActionEntry{*id, *out, static_cast<uint64_t>(*size), *time};
}

}  // namespace gcfs::gocache
