// Counters of the tier's own decisions (the Redis client counts its round
// trips, errors by kind and bytes itself: remote/stats.hpp). Relaxed
// atomics, read as a plain snapshot by the metrics and gocachectl.
#pragma once

#include <atomic>
#include <cstdint>

namespace gcfs::tiered {

struct TierStatsSnapshot {
  uint64_t fetch_hits = 0;        // entries fetched, verified and committed locally
  uint64_t fetch_misses = 0;      // the remote did not have them
  uint64_t fetch_errors = 0;      // remote failures and damaged values: a miss
  uint64_t fetch_remembered = 0;  // answered from the recent misses, no round trip
  uint64_t fetch_not_cache = 0;   // not a Go cache directory, or no such namespace
  uint64_t commit_failed = 0;     // fetched but not committed locally: a miss
  uint64_t fetched_bytes = 0;     // bytes of entries committed from the remote
  uint64_t feed_dropped = 0;      // committed entries not queued: the feed was full
  uint64_t feed_skipped = 0;      // not uploadable (unreadable, -d missing or incomplete)
  uint64_t uploads_queued = 0;    // pairs handed to the uploader
  uint64_t uploads_refused = 0;   // the uploader refused them (full, too big, closed)
  uint64_t demoted = 0;           // evicted entries uploaded first (evict mode)
  uint64_t demote_skipped = 0;    // evicted entries already on the remote, or not uploadable
  uint64_t demote_failed = 0;     // evicted entries whose upload failed: gone from both tiers
};

class TierStats {
 public:
  using U = std::atomic<uint64_t>;
  U fetch_hits{0}, fetch_misses{0}, fetch_errors{0}, fetch_remembered{0}, fetch_not_cache{0};
  U commit_failed{0}, fetched_bytes{0}, feed_dropped{0}, feed_skipped{0};
  U uploads_queued{0}, uploads_refused{0}, demoted{0}, demote_skipped{0}, demote_failed{0};

  TierStatsSnapshot snapshot() const {
    auto r = [](const U& u) { return u.load(std::memory_order_relaxed); };
    return {r(fetch_hits),      r(fetch_misses),   r(fetch_errors),    r(fetch_remembered),
            r(fetch_not_cache), r(commit_failed),  r(fetched_bytes),   r(feed_dropped),
            r(feed_skipped),    r(uploads_queued), r(uploads_refused), r(demoted),
            r(demote_skipped),  r(demote_failed)};
  }
};

}  // namespace gcfs::tiered
