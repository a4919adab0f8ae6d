// The daemon's background space threads. One persists file uses into the
// store's LRU index and enforces the size limits (woken at once by a commit,
// else every `use_interval`); the other runs compaction rounds every
// `compaction_interval`. Neither holds a FUSE lock while the store works;
// evicted entries are dropped from the kernel's view from these threads,
// never from inside a FUSE request.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "fusefs/space_manager.hpp"
#include "fusefs/use_tracker.hpp"

namespace gcfs::fusefs {

struct SpaceWorkerOptions {
  // Default: 2 s.
  std::chrono::milliseconds use_interval{2000};
  // Default: 5 s.
  std::chrono::milliseconds compaction_interval{5000};
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

 private:
  void limits_loop();
  void limits_round(bool limited, std::chrono::steady_clock::time_point* next_flush);
  void compaction_loop();
  void flush_uses();
  void log_space();

  Store& store_;
  SpaceManager& manager_;
  UseTracker& uses_;
  SpaceWorkerOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;   // guarded by mu_
  bool woken_ = false;  // guarded by mu_
  std::atomic<bool> cancel_{false};
  std::thread limits_thread_, compaction_thread_;
};

}  // namespace gcfs::fusefs
