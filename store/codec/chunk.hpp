// Encoding of one chunk of file data (also used for inline data and symlink
// targets, as chunk 0 of their inode).
//
// A chunk value is a header then the payload:
//   magic   u32 BE  "GCC1"
//   flags   u8      0 = raw payload, 1 = LZ4 block, 2 = LZ4 block settled
//                   (recompressed by LZ4HC once the data stopped changing:
//                   the same block format, read by the same decoder)
//   ino     u64 BE  owning inode
//   idx     u64 BE  chunk index in the file
//   raw_len u32 BE  length of the raw (decoded) bytes
//   xxh3    u64 BE  XXH3-64 of the raw bytes
// Decoding checks every field against what the caller expects, so bytes of
// another file, another position or a damaged value are never served.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/result.hpp"
#include "store/types.hpp"

namespace gcfs {

constexpr uint32_t kChunkMagic = 0x47434331;  // "GCC1"
constexpr size_t kChunkHeaderSize = 4 + 1 + 8 + 8 + 4 + 8;
constexpr uint8_t kChunkRaw = 0;
constexpr uint8_t kChunkLz4 = 1;
constexpr uint8_t kChunkLz4Settled = 2;
// LZ4HC level of settled chunks: on a Go cache level 4 keeps 97% of level
// 9's saving at three times its speed (bench/codecs.py, README).
constexpr int kSettleLevel = 4;

// Compresses with LZ4 unless that saves less than 1/32 of the raw size.
std::string encode_chunk(Ino ino, uint64_t idx, std::string_view raw);

// Rewrites the owning inode of an encoded chunk: a chunk is compressed
// before the inode number it will belong to is allocated (under the
// namespace's lock). The checksum covers the raw bytes only.
void set_chunk_ino(std::string& value, Ino ino);

// Verifies and decodes a chunk value expected to hold chunk `idx` of `ino`,
// at most `max_raw` bytes. Errc::corrupt (message naming ino/idx) on any
// mismatch.
Result<std::string> decode_chunk(std::string_view value, Ino ino, uint64_t idx,
                                 uint32_t max_raw = UINT32_MAX);

// Settles a chunk value written by encode_chunk: an LZ4 block (flag 1)
// becomes flag 2, its payload recompressed with LZ4HC when that is smaller.
// nullopt for a raw or already settled chunk (nothing to do); Errc::corrupt
// when the value does not verify as chunk `idx` of `ino` (left alone).
Result<std::optional<std::string>> settle_chunk(std::string_view value, Ino ino, uint64_t idx,
                                                uint32_t max_raw = UINT32_MAX);

// Raw length recorded in a chunk header, without verifying the payload
// (corrupt when the value is too short to hold a header).
Result<uint32_t> chunk_raw_len(std::string_view value);

}  // namespace gcfs
