// Codecs of the archive format: see archive_format.hpp.
#include "store/archive/format.hpp"

#include <fmt/format.h>
#include <lz4.h>
#include <xxhash.h>

#include "store/local/keys.hpp"

namespace gcfs::archive {

namespace {

constexpr std::string_view kPartTag = "PART";
constexpr std::string_view kTrailerTag = "TRLR";

Error bad(std::string_view why) { return Error(Errc::corrupt, std::string(why)); }

void put_name(std::string& out, std::string_view s) {
  out.push_back(static_cast<char>((s.size() >> 8) & 0xff));
  out.push_back(static_cast<char>(s.size() & 0xff));
  std::string padded(s.substr(0, kMaxNameLen));
  padded.resize(kMaxNameLen, '\0');
  out.append(padded);
}

bool get_name(const char* p, std::string* out) {
  const size_t n = (static_cast<unsigned char>(p[0]) << 8) | static_cast<unsigned char>(p[1]);
  if (n > kMaxNameLen) return false;
  out->assign(p + 2, n);
  for (char c : *out) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) return false;
  }
  return true;
}

uint64_t frame_check(uint64_t index, std::string_view frame20, std::string_view payload) {
  const uint64_t inner = XXH3_64bits_withSeed(payload.data(), payload.size(), index);
  return XXH3_64bits_withSeed(frame20.data(), frame20.size(), inner);
}

void put_id(std::string& out, const ContentId& id) {
  keys::put_u64be(out, id.hi);
  keys::put_u64be(out, id.lo);
}

ContentId get_id(const char* p) { return {keys::get_u64be(p), keys::get_u64be(p + 8)}; }

}  // namespace

size_t header_size(uint32_t version) {
  return version == kVersionNoIds ? kHeaderSizeNoIds : kHeaderSize;
}

std::string ContentId::hex() const { return fmt::format("{:016x}{:016x}", hi, lo); }

ContentDigest::ContentDigest() : state_(XXH3_createState()) { XXH3_128bits_reset(state_); }
ContentDigest::~ContentDigest() { XXH3_freeState(state_); }

void ContentDigest::add(std::string_view key, std::string_view value) {
  std::string head;
  head.push_back(static_cast<char>((key.size() >> 8) & 0xff));
  head.push_back(static_cast<char>(key.size() & 0xff));
  keys::put_u32be(head, static_cast<uint32_t>(value.size()));
  XXH3_128bits_update(state_, head.data(), head.size());
  XXH3_128bits_update(state_, key.data(), key.size());
  XXH3_128bits_update(state_, value.data(), value.size());
}

ContentId ContentDigest::id() const {
  const XXH128_hash_t h = XXH3_128bits_digest(state_);
  ContentId id{h.high64, h.low64};
  if (id.none()) id.lo = 1;  // zero means "none"
  return id;
}

std::string encode_header(const Header& h) {
  std::string out(kMagic);
  keys::put_u32be(out, h.version);
  keys::put_u32be(out, h.chunk_size);
  keys::put_u64be(out, static_cast<uint64_t>(h.created));
  keys::put_u64be(out, h.entries);
  keys::put_u64be(out, h.logical);
  keys::put_u64be(out, h.stored);
  keys::put_u64be(out, h.files);
  put_name(out, h.ns);
  put_name(out, h.go_version);
  if (h.version != kVersionNoIds) {
    put_id(out, h.content);
    put_id(out, h.base);
  }
  keys::put_u64be(out, XXH3_64bits(out.data(), out.size()));
  return out;
}

Result<Header> decode_header(std::string_view b) {
  if (b.size() < kMagic.size() + 4) return bad("truncated header");
  if (b.substr(0, kMagic.size()) != kMagic) return bad("not a gocachefs archive (bad magic)");
  Header h;
  h.version = keys::get_u32be(b.data() + 8);
  if (h.version != kVersion && h.version != kVersionNoIds) {
    return Error(Errc::not_supported,
                 fmt::format("archive format version {}; this build reads {} and {}", h.version,
                             kVersionNoIds, kVersion));
  }
  const size_t size = header_size(h.version);
  if (b.size() < size) return bad("truncated header");
  if (keys::get_u64be(b.data() + size - 8) != XXH3_64bits(b.data(), size - 8)) {
    return bad("header checksum mismatch");
  }
  const char* p = b.data() + 12;
  h.chunk_size = keys::get_u32be(p);
  h.created = static_cast<int64_t>(keys::get_u64be(p + 4));
  h.entries = keys::get_u64be(p + 12);
  h.logical = keys::get_u64be(p + 20);
  h.stored = keys::get_u64be(p + 28);
  h.files = keys::get_u64be(p + 36);
  if (!get_name(p + 44, &h.ns) || !get_name(p + 44 + 2 + kMaxNameLen, &h.go_version)) {
    return bad("header has a malformed name");
  }
  if (h.version != kVersionNoIds) {
    const char* ids = p + 44 + 2 * (2 + kMaxNameLen);
    h.content = get_id(ids);
    h.base = get_id(ids + 16);
    if (h.content.none()) return bad("header has no content id");
  }
  return h;
}

std::string encode_part(uint64_t index, std::string_view raw, uint32_t records, uint64_t* check) {
  std::string payload(static_cast<size_t>(LZ4_compressBound(static_cast<int>(raw.size()))), '\0');
  int n = LZ4_compress_default(raw.data(), payload.data(), static_cast<int>(raw.size()),
                               static_cast<int>(payload.size()));
  uint32_t flags = kFlagLz4;
  if (n <= 0 || static_cast<size_t>(n) >= raw.size()) {
    payload.assign(raw);  // chunks are LZ4 already: most parts do not shrink
    flags = kFlagRaw;
  } else {
    payload.resize(static_cast<size_t>(n));
  }
  std::string out(kPartTag);
  keys::put_u32be(out, flags);
  keys::put_u32be(out, static_cast<uint32_t>(raw.size()));
  keys::put_u32be(out, static_cast<uint32_t>(payload.size()));
  keys::put_u32be(out, records);
  *check = frame_check(index, out, payload);
  keys::put_u64be(out, *check);
  out.append(payload);
  return out;
}

bool is_trailer_tag(std::string_view four) { return four == kTrailerTag; }

Result<Frame> decode_frame(std::string_view b) {
  if (b.size() < kFrameSize) return bad("truncated part header");
  if (b.substr(0, 4) != kPartTag) return bad("bad part tag");
  Frame f;
  f.flags = keys::get_u32be(b.data() + 4);
  f.raw_len = keys::get_u32be(b.data() + 8);
  f.stored_len = keys::get_u32be(b.data() + 12);
  f.records = keys::get_u32be(b.data() + 16);
  f.check = keys::get_u64be(b.data() + 20);
  if (f.flags != kFlagRaw && f.flags != kFlagLz4) return bad("part has unknown flags");
  if (f.raw_len == 0 || f.raw_len > kMaxPartRaw) return bad("part size out of range");
  if (f.flags == kFlagRaw && f.stored_len != f.raw_len) return bad("raw part length mismatch");
  if (f.flags == kFlagLz4 && f.stored_len >= f.raw_len) return bad("LZ4 part length mismatch");
  if (f.records == 0 || f.records > f.raw_len / 6) return bad("part record count out of range");
  return f;
}

Status decode_payload(uint64_t index, std::string_view frame_bytes, const Frame& f,
                      std::string_view payload, std::string* raw) {
  if (payload.size() != f.stored_len) return bad("truncated part");
  if (frame_check(index, frame_bytes.substr(0, 20), payload) != f.check) {
    return bad(fmt::format("part {} checksum mismatch", index));
  }
  if (f.flags == kFlagRaw) {
    raw->assign(payload);
    return Status::ok();
  }
  raw->resize(f.raw_len);
  int n = LZ4_decompress_safe(payload.data(), raw->data(), static_cast<int>(payload.size()),
                              static_cast<int>(f.raw_len));
  if (n < 0 || static_cast<uint32_t>(n) != f.raw_len) {
    return bad(fmt::format("part {} does not decompress", index));
  }
  return Status::ok();
}

std::string encode_trailer(const Trailer& t) {
  std::string out(kTrailerTag);
  keys::put_u64be(out, t.parts);
  keys::put_u64be(out, t.entries);
  keys::put_u64be(out, t.raw_bytes);
  keys::put_u64be(out, t.parts_check);
  keys::put_u64be(out, XXH3_64bits(out.data(), out.size()));
  out.append(kEndMagic);
  return out;
}

Result<Trailer> decode_trailer(std::string_view b) {
  if (b.size() < kTrailerSize) return bad("truncated trailer");
  if (b.substr(0, 4) != kTrailerTag) return bad("bad trailer tag");
  if (keys::get_u64be(b.data() + 36) != XXH3_64bits(b.data(), 36)) {
    return bad("trailer checksum mismatch");
  }
  if (b.substr(44, 8) != kEndMagic) return bad("bad end marker");
  return Trailer{keys::get_u64be(b.data() + 4), keys::get_u64be(b.data() + 12),
                 keys::get_u64be(b.data() + 20), keys::get_u64be(b.data() + 28)};
}

void append_record(std::string& raw, std::string_view key, std::string_view value) {
  raw.push_back(static_cast<char>((key.size() >> 8) & 0xff));
  raw.push_back(static_cast<char>(key.size() & 0xff));
  keys::put_u32be(raw, static_cast<uint32_t>(value.size()));
  raw.append(key);
  raw.append(value);
}

void append_deletion(std::string& raw, std::string_view key) {
  raw.push_back(static_cast<char>((key.size() >> 8) & 0xff));
  raw.push_back(static_cast<char>(key.size() & 0xff));
  keys::put_u32be(raw, kDeleted);
  raw.append(key);
}

}  // namespace gcfs::archive
