// Go cache entry checks: see go_entry.hpp (cmd/go/internal/cache/cache.go).
#include "store/remote/go_entry.hpp"

#include <fmt/format.h>
#include <nettle/sha2.h>

#include <charconv>

namespace gcfs::remote {

namespace {

bool is_lower_hex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// A %20d field: spaces, then an optional '-', then digits.
template <class T>
bool parse_field(std::string_view f, T& out) {
  while (!f.empty() && f.front() == ' ') f.remove_prefix(1);
  if (f.empty()) return false;
  auto [p, ec] = std::from_chars(f.data(), f.data() + f.size(), out);
  return ec == std::errc() && p == f.data() + f.size();
}

}  // namespace

Result<ActionEntry> parse_action_entry(std::string_view b) {
  auto bad = [](std::string_view why) {
    return Error(Errc::corrupt, fmt::format("action entry: {}", why));
  };
  if (b.size() != kActionEntrySize) return bad(fmt::format("{} bytes, not 175", b.size()));
  if (b.substr(0, 3) != "v1 " || b[67] != ' ' || b[132] != ' ' || b[153] != ' ' || b[174] != '\n') {
    return bad("bad layout");
  }
  ActionEntry e;
  e.action_hex = std::string(b.substr(3, 64));
  e.output_hex = std::string(b.substr(68, 64));
  if (!is_lower_hex(e.action_hex) || !is_lower_hex(e.output_hex)) return bad("bad hex");
  int64_t size = -1;
  if (!parse_field(b.substr(133, 20), size) || size < 0) return bad("bad size");
  if (!parse_field(b.substr(154, 20), e.time_ns)) return bad("bad time");
  e.size = static_cast<uint64_t>(size);
  return e;
}

std::string sha256_hex(std::string_view bytes) {
  sha256_ctx ctx;
  sha256_init(&ctx);
  sha256_update(&ctx, bytes.size(), reinterpret_cast<const uint8_t*>(bytes.data()));
  uint8_t digest[SHA256_DIGEST_SIZE];
  sha256_digest(&ctx, sizeof(digest), digest);
  std::string out;
  out.reserve(2 * sizeof(digest));
  for (uint8_t d : digest) out += fmt::format("{:02x}", d);
  return out;
}

}  // namespace gcfs::remote
