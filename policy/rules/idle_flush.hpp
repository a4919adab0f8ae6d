// When an idle store should flush its memtables: the write-ahead log holds
// everything written since the last flush, and on a store nobody writes to
// it would stay on disk (and the memtables in memory) until enough new
// writes fill a memtable: tens of MB that `du` shows while mounted.
//
// Fed the log's size each round, it says "flush" once that size has stayed
// the same, and non-zero, for `idle_after`: writes of any kind (commits,
// unlinks, evictions) restart the wait. Pure: no I/O, no clock of its own.
#pragma once

#include <chrono>
#include <cstdint>

namespace gcfs::policy {

class IdleFlush {
 public:
  using Clock = std::chrono::steady_clock;
  // Default: 30 s, long enough that a build's pauses do not split its log.
  explicit IdleFlush(std::chrono::milliseconds idle_after = std::chrono::seconds(30))
      : idle_after_(idle_after) {}

  // True when the store should flush now. After a true, the wait starts
  // again (a flush that left a log behind is retried one period later).
  bool observe(uint64_t wal_bytes, Clock::time_point now);

 private:
  std::chrono::milliseconds idle_after_;
  uint64_t last_ = 0;
  Clock::time_point since_{};
};

}  // namespace gcfs::policy
