// The daemon's background space threads. One persists file uses into the
// store's LRU index and enforces the size limits (woken at once by a commit,
// else every `use_interval`); the other runs compaction rounds every
// `compaction_interval`. Neither holds a FUSE lock while the store works;
// evicted entries are dropped from the kernel's view from these threads,
// never from inside a FUSE request. The compaction thread also flushes the
// memtables of a store that has been idle for 30 s (policy/rules/idle_flush.hpp)
// and, once it has been idle for `settle_after`, settles its file data
// (policy/rules/settle.hpp) at the lowest CPU priority.
#pragma once

#include <atomic>
#include <chrono>

#include "policy/rules/idle_flush.hpp"
#include "policy/rules/settle.hpp"
#include "policy/runtime/space_manager.hpp"
#include "policy/runtime/use_tracker.hpp"
#include "store/background_loop.hpp"

namespace gcfs::policy {

struct SpaceWorkerOptions {
  // Default: 2 s.
  std::chrono::milliseconds use_interval{2000};
  // Default: 5 s.
  std::chrono::milliseconds compaction_interval{5000};
  // Memtables are flushed once the write-ahead log has not changed for this
  // long (checked every compaction_interval). Default: 30 s.
  std::chrono::milliseconds idle_flush_after{30000};
  // File data is recompressed once nothing has been written for this long
  // (zero: never). Default: 60 s.
  std::chrono::milliseconds settle_after{60000};
};

class SpaceWorker {
 public:
  SpaceWorker(Store& store, SpaceManager& manager, UseTracker& uses, SpaceWorkerOptions options);
  ~SpaceWorker();
  SpaceWorker(const SpaceWorker&) = delete;
  SpaceWorker& operator=(const SpaceWorker&) = delete;

  void start();
  // Stops both threads (cancels a compaction at its next file boundary).
  void stop();
  // A commit happened in `ns`: check the limits now.
  void wake();
  // Writes the uses recorded since the last round into the LRU index; also
  // run before a gocachectl evict or trim, so that it sees every use the
  // daemon has (an operator ageing files with utime included).
  void flush_uses();

 private:
  void limits_round();
  void compaction_round();
  void flush_if_idle(const StoreSpace& all);
  void settle_if_idle();
  void log_space(const StoreSpace& all);

  Store& store_;
  SpaceManager& manager_;
  UseTracker& uses_;
  SpaceWorkerOptions options_;
  std::atomic<bool> cancel_{false};
  // Only the limits loop's thread uses it.
  std::chrono::steady_clock::time_point next_flush_{};
  // Only the compaction loop's thread uses it.
  IdleFlush idle_flush_;
  SettleTimer settle_timer_;
  bool niced_ = false;
  // Last: they stop before the state they use goes.
  BackgroundLoop limits_loop_, compaction_loop_;
};

}  // namespace gcfs::policy
