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

namespace gcfs::fusefs {

class UseTracker {
 public:
  // A use now; `parent`/`name` when known (lookups), else 0 / "".
  void record(NsId ns, Ino ino, Ino parent = 0, std::string_view name = {});
  // The user set the file's mtime: that becomes its last use.
  void record_mtime(NsId ns, Ino ino, Timespec mtime);
  // Takes everything recorded so far, grouped by namespace.
  std::map<NsId, std::vector<FileUse>> drain();

 private:
  struct Shard {
    std::mutex mu;
    std::unordered_map<uint64_t, std::pair<NsId, FileUse>> uses;  // guarded by mu
  };
  void put(NsId ns, FileUse use);
  static constexpr size_t kShards = 16;
  std::array<Shard, kShards> shards_;
};

}  // namespace gcfs::fusefs
