// The snapshot archive file format (gocachectl snapshot export/import).
//
//   header   228 bytes, fixed layout (so export can patch the entry count):
//            magic "GCFSARC1", version u32, chunk_size u32, created i64,
//            entries u64, logical u64, stored u64, files u64,
//            ns (u16 length + 64 bytes), go version (u16 length + 64 bytes),
//            content id (16 bytes), base id (16 bytes, zero in a full
//            archive), xxh3 u64 of everything before it. Version 1 (still
//            read) has no ids: 196 bytes.
//   parts    each: tag "PART", flags u32 (0 raw, 1 LZ4), raw_len u32,
//            stored_len u32, records u32, check u64, then stored_len bytes.
//            check = XXH3_64(first 20 frame bytes, seed = XXH3_64(payload,
//            seed = part index)): binds frame fields, payload and position.
//            The raw bytes are records in key order: key_len u16, value_len
//            u32, key, value. At most kMaxPartRaw raw bytes per part. In a
//            delta, value_len kDeleted (and no value) removes the key.
//   trailer  tag "TRLR", parts u64, entries u64, raw_bytes u64, parts_check
//            u64 (XXH3_64 of every part check, BE, concatenated), check u64
//            (xxh3 of the trailer before it), then "GCFSEND1" and EOF.
// The content id is XXH3-128 over the records of the whole family (a full
// archive's raw record bytes, concatenated): a delta names the content it
// applies to and the content it makes, so a restore can refuse a delta of
// another base and check the composed result.
// All numbers big-endian. Pure codecs here; no I/O, no RocksDB.
#pragma once

#include <xxhash.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "store/result.hpp"

namespace gcfs::archive {

inline constexpr std::string_view kMagic = "GCFSARC1";
inline constexpr std::string_view kEndMagic = "GCFSEND1";
inline constexpr uint32_t kVersion = 2;
inline constexpr uint32_t kVersionNoIds = 1;
inline constexpr size_t kHeaderSize = 228;
inline constexpr size_t kHeaderSizeNoIds = 196;
size_t header_size(uint32_t version);
inline constexpr size_t kFrameSize = 28;
inline constexpr size_t kTrailerSize = 4 + 8 * 5 + 8;
inline constexpr uint32_t kMaxPartRaw = 4u << 20;
inline constexpr uint32_t kMaxNameLen = 64;
inline constexpr uint32_t kFlagRaw = 0;
inline constexpr uint32_t kFlagLz4 = 1;
inline constexpr uint32_t kDeleted = 0xffffffffu;  // value_len of a deletion (deltas only)

// 128-bit content id; zero = none (a full archive's base, a version 1 file).
struct ContentId {
  uint64_t hi = 0;
  uint64_t lo = 0;
  bool none() const { return hi == 0 && lo == 0; }
  bool operator==(const ContentId&) const = default;
  std::string hex() const;  // 32 hex digits
};

// The content id of a family, fed its records in key order.
class ContentDigest {
 public:
  ContentDigest();
  ~ContentDigest();
  ContentDigest(const ContentDigest&) = delete;
  ContentDigest& operator=(const ContentDigest&) = delete;
  void add(std::string_view key, std::string_view value);
  ContentId id() const;

 private:
  XXH3_state_t* state_;
};

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
  ContentId content;  // the family's records after this archive (none: version 1)
  ContentId base;     // a delta's: the records it applies to; none: a full archive
  bool delta() const { return !base.none(); }
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

// Appends one record (a deletion: key only) to a part's raw bytes.
void append_record(std::string& raw, std::string_view key, std::string_view value);
void append_deletion(std::string& raw, std::string_view key);

}  // namespace gcfs::archive
