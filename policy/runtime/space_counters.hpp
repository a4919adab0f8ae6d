// What the space manager did, counted as it happens and read at scrape time
// (gocachefs_compactions_total, _evictions_total, ... in metrics_space.cpp).
// Plain types: no FUSE, no Prometheus. Counted per namespace *name* (looked
// up when the work is recorded), so a snapshot swap, which gives the name a
// new id, does not reset the series.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace gcfs::policy {

// Who asked for a compaction: the worker's two tiers or gocachectl.
enum class CompactionKind { background, urgent, manual };
inline constexpr size_t kCompactionKinds = 3;
const char* compaction_kind_name(CompactionKind kind);

// Upper bounds (seconds) of the compaction duration histogram: a ranged
// background round takes well under a second, a manual compaction of a
// large namespace minutes.
inline constexpr std::array<double, 12> kCompactionBounds = {0.05, 0.1, 0.25, 0.5, 1,   2.5,
                                                             5,    10,  30,   60,  300, 1800};

struct DurationHistogram {
  uint64_t count = 0;
  double sum_seconds = 0;
  // Per bucket, not cumulative; the last one is +Inf.
  std::array<uint64_t, kCompactionBounds.size() + 1> buckets{};
  void observe(double seconds);
};

struct NsSpaceCounters {
  std::array<uint64_t, kCompactionKinds> compactions{};
  uint64_t compacted_bytes = 0;       // SST + memtable bytes reclaimed
  uint64_t evictions = 0;             // files
  uint64_t evicted_bytes = 0;         // estimated live bytes freed
  uint64_t settled_files = 0;         // files whose data was recompressed
  uint64_t settled_bytes_before = 0;  // their stored bytes before
  uint64_t settled_bytes_after = 0;   // and after
};

struct SpaceCountersSnapshot {
  std::map<std::string, NsSpaceCounters> ns;
  std::array<DurationHistogram, kCompactionKinds> durations{};
  // Eviction rounds that left a limit exceeded because only entries in use
  // were left.
  uint64_t limit_in_use_rounds = 0;
  // Settling passes over the whole store: finished, or stopped early by a
  // writer (or shutdown); the CPU time they took.
  uint64_t settle_complete = 0;
  uint64_t settle_stopped = 0;
  double settle_cpu_seconds = 0;
};

class SpaceCounters {
 public:
  void compaction(const std::string& ns, CompactionKind kind, double seconds,
                  uint64_t reclaimed_bytes);
  void eviction(const std::string& ns, uint64_t files, uint64_t bytes);
  void limit_in_use();
  void settled(const std::string& ns, uint64_t files, uint64_t before, uint64_t after);
  void settle_pass(bool complete, double cpu_seconds);
  SpaceCountersSnapshot snapshot() const;

 private:
  mutable std::mutex mu_;  // a few updates per compaction or eviction pass
  SpaceCountersSnapshot data_;
};

}  // namespace gcfs::policy
