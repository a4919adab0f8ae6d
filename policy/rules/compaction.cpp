#include "policy/rules/compaction.hpp"

namespace gcfs::policy {

CompactionTier compaction_tier(const Occupancy& o, const CompactionThresholds& t) {
  double r = o.ratio();
  if (r < t.urgent_below) return CompactionTier::urgent;
  if (r < t.background_below) return CompactionTier::background;
  return CompactionTier::none;
}

const char* tier_name(CompactionTier tier) {
  switch (tier) {
    case CompactionTier::none:
      return "none";
    case CompactionTier::background:
      return "background";
    case CompactionTier::urgent:
      return "urgent";
  }
  return "?";
}

}  // namespace gcfs::policy
