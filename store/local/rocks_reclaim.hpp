// Reclaims disk space when a write was refused for lack of it: data deleted
// since (unlinked files) stays on disk until a compaction drops it, so one
// background thread compacts the namespaces that hold deleted data. The
// compaction itself refuses to start without room for its output
// (RocksStore::compact): one that met the full disk half-way would stop
// every write, deletions included.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

#include "store/background_loop.hpp"
#include "store/result.hpp"
#include "store/types.hpp"

namespace gcfs {

class SpaceReclaimer {
 public:
  struct Family {
    NsId ns = 0;
    uint64_t sst_bytes = 0;   // on disk in SST files
    uint64_t live_bytes = 0;  // of which live: the rest a compaction drops
  };
  using Families = std::function<std::vector<Family>()>;
  // Compacts a namespace; stops early once *cancel is true (shutdown).
  using Compact = std::function<Status(NsId, std::atomic<bool>* cancel)>;
  SpaceReclaimer(Families families, Compact compact);
  ~SpaceReclaimer();  // stops and joins: call before the DB closes
  // Asks for a run; coalesces requests and runs at most every few seconds.
  void request();

 private:
  void run();
  Families families_;
  Compact compact_;
  std::atomic<bool> cancel_{false};  // set at the destructor: ends a compaction early
  BackgroundLoop loop_;              // last: stops before the state it uses goes
};

}  // namespace gcfs
