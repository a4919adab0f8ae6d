// Counters of the remote tier, updated lock-free by every caller; the
// metrics exporter and `gocachectl remote status` read a plain snapshot.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>

#include "store/remote/fault.hpp"

namespace gcfs::remote {

// Latency buckets (upper bounds, microseconds; the last bucket is +Inf), in
// the Prometheus histogram's shape: counts are per bucket, not cumulative.
inline constexpr std::array<uint64_t, 14> kLatencyBoundsUs = {
    100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 5000000};

struct LatencyHistogram {
  std::array<uint64_t, kLatencyBoundsUs.size() + 1> buckets{};
  uint64_t count = 0;
  uint64_t sum_us = 0;
};

struct StatsSnapshot {
  uint64_t hits = 0;                           // get/get_pair found a verified value
  uint64_t misses = 0;                         // not there (missing pieces included)
  uint64_t missing_pieces = 0;                 // a manifest whose pieces are gone (a miss)
  std::array<uint64_t, kFaultKinds> errors{};  // failed calls by Fault kind
  uint64_t puts = 0;                           // objects written
  uint64_t bytes_up = 0;                       // raw bytes of objects written
  uint64_t bytes_down = 0;                     // raw bytes of objects fetched and verified
  uint64_t moved = 0;                          // cluster MOVED redirections followed
  uint64_t ask = 0;                            // cluster ASK redirections followed
  uint64_t cluster_retries = 0;                // TRYAGAIN / CLUSTERDOWN retries
  uint64_t slot_refreshes = 0;                 // CLUSTER SLOTS reloads
  uint64_t queue_bytes = 0;                    // upload queue: bytes queued or in flight
  uint64_t queue_jobs = 0;                     // upload queue: jobs queued or in flight
  uint64_t uploads_done = 0;                   // upload jobs that completed
  uint64_t uploads_failed = 0;                 // upload jobs that failed (counted in errors too)
  uint64_t dropped_full = 0;                   // enqueue refused: queue full
  uint64_t dropped_closed = 0;                 // enqueued after close, or abandoned at close
  uint64_t refused_read_only = 0;              // enqueue refused: read-only mode
  uint64_t refused_too_big = 0;                // enqueue refused: above max_object_size
  LatencyHistogram get_latency;
  LatencyHistogram put_latency;
  uint64_t timeouts() const { return errors[static_cast<size_t>(Fault::timeout)]; }
  uint64_t error(Fault f) const { return errors[static_cast<size_t>(f)]; }
};

class Stats {
 public:
  using U = std::atomic<uint64_t>;
  U hits{0}, misses{0}, missing_pieces{0}, puts{0}, bytes_up{0}, bytes_down{0};
  U moved{0}, ask{0}, cluster_retries{0}, slot_refreshes{0};
  U queue_bytes{0}, queue_jobs{0}, uploads_done{0}, uploads_failed{0};
  U dropped_full{0}, dropped_closed{0}, refused_read_only{0}, refused_too_big{0};

  void count_error(Fault f) { errors_[static_cast<size_t>(f)].fetch_add(1); }
  void observe_get(std::chrono::steady_clock::duration d) { observe(get_, d); }
  void observe_put(std::chrono::steady_clock::duration d) { observe(put_, d); }
  StatsSnapshot snapshot() const;

 private:
  struct Hist {
    std::array<U, kLatencyBoundsUs.size() + 1> buckets{};
    U count{0}, sum_us{0};
  };
  static void observe(Hist& h, std::chrono::steady_clock::duration d);
  static LatencyHistogram copy(const Hist& h);

  std::array<U, kFaultKinds> errors_{};
  Hist get_, put_;
};

}  // namespace gcfs::remote
