// Inode record layout (all numbers big-endian):
//   version u8 (1), flags u8 (bit 0: chunked, bit 2: has `X` records), mode u32, nlink u32, uid
//   u32, gid u32, size u64, stored u64, {sec i64, nsec u32} x 3 (atime, mtime, ctime), parent u64,
//   [rdev u64 if flags bit 1], data_len u32, data, check u32 (low 32 bits of the XXH3-64 of
//   everything before it).
// rdev is written only when nonzero (a device), so every other record is
// byte for byte what the format was before devices; a record without the
// flag decodes as rdev 0. The same holds for the xattrs flag (bit 2).
// The check makes a garbled record fail loudly instead of yielding odd attrs.
#include "store/local/inode_record.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <xxhash.h>

#include "store/local/keys.hpp"

namespace gcfs {

namespace {

constexpr uint8_t kVersion = 1;
constexpr uint8_t kFlagChunked = 1;
constexpr uint8_t kFlagRdev = 2;
constexpr uint8_t kFlagXattrs = 4;
constexpr size_t kFixed = 1 + 1 + 4 * 4 + 8 * 2 + 12 * 3 + 8 + 4;  // up to the data, no rdev
constexpr size_t kRdev = 8;
constexpr size_t kCheck = 4;

void put_time(std::string& out, Timespec t) {
  keys::put_u64be(out, static_cast<uint64_t>(t.sec));
  keys::put_u32be(out, t.nsec);
}

Timespec get_time(const char* p) {
  return Timespec{static_cast<int64_t>(keys::get_u64be(p)), keys::get_u32be(p + 8)};
}

uint32_t check_of(std::string_view bytes) {
  return static_cast<uint32_t>(XXH3_64bits(bytes.data(), bytes.size()));
}

}  // namespace

bool InodeRecord::is_dir() const { return S_ISDIR(mode); }
bool InodeRecord::is_reg() const { return S_ISREG(mode); }
bool InodeRecord::is_symlink() const { return S_ISLNK(mode); }
bool InodeRecord::is_special() const {
  return S_ISFIFO(mode) || S_ISSOCK(mode) || S_ISCHR(mode) || S_ISBLK(mode);
}

Attr InodeRecord::to_attr(Ino ino) const {
  Attr a;
  a.ino = ino;
  a.mode = mode;
  a.nlink = nlink;
  a.uid = uid;
  a.gid = gid;
  a.size = size;
  a.stored = stored;
  a.rdev = rdev;
  a.atime = atime;
  a.mtime = mtime;
  a.ctime = ctime;
  return a;
}

std::string serialize_inode(const InodeRecord& rec) {
  std::string out;
  out.reserve(kFixed + kRdev + rec.data.size() + kCheck);
  out.push_back(static_cast<char>(kVersion));
  out.push_back(static_cast<char>((rec.chunked ? kFlagChunked : 0) |
                                  (rec.rdev != 0 ? kFlagRdev : 0) |
                                  (rec.xattrs ? kFlagXattrs : 0)));
  keys::put_u32be(out, rec.mode);
  keys::put_u32be(out, rec.nlink);
  keys::put_u32be(out, rec.uid);
  keys::put_u32be(out, rec.gid);
  keys::put_u64be(out, rec.size);
  keys::put_u64be(out, rec.stored);
  put_time(out, rec.atime);
  put_time(out, rec.mtime);
  put_time(out, rec.ctime);
  keys::put_u64be(out, rec.parent);
  if (rec.rdev != 0) keys::put_u64be(out, rec.rdev);
  keys::put_u32be(out, static_cast<uint32_t>(rec.data.size()));
  out.append(rec.data);
  keys::put_u32be(out, check_of(out));
  return out;
}

Result<InodeRecord> parse_inode(std::string_view v, Ino ino) {
  auto bad = [ino](std::string_view why) {
    return Error(Errc::corrupt, fmt::format("inode {}: record {}", ino, why));
  };
  if (v.size() < kFixed + kCheck) return bad("truncated");
  const char* p = v.data();
  if (static_cast<uint8_t>(p[0]) != kVersion) return bad("has an unknown version");
  const auto flags = static_cast<uint8_t>(p[1]);
  if ((flags & ~(kFlagChunked | kFlagRdev | kFlagXattrs)) != 0) return bad("has unknown flags");
  const size_t fixed = kFixed + ((flags & kFlagRdev) != 0 ? kRdev : 0);
  if (v.size() < fixed + kCheck) return bad("truncated");
  const uint32_t data_len = keys::get_u32be(p + fixed - 4);
  if (v.size() != fixed + data_len + kCheck) return bad("has a wrong length");
  if (keys::get_u32be(p + v.size() - kCheck) != check_of(v.substr(0, v.size() - kCheck))) {
    return bad("fails its check");
  }

  InodeRecord r;
  r.chunked = (flags & kFlagChunked) != 0;
  r.xattrs = (flags & kFlagXattrs) != 0;
  r.mode = keys::get_u32be(p + 2);
  r.nlink = keys::get_u32be(p + 6);
  r.uid = keys::get_u32be(p + 10);
  r.gid = keys::get_u32be(p + 14);
  r.size = keys::get_u64be(p + 18);
  r.stored = keys::get_u64be(p + 26);
  r.atime = get_time(p + 34);
  r.mtime = get_time(p + 46);
  r.ctime = get_time(p + 58);
  r.parent = keys::get_u64be(p + 70);
  if ((flags & kFlagRdev) != 0) r.rdev = keys::get_u64be(p + 78);
  r.data.assign(p + fixed, data_len);
  if (!r.is_dir() && !r.is_reg() && !r.is_symlink() && !r.is_special()) {
    return bad("has an unknown type");
  }
  if (r.rdev != 0 && !S_ISCHR(r.mode) && !S_ISBLK(r.mode)) return bad("has a device number");
  return r;
}

}  // namespace gcfs
