// Plain value types of the space policy: what the store reports about its
// footprint (per namespace and in total), what a compaction request asks,
// and the least-recently-used index of files. No backend types here; the
// exact meaning of every figure is in docs/space.md.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "store/types.hpp"

namespace gcfs {

// One block: an SST file of a namespace's column family.
struct BlockInfo {
  std::string name;  // file name in the store directory, e.g. "000123.sst"
  int level = 0;     // LSM level (0 = freshest)
  uint64_t bytes = 0;
  uint64_t entries = 0;    // records, tombstones included
  uint64_t deletions = 0;  // tombstones
  uint64_t put_bytes = 0;  // raw key + value bytes of the non-tombstone records
  // Estimated live bytes / bytes (docs/space.md, "Block occupancy").
  double occupancy = 1.0;
  // Opaque key range of the file (for a ranged compaction).
  std::string smallest, largest;
};

// Block occupancy histogram: blocks per tenth, [0,0.1) ... [0.9,1.0].
using OccupancyHistogram = std::array<uint64_t, 10>;

struct SpaceStats {
  uint64_t logical_bytes = 0;   // inline counter (files' sizes)
  uint64_t stored_bytes = 0;    // inline counter (file data after LZ4)
  uint64_t live_bytes = 0;      // inline counter (key + value bytes of live records)
  uint64_t sst_bytes = 0;       // SST (and blob) files of the family/families
  uint64_t wal_bytes = 0;       // share of the write-ahead log (on-disk blocks)
  uint64_t physical_bytes = 0;  // sst_bytes + wal_bytes (total: du of the store)
  uint64_t memtable_bytes = 0;  // unflushed data in memory (covered by the WAL)
  // live / physical; 1 when nothing is on disk.
  double occupancy() const {
    return physical_bytes == 0 ? 1.0 : static_cast<double>(live_bytes) / physical_bytes;
  }
  OccupancyHistogram histogram{};
  std::vector<BlockInfo> blocks;  // filled per namespace, empty in the total
};

struct NsSpace {
  NsId id = 0;
  std::string name;
  SpaceStats stats;
};

struct StoreSpace {
  std::vector<NsSpace> namespaces;
  // Sums over the namespaces, except physical_bytes: every file of the store
  // directory in on-disk blocks, as `du` counts them (registry family,
  // MANIFEST, OPTIONS and logs included).
  SpaceStats total;
};

// Bucket of an occupancy in the histogram.
inline size_t histogram_bucket(double occupancy) {
  if (occupancy <= 0) return 0;
  if (occupancy >= 1) return 9;
  return static_cast<size_t>(occupancy * 10);
}

struct CompactRequest {
  // Background: throttled I/O, yields to flushes and other compactions.
  // Otherwise (urgent) at full speed.
  bool low_priority = true;
  // Key ranges [first, second] to rewrite (from BlockInfo); empty: the
  // whole family of the namespace.
  std::vector<std::pair<std::string, std::string>> ranges;
  // Set to true to stop early (at the next file boundary).
  std::atomic<bool>* cancel = nullptr;
};

// Settling: file data that stopped changing is recompressed with LZ4HC
// (store/codec/chunk.hpp), in the background, while nothing writes.
struct SettleRequest {
  // Set to true to stop early (at the next file).
  std::atomic<bool>* cancel = nullptr;
  // Stop at the next file when anything else wrote to the store since the
  // pass began (a build started): settling is for idle stores.
  bool stop_when_busy = true;
  // The store's write sequence when the caller saw it idle: the pass does
  // nothing if anything was written since. 0: the current one.
  uint64_t from_sequence = 0;
  // The time of the pass's start, on the clock of the writes' ctimes. Files
  // changed (ctime) a second or more before an earlier complete pass's `now`
  // are not looked at again; zero: look at every file.
  Timespec now{};
};

struct SettleResult {
  uint64_t files = 0;         // files rewritten
  uint64_t chunks = 0;        // chunk values rewritten (inline data counts one)
  uint64_t bytes_before = 0;  // their stored bytes before
  uint64_t bytes_after = 0;   // and after
  // Every file of the namespace was looked at; false when stopped early
  // (cancel, or a writer came: the rest is left for a later pass).
  bool complete = false;
  // The write sequence after the pass's own last write, with nothing else
  // written in between (what the next namespace's pass starts from).
  uint64_t sequence = 0;
  // Key ranges that hold the replaced values, for a compaction to give their
  // space back (CompactRequest::ranges); empty when nothing was rewritten.
  std::vector<std::pair<std::string, std::string>> ranges;
};

// A use of a file seen by the FUSE layer. `name` and `parent` are known for
// lookups (parent 0 / empty name otherwise: keep what the index has).
struct FileUse {
  Ino ino = 0;
  Ino parent = 0;
  std::string name;
  int64_t time_ns = 0;  // wall clock of the use, ns since the epoch
  // An mtime the user set: becomes the last use even if it is older.
  bool from_mtime = false;
};

// A directory entry: its directory and its name.
struct EntryName {
  Ino parent = 0;
  std::string name;
  bool operator==(const EntryName&) const = default;
};

// What Store::unlink_if_unused did.
enum class UnlinkIf {
  unlinked,  // the entry went; its inode is an orphan now
  changed,   // the name is gone or names another inode: nothing done
  used,      // used at or after the cutoff: nothing done
};

// One entry of the least-recently-used index of a namespace.
struct LruEntry {
  Ino ino = 0;
  Ino parent = 0;
  std::string name;
  int64_t last_use_ns = 0;
};

}  // namespace gcfs
