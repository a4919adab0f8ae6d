// The manifest of an object stored in pieces: what a reader needs to fetch
// and check them. Stored raw (value type manifest) under the object's key,
// written only after every piece is: a reader that finds a manifest whose
// piece is missing (evicted) has a miss, never a partial object.
//   total   u64 BE  object length
//   xxh3    u64 BE  XXH3-64 of the whole object (also names its piece keys)
//   count   u32 BE  number of pieces
//   lens    u32 BE  decoded length of each piece
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/remote/fault.hpp"

namespace gcfs::remote {

struct Manifest {
  uint64_t total = 0;
  uint64_t xxh3 = 0;
  std::vector<uint32_t> piece_lens;
};

std::string encode_manifest(const Manifest& m);
// Checks the shape: lengths add up to total, no empty piece, at most
// `max_total` bytes.
Outcome<Manifest> decode_manifest(std::string_view payload, uint64_t max_total);

// Pieces of `piece_size` bytes (the last one shorter) for `total` bytes.
std::vector<uint32_t> plan_pieces(uint64_t total, uint32_t piece_size);

}  // namespace gcfs::remote
