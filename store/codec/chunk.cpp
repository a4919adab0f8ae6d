// Chunk codec: see chunk.hpp. LZ4 runs once here at write time; the column
// families do no compression of their own.
#include "store/codec/chunk.hpp"

#include <fmt/format.h>
#include <lz4.h>
#include <lz4hc.h>
#include <xxhash.h>

#include "store/codec/bytes.hpp"

namespace gcfs {

namespace {

Error corrupt(Ino ino, uint64_t idx, std::string_view why) {
  return Error(Errc::corrupt, fmt::format("chunk {} of inode {}: {}", idx, ino, why));
}

}  // namespace

std::string encode_chunk(Ino ino, uint64_t idx, std::string_view raw) {
  std::string out;
  out.reserve(kChunkHeaderSize + raw.size());
  bytes::put_u32be(out, kChunkMagic);
  out.push_back(static_cast<char>(kChunkRaw));
  bytes::put_u64be(out, ino);
  bytes::put_u64be(out, idx);
  bytes::put_u32be(out, static_cast<uint32_t>(raw.size()));
  bytes::put_u64be(out, XXH3_64bits(raw.data(), raw.size()));

  // Worth keeping compressed only if it saves at least 1/32 of the bytes.
  if (raw.size() >= 32 && raw.size() <= LZ4_MAX_INPUT_SIZE) {
    const int limit = static_cast<int>(raw.size() - raw.size() / 32);
    out.resize(kChunkHeaderSize + static_cast<size_t>(limit));
    int n = LZ4_compress_default(raw.data(), out.data() + kChunkHeaderSize,
                                 static_cast<int>(raw.size()), limit);
    // n == 0: did not fit in `limit` bytes, i.e. saved less than 1/32.
    if (n > 0) {
      out.resize(kChunkHeaderSize + static_cast<size_t>(n));
      out[4] = static_cast<char>(kChunkLz4);
      return out;
    }
    out.resize(kChunkHeaderSize);
  }
  out.append(raw);
  return out;
}

void set_chunk_ino(std::string& value, Ino ino) {
  if (value.size() < kChunkHeaderSize) return;
  std::string be;
  bytes::put_u64be(be, ino);
  value.replace(5, 8, be);
}

Result<uint32_t> chunk_raw_len(std::string_view value) {
  if (value.size() < kChunkHeaderSize) return Error(Errc::corrupt, "chunk header truncated");
  return bytes::get_u32be(value.data() + 21);
}

Result<std::string> decode_chunk(std::string_view value, Ino ino, uint64_t idx, uint32_t max_raw) {
  if (value.size() < kChunkHeaderSize) return corrupt(ino, idx, "header truncated");
  const char* h = value.data();
  if (bytes::get_u32be(h) != kChunkMagic) return corrupt(ino, idx, "bad magic");
  const auto flags = static_cast<uint8_t>(h[4]);
  const uint64_t got_ino = bytes::get_u64be(h + 5);
  const uint64_t got_idx = bytes::get_u64be(h + 13);
  const uint32_t raw_len = bytes::get_u32be(h + 21);
  const uint64_t sum = bytes::get_u64be(h + 25);
  if (got_ino != ino || got_idx != idx) {
    return corrupt(ino, idx, fmt::format("belongs to chunk {} of inode {}", got_idx, got_ino));
  }
  if (raw_len > max_raw) return corrupt(ino, idx, fmt::format("raw length {} too big", raw_len));
  std::string_view payload = value.substr(kChunkHeaderSize);

  std::string raw;
  if (flags == kChunkRaw) {
    if (payload.size() != raw_len) return corrupt(ino, idx, "payload length mismatch");
    raw.assign(payload);
  } else if (flags == kChunkLz4 || flags == kChunkLz4Settled) {
    // A compressed payload is never stored unless it was smaller than raw.
    if (payload.size() >= raw_len || payload.size() > static_cast<size_t>(LZ4_MAX_INPUT_SIZE)) {
      return corrupt(ino, idx, "compressed payload length mismatch");
    }
    raw.resize(raw_len);
    int n = LZ4_decompress_safe(payload.data(), raw.data(), static_cast<int>(payload.size()),
                                static_cast<int>(raw_len));
    if (n < 0 || static_cast<uint32_t>(n) != raw_len) {
      return corrupt(ino, idx, "LZ4 payload does not decode");
    }
  } else {
    return corrupt(ino, idx, fmt::format("unknown flags {}", flags));
  }
  if (XXH3_64bits(raw.data(), raw.size()) != sum) return corrupt(ino, idx, "checksum mismatch");
  return raw;
}

Result<std::optional<std::string>> settle_chunk(std::string_view value, Ino ino, uint64_t idx,
                                                uint32_t max_raw) {
  if (value.size() < kChunkHeaderSize) return corrupt(ino, idx, "header truncated");
  if (static_cast<uint8_t>(value[4]) != kChunkLz4) return std::optional<std::string>();
  auto raw = decode_chunk(value, ino, idx, max_raw);  // never settle what does not verify
  if (!raw) return raw.error();
  const size_t old_payload = value.size() - kChunkHeaderSize;
  std::string out(value.substr(0, kChunkHeaderSize));
  out[4] = static_cast<char>(kChunkLz4Settled);
  // Room for one byte less than today's payload: no gain, no rewrite of it.
  out.resize(kChunkHeaderSize + old_payload - 1);
  const int n = old_payload <= 1 ? 0
                                 : LZ4_compress_HC(raw->data(), out.data() + kChunkHeaderSize,
                                                   static_cast<int>(raw->size()),
                                                   static_cast<int>(old_payload - 1), kSettleLevel);
  if (n > 0) {
    out.resize(kChunkHeaderSize + static_cast<size_t>(n));
    // The old value is dropped once this one is stored: never trade it for
    // one that does not read back as the same bytes.
    auto back = decode_chunk(out, ino, idx, max_raw);
    if (!back || *back != *raw) return corrupt(ino, idx, "LZ4HC output does not read back");
  } else {
    out.resize(kChunkHeaderSize);
    out.append(value.substr(kChunkHeaderSize));  // LZ4HC did not beat it: marked settled as is
  }
  return std::optional<std::string>(std::move(out));
}

}  // namespace gcfs
