// The snapshot archive file format (gocachectl snapshot export/import).
//
//   header   196 bytes, fixed layout (so export can patch the entry count):
//            magic "GCFSARC1", version u32, chunk_size u32, created i64,
//            entries u64, logical u64, stored u64, files u64,
//            ns (u16 length + 64 bytes), go version (u16 length + 64 bytes),
//            xxh3 u64 of everything before it.
//   parts    each: tag "PART", flags u32 (0 raw, 1 LZ4), raw_len u32,
//            stored_len u32, records u32, check u64, then stored_len bytes.
//            check = XXH3_64(first 20 frame bytes, seed = XXH3_64(payload,
//            seed = part index)): binds frame fields, payload and position.
//            The raw bytes are records in key order: key_len u16, value_len
//            u32, key, value. At most kMaxPartRaw raw bytes per part.
//   trailer  tag "TRLR", parts u64, entries u64, raw_bytes u64, parts_check
//            u64 (XXH3_64 of every part check, BE, concatenated), check u64
//            (xxh3 of the trailer before it), then "GCFSEND1" and EOF.
// All numbers big-endian. Pure codecs here; no I/O, no RocksDB.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "store/result.hpp"

namespace gcfs::archive {

inline constexpr std::string_view kMagic = "GCFSARC1";
inline constexpr std::string_view kEndMagic = "GCFSEND1";
inline constexpr uint32_t kVersion = 1;
inline constexpr size_t kHeaderSize = 196;
inline constexpr size_t kFrameSize = 28;
inline constexpr size_t kTrailerSize = 4 + 8 * 5 + 8;
inline constexpr uint32_t kMaxPartRaw = 4u << 20;
inline constexpr uint32_t kMaxNameLen = 64;
inline constexpr uint32_t kFlagRaw = 0;
inline constexpr uint32_t kFlagLz4 = 1;

struct Header {
  uint32_t version = kVersion;
  uint32_t chunk_size = 0;
  int64_t created = 0;
  uint64_t entries = 0;
  uint64_t logical = 0;
  uint64_t stored = 0;
  uint64_t files = 0;
  std::string ns;
  std::string go_version;
};

struct Frame {
  uint32_t flags = 0;
  uint32_t raw_len = 0;
  uint32_t stored_len = 0;
  uint32_t records = 0;
  uint64_t check = 0;
};

struct Trailer {
  uint64_t parts = 0;
  uint64_t entries = 0;
  uint64_t raw_bytes = 0;
  uint64_t parts_check = 0;
};

std::string encode_header(const Header& h);
// corrupt / not_supported (version) with a one-line reason.
Result<Header> decode_header(std::string_view bytes);

// Builds a part from raw record bytes: LZ4 unless that does not shrink them.
std::string encode_part(uint64_t index, std::string_view raw, uint32_t records, uint64_t* check);
// Checks a frame's fields against the sane maxima (payload not yet read).
Result<Frame> decode_frame(std::string_view bytes);
// Verifies the check and decodes the payload into `raw`.
Status decode_payload(uint64_t index, std::string_view frame_bytes, const Frame& f,
                      std::string_view payload, std::string* raw);

std::string encode_trailer(const Trailer& t);
Result<Trailer> decode_trailer(std::string_view bytes);
bool is_trailer_tag(std::string_view four);

// Appends one record to a part's raw bytes.
void append_record(std::string& raw, std::string_view key, std::string_view value);

}  // namespace gcfs::archive
