// Self-healing for a filling disk (--min-free): every couple of seconds the
// free space of the store's filesystem is checked; below the floor the event
// is logged and counted and the eviction hook is asked to free space. The
// daemon hands it the space manager's LRU eviction; without a hook (tests)
// the guard logs that no eviction is available.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "fusefs/periodic.hpp"

namespace prometheus {
class Counter;
class Gauge;
}  // namespace prometheus

namespace gcfs::fusefs {

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

 private:
  const DiskGuardOptions o_;
  prometheus::Counter& low_events_;
  prometheus::Counter& evictions_requested_;
  prometheus::Counter& bytes_evicted_;
  std::mutex mu_;  // guards everything below
  Evict evict_;
  bool low_ = false;  // below the floor at the last check
  Periodic thread_;   // last: stops before the state it uses goes
};

}  // namespace gcfs::fusefs
