// Counters: see stats.hpp.
#include "store/remote/stats.hpp"

#include <algorithm>

namespace gcfs::remote {

void Stats::observe(Hist& h, std::chrono::steady_clock::duration d) {
  const auto us = static_cast<uint64_t>(
      std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::microseconds>(d).count()));
  const auto it = std::lower_bound(kLatencyBoundsUs.begin(), kLatencyBoundsUs.end(), us);
  h.buckets[static_cast<size_t>(it - kLatencyBoundsUs.begin())].fetch_add(1);
  h.count.fetch_add(1);
  h.sum_us.fetch_add(us);
}

LatencyHistogram Stats::copy(const Hist& h) {
  LatencyHistogram out;
  for (size_t i = 0; i < out.buckets.size(); ++i) out.buckets[i] = h.buckets[i].load();
  out.count = h.count.load();
  out.sum_us = h.sum_us.load();
  return out;
}

StatsSnapshot Stats::snapshot() const {
  StatsSnapshot s;
  s.hits = hits.load();
  s.misses = misses.load();
  s.missing_pieces = missing_pieces.load();
  for (size_t i = 0; i < kFaultKinds; ++i) s.errors[i] = errors_[i].load();
  s.puts = puts.load();
  s.bytes_up = bytes_up.load();
  s.bytes_down = bytes_down.load();
  s.moved = moved.load();
  s.ask = ask.load();
  s.cluster_retries = cluster_retries.load();
  s.slot_refreshes = slot_refreshes.load();
  s.queue_bytes = queue_bytes.load();
  s.queue_jobs = queue_jobs.load();
  s.uploads_done = uploads_done.load();
  s.uploads_failed = uploads_failed.load();
  s.dropped_full = dropped_full.load();
  s.dropped_closed = dropped_closed.load();
  s.refused_read_only = refused_read_only.load();
  s.refused_too_big = refused_too_big.load();
  s.get_latency = copy(get_);
  s.put_latency = copy(put_);
  return s;
}

}  // namespace gcfs::remote
