// The format of one Redis value. A 32-byte header, then the payload:
//   magic   u32 BE  "GCR1"
//   schema  u8      kSchema
//   type    u8      0 object (a whole entry), 1 manifest, 2 piece
//   codec   u8      0 raw payload, 1 store chunks
//   flags   u8      0
//   key     u64 BE  XXH3-64 of the Redis key the value was written under
//   raw_len u64 BE  length of the decoded bytes
//   xxh3    u64 BE  XXH3-64 of the decoded bytes
// The key field binds a value to its key: a value copied (or a piece
// swapped) under another key fails verification instead of being served.
// Codec "store chunks" is the local store's own chunk encoding
// (store/chunk.hpp: LZ4 or raw per chunk, each with its own length and
// XXH3), so chunks the store already compressed are sent as they are:
//   ino u64 BE, first chunk index u64 BE, then per chunk: u32 BE length +
//   the chunk, which must be chunk first+i of that ino.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/remote/fault.hpp"

namespace gcfs::remote {

inline constexpr uint32_t kValueMagic = 0x47435231;  // "GCR1"
inline constexpr size_t kValueHeaderSize = 32;

enum class ValueType : uint8_t { object = 0, manifest = 1, piece = 2 };
enum class Codec : uint8_t { raw = 0, chunks = 1 };

// Raw payload (manifests).
std::string encode_raw_value(ValueType type, std::string_view key, std::string_view raw);

// Compresses `raw` once, in store chunks of `block_size` bytes.
std::string encode_value(ValueType type, std::string_view key, std::string_view raw,
                         uint32_t block_size);

// Wraps chunks the store encoded (chunk first_idx+i of `ino`), unchanged;
// `raw_len` and `xxh3` describe their decoded bytes (checked on decode).
std::string wrap_chunks(ValueType type, std::string_view key, uint64_t ino, uint64_t first_idx,
                        const std::vector<std::string_view>& chunks, uint64_t raw_len,
                        uint64_t xxh3);

// The type a value claims, after checking magic and schema only.
Outcome<ValueType> peek_type(std::string_view value);

// Verifies and decodes a value read from `key`: magic, schema, type, key,
// length (at most max_raw) and checksum. Any mismatch: Fault::corrupt.
Outcome<std::string> decode_value(std::string_view value, ValueType type, std::string_view key,
                                  uint64_t max_raw);

}  // namespace gcfs::remote
