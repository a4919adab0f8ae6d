#include "policy/runtime/space_counters.hpp"

#include <algorithm>

namespace gcfs::policy {

const char* compaction_kind_name(CompactionKind kind) {
  switch (kind) {
    case CompactionKind::background:
      return "background";
    case CompactionKind::urgent:
      return "urgent";
    case CompactionKind::manual:
      return "manual";
  }
  return "?";
}

void DurationHistogram::observe(double seconds) {
  ++count;
  sum_seconds += seconds;
  const auto it = std::lower_bound(kCompactionBounds.begin(), kCompactionBounds.end(), seconds);
  ++buckets[static_cast<size_t>(it - kCompactionBounds.begin())];
}

void SpaceCounters::compaction(const std::string& ns, CompactionKind kind, double seconds,
                               uint64_t reclaimed_bytes) {
  const auto k = static_cast<size_t>(kind);
  std::lock_guard lock(mu_);
  NsSpaceCounters& c = data_.ns[ns];
  ++c.compactions[k];
  c.compacted_bytes += reclaimed_bytes;
  data_.durations[k].observe(seconds);
}

void SpaceCounters::eviction(const std::string& ns, uint64_t files, uint64_t bytes) {
  if (files == 0) return;
  std::lock_guard lock(mu_);
  NsSpaceCounters& c = data_.ns[ns];
  c.evictions += files;
  c.evicted_bytes += bytes;
}

void SpaceCounters::settled(const std::string& ns, uint64_t files, uint64_t before,
                            uint64_t after) {
  if (files == 0) return;
  std::lock_guard lock(mu_);
  NsSpaceCounters& c = data_.ns[ns];
  c.settled_files += files;
  c.settled_bytes_before += before;
  c.settled_bytes_after += after;
}

void SpaceCounters::settle_pass(bool complete, double cpu_seconds) {
  std::lock_guard lock(mu_);
  ++(complete ? data_.settle_complete : data_.settle_stopped);
  data_.settle_cpu_seconds += cpu_seconds;
}

void SpaceCounters::limit_in_use() {
  std::lock_guard lock(mu_);
  ++data_.limit_in_use_rounds;
}

SpaceCountersSnapshot SpaceCounters::snapshot() const {
  std::lock_guard lock(mu_);
  return data_;
}

}  // namespace gcfs::policy
