// Key encoding for the RocksDB schema of docs/design.md.
//
// Numbers in keys are fixed-width big-endian so that a directory's entries
// and a file's chunks sort contiguously (prefix scans, range deletes).
// Counter values are little-endian u64, as the merge operator adds them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/codec/bytes.hpp"
#include "store/types.hpp"

namespace gcfs::keys {

// ---- byte helpers (store/codec/bytes.hpp) -----------------------------------
using bytes::get_u32be;
using bytes::get_u32le;
using bytes::get_u64be;
using bytes::get_u64le;
using bytes::put_u32be;
using bytes::put_u32le;
using bytes::put_u64be;
using bytes::put_u64le;

// Stable readdir offset of a name: (XXH3_64(name) >> 2) + 3, so cookies are
// >= 3 (0..2 are left for the start, "." and "..") and fit in 63 bits.
uint64_t dentry_cookie(std::string_view name);

// ---- registry (default family) ----------------------------------------------
inline constexpr std::string_view kNextNs = "next_ns";
inline constexpr std::string_view kFormat = "format";
std::string ns_by_name(std::string_view name);  // 'n' + name -> id (u32 BE)
std::string ns_by_id(NsId id);                  // 'i' + id (u32 BE) -> name
inline constexpr char kNsByNameTag = 'n';
inline constexpr char kNsByIdTag = 'i';
// The snapshot registry: 's' + name -> snapshot record (snapshot_record.hpp).
inline constexpr char kSnapshotTag = 's';
// Column family name of a namespace, and its inverse (nullopt if not one).
std::string family_name(NsId id);
std::optional<NsId> parse_family_name(std::string_view family);

// ---- namespace family ---------------------------------------------------------
inline constexpr char kInodeTag = 'I';
inline constexpr char kDentryTag = 'D';
inline constexpr char kChunkTag = 'C';
inline constexpr char kMapTag = 'M';
inline constexpr char kOrphanTag = 'O';
inline constexpr char kCounterTag = 'S';
inline constexpr std::string_view kNextIno = "N";
// The least-recently-used index (written by rocks_lru.cpp): `L` + last use
// (u64 BE, ns) + ino (u64 BE) -> parent (u64 BE) + name; `U` + ino -> last
// use (u64 BE).
inline constexpr char kLruTag = 'L';
inline constexpr char kUseTag = 'U';
// Extended attributes: `X` + ino (u64 BE) + name -> value. Only an inode
// whose record has the xattrs flag has any (inode_record.hpp).
inline constexpr char kXattrTag = 'X';
// The names of an inode with more than one link (hard links): `K` + ino (u64
// BE) + parent (u64 BE) + name -> empty, one per name, while nlink >= 2.
// Lookups never read it; unlink, rename and eviction find the other names.
inline constexpr char kLinkTag = 'K';

std::string inode(Ino ino);
std::string dentry(Ino parent, uint64_t cookie, std::string_view name);
// All entries of `parent`; with a cookie, the entries from that cookie on.
std::string dentry_prefix(Ino parent);
std::string dentry_from(Ino parent, uint64_t cookie);
std::string chunk(Ino ino, uint64_t idx);
std::string chunk_map(Ino ino);
std::string orphan(Ino ino);
std::string counter(std::string_view name);
std::string lru(int64_t time_ns, Ino ino);
std::string use(Ino ino);
std::string xattr(Ino ino, std::string_view name);
std::string xattr_prefix(Ino ino);  // every attribute of `ino`
std::string link_name(Ino ino, Ino parent, std::string_view name);
std::string link_prefix(Ino ino);  // every name of `ino`

// Smallest key greater than every key starting with `prefix`: the last byte
// incremented, carrying over 0xff bytes (empty when there is none).
std::string prefix_end(std::string_view prefix);

struct DentryKey {
  Ino parent = 0;
  uint64_t cookie = 0;
  std::string_view name;  // points into the parsed key
};
std::optional<DentryKey> parse_dentry(std::string_view key);

// Dentry value: child ino (u64 BE) + type bits (u32 BE).
inline constexpr size_t kDentryValueSize = 12;
std::string dentry_value(Ino child, uint32_t type);
struct DentryValue {
  Ino ino = 0;
  uint32_t type = 0;
};
std::optional<DentryValue> parse_dentry_value(std::string_view value);

// Ino of an `I`, `M`, `O` key or of a `C` key (with its index).
std::optional<Ino> parse_ino_key(std::string_view key, char tag);
struct ChunkKey {
  Ino ino = 0;
  uint64_t idx = 0;
};
std::optional<ChunkKey> parse_chunk_key(std::string_view key);
struct LruKey {
  int64_t time_ns = 0;
  Ino ino = 0;
};
std::optional<LruKey> parse_lru_key(std::string_view key);
struct XattrKey {
  Ino ino = 0;
  std::string_view name;  // points into the parsed key
};
std::optional<XattrKey> parse_xattr_key(std::string_view key);
struct LinkKey {
  Ino ino = 0;
  Ino parent = 0;
  std::string_view name;  // points into the parsed key
};
std::optional<LinkKey> parse_link_key(std::string_view key);

}  // namespace gcfs::keys
