// Uses of files seen by the FUSE layer (lookup, open, getattr, setattr of
// mtime), collected in memory so the hot path never writes to the store.
// The space worker drains them every few seconds into the store's
// least-recently-used index (Store::record_uses) in one batch per namespace.
//
// Sharded by inode so concurrent requests rarely contend; one entry per file
// between drains, so memory is bounded by the files used in that interval.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "store/space.hpp"

namespace gcfs::policy {

// What drain() hands over for one namespace.
struct DrainedUses {
  std::vector<FileUse> uses;
  // Go action entries (-a) among them, with the time of their use: their
  // outputs count as used too (SpaceManager::note_action_uses).
  std::vector<std::pair<Ino, int64_t>> actions;
};

class UseTracker {
 public:
  // A use now; `parent`/`name` when known (lookups), else 0 / "". `action`:
  // the file is a Go action entry.
  void record(NsId ns, Ino ino, Ino parent = 0, std::string_view name = {}, bool action = false);
  // The user set the file's mtime: that becomes its last use.
  void record_mtime(NsId ns, Ino ino, Timespec mtime);
  // Takes everything recorded so far, grouped by namespace.
  std::map<NsId, DrainedUses> drain();
  // Whether a use of the file was recorded since the last drain (eviction
  // checks it: the index does not have it yet).
  bool pending(NsId ns, Ino ino);

 private:
  struct Tracked {
    NsId ns = 0;
    FileUse use;
    bool action = false;
  };
  struct Shard {
    std::mutex mu;
    std::unordered_map<uint64_t, Tracked> uses;  // guarded by mu
  };
  static uint64_t key_of(NsId ns, Ino ino) { return (uint64_t{ns} << 48) | ino; }
  Shard& shard_of(uint64_t key) { return shards_[(key ^ (key >> 17)) % kShards]; }
  void put(NsId ns, FileUse use, bool action);
  static constexpr size_t kShards = 16;
  std::array<Shard, kShards> shards_;
};

}  // namespace gcfs::policy
