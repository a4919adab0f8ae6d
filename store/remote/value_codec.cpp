// Value format: see value_codec.hpp.
#include "store/remote/value_codec.hpp"

#include <fmt/format.h>
#include <xxhash.h>

#include "store/codec/bytes.hpp"
#include "store/codec/chunk.hpp"
#include "store/remote/object_key.hpp"

namespace gcfs::remote {

namespace {

uint64_t key_hash(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }

std::string header(ValueType type, Codec codec, std::string_view key, uint64_t raw_len,
                   uint64_t xxh3, size_t payload_hint) {
  std::string out;
  out.reserve(kValueHeaderSize + payload_hint);
  bytes::put_u32be(out, kValueMagic);
  out.push_back(static_cast<char>(kSchema));
  out.push_back(static_cast<char>(type));
  out.push_back(static_cast<char>(codec));
  out.push_back(0);
  bytes::put_u64be(out, key_hash(key));
  bytes::put_u64be(out, raw_len);
  bytes::put_u64be(out, xxh3);
  return out;
}

void append_chunk(std::string& out, std::string_view chunk) {
  bytes::put_u32be(out, static_cast<uint32_t>(chunk.size()));
  out.append(chunk);
}

Failure corrupt(std::string_view key, std::string_view why) {
  return Failure{Fault::corrupt, fmt::format("value of {}: {}", key, why)};
}

}  // namespace

std::string encode_raw_value(ValueType type, std::string_view key, std::string_view raw) {
  std::string out =
      header(type, Codec::raw, key, raw.size(), XXH3_64bits(raw.data(), raw.size()), raw.size());
  out.append(raw);
  return out;
}

std::string encode_value(ValueType type, std::string_view key, std::string_view raw,
                         uint32_t block_size) {
  std::string out = header(type, Codec::chunks, key, raw.size(),
                           XXH3_64bits(raw.data(), raw.size()), raw.size() / 2);
  bytes::put_u64be(out, 0);  // ino: none, the value is not from a store file
  bytes::put_u64be(out, 0);  // first chunk index
  uint64_t idx = 0;
  for (size_t off = 0; off < raw.size() || idx == 0; off += block_size, ++idx) {
    append_chunk(out, encode_chunk(0, idx, raw.substr(off, block_size)));
    if (raw.empty()) break;
  }
  return out;
}

std::string wrap_chunks(ValueType type, std::string_view key, uint64_t ino, uint64_t first_idx,
                        const std::vector<std::string_view>& chunks, uint64_t raw_len,
                        uint64_t xxh3) {
  size_t total = 16;
  for (auto c : chunks) total += 4 + c.size();
  std::string out = header(type, Codec::chunks, key, raw_len, xxh3, total);
  bytes::put_u64be(out, ino);
  bytes::put_u64be(out, first_idx);
  for (auto c : chunks) append_chunk(out, c);
  return out;
}

Outcome<ValueType> peek_type(std::string_view value) {
  if (value.size() < kValueHeaderSize) return corrupt("?", "shorter than a header");
  if (bytes::get_u32be(value.data()) != kValueMagic) return corrupt("?", "bad magic");
  if (static_cast<uint8_t>(value[4]) != kSchema) return corrupt("?", "other schema");
  const auto t = static_cast<uint8_t>(value[5]);
  if (t > static_cast<uint8_t>(ValueType::piece)) return corrupt("?", "unknown type");
  return static_cast<ValueType>(t);
}

Outcome<std::string> decode_value(std::string_view value, ValueType type, std::string_view key,
                                  uint64_t max_raw) {
  if (value.size() < kValueHeaderSize) return corrupt(key, "shorter than a header");
  const char* h = value.data();
  if (bytes::get_u32be(h) != kValueMagic) return corrupt(key, "bad magic");
  if (static_cast<uint8_t>(h[4]) != kSchema) return corrupt(key, "other schema");
  if (static_cast<uint8_t>(h[5]) != static_cast<uint8_t>(type)) return corrupt(key, "wrong type");
  const auto codec = static_cast<uint8_t>(h[6]);
  if (bytes::get_u64be(h + 8) != key_hash(key)) return corrupt(key, "written under another key");
  const uint64_t raw_len = bytes::get_u64be(h + 16);
  const uint64_t sum = bytes::get_u64be(h + 24);
  if (raw_len > max_raw) return corrupt(key, fmt::format("raw length {} too big", raw_len));
  std::string_view payload = value.substr(kValueHeaderSize);

  std::string raw;
  if (codec == static_cast<uint8_t>(Codec::raw)) {
    if (payload.size() != raw_len) return corrupt(key, "payload length mismatch");
    raw.assign(payload);
  } else if (codec == static_cast<uint8_t>(Codec::chunks)) {
    if (payload.size() < 16) return corrupt(key, "chunk payload truncated");
    const uint64_t ino = bytes::get_u64be(payload.data());
    const uint64_t first = bytes::get_u64be(payload.data() + 8);
    payload.remove_prefix(16);
    raw.reserve(raw_len);
    for (uint64_t idx = first; !payload.empty(); ++idx) {
      if (payload.size() < 4) return corrupt(key, "chunk length truncated");
      const uint32_t len = bytes::get_u32be(payload.data());
      if (payload.size() - 4 < len) return corrupt(key, "chunk truncated");
      // Bounds the decode before it allocates.
      auto chunk =
          decode_chunk(payload.substr(4, len), ino, idx,
                       static_cast<uint32_t>(std::min<uint64_t>(raw_len - raw.size(), UINT32_MAX)));
      if (!chunk) return corrupt(key, chunk.error().message());
      raw.append(*chunk);
      payload.remove_prefix(4 + size_t{len});
    }
  } else {
    return corrupt(key, fmt::format("unknown codec {}", codec));
  }
  if (raw.size() != raw_len) return corrupt(key, "decoded length mismatch");
  if (XXH3_64bits(raw.data(), raw.size()) != sum) return corrupt(key, "checksum mismatch");
  return raw;
}

}  // namespace gcfs::remote
