// When to compact: a pure decision from an occupancy snapshot (no I/O).
#pragma once

#include <cstdint>

namespace gcfs::policy {

struct Occupancy {
  uint64_t live_bytes = 0;      // bytes still referenced
  uint64_t physical_bytes = 0;  // bytes the blocks take on disk
  // live / physical; 1.0 for an empty store (nothing to reclaim).
  double ratio() const {
    return physical_bytes == 0 ? 1.0 : static_cast<double>(live_bytes) / physical_bytes;
  }
};

struct CompactionThresholds {
  // Below this occupancy, compact the worst blocks at low priority.
  // Default: 0.85.
  double background_below = 0.85;
  // Below this occupancy, compact at normal priority until back above
  // `background_below`.
  // Default: 0.78.
  double urgent_below = 0.78;
};

enum class CompactionTier { none, background, urgent };

CompactionTier compaction_tier(const Occupancy& o, const CompactionThresholds& t = {});
const char* tier_name(CompactionTier tier);

}  // namespace gcfs::policy
