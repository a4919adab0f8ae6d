// Self-healing for a filling disk (--min-free): every couple of seconds the
// free space of the store's filesystem is checked; below the floor the event
// is logged and counted and the eviction hook is asked to free space. The
// daemon hands it the space manager's LRU eviction; without a hook (tests)
// the guard logs that no eviction is available.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "store/background_loop.hpp"

namespace gcfs::policy {

struct DiskGuardOptions {
  // The store directory (statvfs of its filesystem).
  std::string path;
  // Floor of free space, percent of the filesystem. 0 disables the guard.
  // Default: 5.
  double min_free_pct = 5.0;
  // Default: 2 s.
  std::chrono::milliseconds interval{2000};
};

class DiskGuard {
 public:
  // Asked to free at least `bytes`; returns the bytes it freed.
  using Evict = std::function<uint64_t(uint64_t bytes)>;

  explicit DiskGuard(DiskGuardOptions o);
  ~DiskGuard();
  DiskGuard(const DiskGuard&) = delete;
  DiskGuard& operator=(const DiskGuard&) = delete;

  void set_eviction(Evict evict);
  void start();
  void stop();
  // One check, as the thread does it.
  void check();

  // For the metrics exporter (read at scrape time).
  const DiskGuardOptions& options() const { return o_; }
  uint64_t low_events() const { return low_events_.load(std::memory_order_relaxed); }
  uint64_t evictions_requested() const {
    return evictions_requested_.load(std::memory_order_relaxed);
  }
  uint64_t bytes_evicted() const { return bytes_evicted_.load(std::memory_order_relaxed); }

 private:
  const DiskGuardOptions o_;
  std::atomic<uint64_t> low_events_{0};
  std::atomic<uint64_t> evictions_requested_{0};
  std::atomic<uint64_t> bytes_evicted_{0};
  std::mutex mu_;  // guards everything below
  Evict evict_;
  bool low_ = false;     // below the floor at the last check
  BackgroundLoop loop_;  // last: stops before the state it uses goes
};

}  // namespace gcfs::policy
