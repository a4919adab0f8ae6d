// Encoding of one chunk of file data (also used for inline data and symlink
// targets, as chunk 0 of their inode).
//
// A chunk value is a header then the payload:
//   magic   u32 BE  "GCC1"
//   flags   u8      0 = raw payload, 1 = LZ4 block
//   ino     u64 BE  owning inode
//   idx     u64 BE  chunk index in the file
//   raw_len u32 BE  length of the raw (decoded) bytes
//   xxh3    u64 BE  XXH3-64 of the raw bytes
// Decoding checks every field against what the caller expects, so bytes of
// another file, another position or a damaged value are never served.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "store/result.hpp"
#include "store/types.hpp"

namespace gcfs {

constexpr uint32_t kChunkMagic = 0x47434331;  // "GCC1"
constexpr size_t kChunkHeaderSize = 4 + 1 + 8 + 8 + 4 + 8;
constexpr uint8_t kChunkRaw = 0;
constexpr uint8_t kChunkLz4 = 1;

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

// Raw length recorded in a chunk header, without verifying the payload
// (corrupt when the value is too short to hold a header).
Result<uint32_t> chunk_raw_len(std::string_view value);

}  // namespace gcfs
