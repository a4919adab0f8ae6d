// Manifests: see manifest.hpp.
#include "store/remote/manifest.hpp"

#include <fmt/format.h>

#include "store/codec/bytes.hpp"

namespace gcfs::remote {

std::string encode_manifest(const Manifest& m) {
  std::string out;
  bytes::put_u64be(out, m.total);
  bytes::put_u64be(out, m.xxh3);
  bytes::put_u32be(out, static_cast<uint32_t>(m.piece_lens.size()));
  for (uint32_t len : m.piece_lens) bytes::put_u32be(out, len);
  return out;
}

Outcome<Manifest> decode_manifest(std::string_view p, uint64_t max_total) {
  auto bad = [](std::string_view why) {
    return Failure{Fault::corrupt, fmt::format("manifest: {}", why)};
  };
  if (p.size() < 20) return bad("truncated");
  Manifest m;
  m.total = bytes::get_u64be(p.data());
  m.xxh3 = bytes::get_u64be(p.data() + 8);
  const uint32_t count = bytes::get_u32be(p.data() + 16);
  if (m.total > max_total) {
    return Failure{Fault::too_big,
                   fmt::format("object of {} bytes, above the {} limit", m.total, max_total)};
  }
  if (count == 0 || p.size() != 20 + size_t{count} * 4) return bad("piece count mismatch");
  uint64_t sum = 0;
  for (uint32_t i = 0; i < count; ++i) {
    const uint32_t len = bytes::get_u32be(p.data() + 20 + size_t{i} * 4);
    if (len == 0) return bad("empty piece");
    m.piece_lens.push_back(len);
    sum += len;
  }
  if (sum != m.total) return bad("piece lengths do not add up");
  return m;
}

std::vector<uint32_t> plan_pieces(uint64_t total, uint32_t piece_size) {
  std::vector<uint32_t> out;
  for (uint64_t off = 0; off < total; off += piece_size) {
    out.push_back(static_cast<uint32_t>(std::min<uint64_t>(piece_size, total - off)));
  }
  return out;
}

}  // namespace gcfs::remote
