// Plain value types shared by the store and its callers. No backend types here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace gcfs {

// Namespace ids are allocated from a counter and never reused, so a dropped
// and recreated namespace never aliases an old one. Fit in 16 bits so that
// fusefs can pack (namespace, inode) into one 64-bit FUSE inode number.
using NsId = uint32_t;
constexpr NsId kMaxNsId = 0xffff;

// Inode numbers are local to a namespace, allocated from a per-namespace
// counter and never reused. Fit in 48 bits.
using Ino = uint64_t;
constexpr Ino kRootIno = 1;
constexpr Ino kMaxIno = (Ino{1} << 48) - 1;

struct Timespec {
  int64_t sec = 0;
  uint32_t nsec = 0;
  friend bool operator==(const Timespec&, const Timespec&) = default;
};

struct Credentials {
  uint32_t uid = 0;
  uint32_t gid = 0;
};

// Attributes of an inode as the store keeps them. `size` is the logical
// (uncompressed) size; `stored` is what its data takes in the store.
struct Attr {
  Ino ino = 0;
  uint32_t mode = 0;  // includes the S_IFMT type bits
  uint32_t nlink = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t size = 0;
  uint64_t stored = 0;
  uint64_t rdev = 0;  // device number of a character or block device, else 0
  Timespec atime, mtime, ctime;
};

// A setattr request: only the fields that are set change. Times are already
// resolved (UTIME_NOW is turned into the current time by the caller). A
// change of anything also sets ctime to `now`.
struct SetAttr {
  std::optional<uint32_t> mode;  // permission bits only; the type is kept
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
  std::optional<uint64_t> size;  // truncate or extend (regular files only)
  std::optional<Timespec> atime;
  std::optional<Timespec> mtime;
  Timespec now;
};

// One directory entry. `cookie` is the stable readdir offset of this entry:
// derived from a hash of the name, so it does not move when other entries
// are added or removed. Cookies are >= 3 (1 and 2 are left for "." and "..").
struct DirEntry {
  std::string name;
  Ino ino = 0;
  uint32_t mode = 0;  // the S_IFMT type bits of the child
  uint64_t cookie = 0;
};

struct NsInfo {
  NsId id = 0;
  std::string name;
};

// Exact per-namespace accounting, maintained inline in the same atomic batch
// as every mutation.
struct NsStats {
  // Named non-directory, non-symlink inodes (orphans excluded): regular files
  // and the special files (fifos, sockets, devices), which hold no data.
  uint64_t files = 0;
  uint64_t dirs = 0;  // directories, the namespace root included
  uint64_t symlinks = 0;
  uint64_t logical_bytes = 0;  // sum of regular files' sizes, orphans included
  uint64_t stored_bytes = 0;   // bytes of file data as stored (after LZ4), orphans included
  uint64_t orphans = 0;        // unlinked inodes kept alive for open handles
  // Key + value bytes of every live record of the namespace (the `S`
  // counters and the `N` inode counter excepted): what a fully compacted
  // family would hold, before SST overhead. See docs/space.md.
  uint64_t live_bytes = 0;
  friend bool operator==(const NsStats&, const NsStats&) = default;
};

// The store's footprint and the room left on its disk, for statfs.
struct StoreUsage {
  uint64_t physical_bytes = 0;  // files of the store on disk
  uint64_t disk_total_bytes = 0;
  uint64_t disk_free_bytes = 0;  // available to the store's process
  uint64_t inodes = 0;           // files + dirs + symlinks over all namespaces
};

}  // namespace gcfs
