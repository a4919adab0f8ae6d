#include "store/gocache/go_hash.hpp"

#include <cstring>

namespace gcfs::gocache {

namespace {
int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::string to_hex(const GoHash& h) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(64, '0');
  for (size_t i = 0; i < h.size(); ++i) {
    out[2 * i] = kDigits[h[i] >> 4];
    out[2 * i + 1] = kDigits[h[i] & 0xf];
  }
  return out;
}

std::optional<GoHash> hash_from_hex(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  GoHash h{};
  for (size_t i = 0; i < h.size(); ++i) {
    const int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    h[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return h;
}

std::optional<GoHash> hash_from_bytes(std::string_view bytes) {
  if (bytes.size() != 32) return std::nullopt;
  GoHash h{};
  std::memcpy(h.data(), bytes.data(), h.size());
  return h;
}

}  // namespace gcfs::gocache
