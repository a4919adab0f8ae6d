#include <gtest/gtest.h>

#include "policy/rules/compaction.hpp"

using gcfs::policy::compaction_tier;
using gcfs::policy::CompactionThresholds;
using gcfs::policy::CompactionTier;
using gcfs::policy::Occupancy;

TEST(CompactionPolicy, EmptyStoreNeedsNothing) {
  EXPECT_EQ(compaction_tier(Occupancy{0, 0}), CompactionTier::none);
}

TEST(CompactionPolicy, TiersFollowDefaultThresholds) {
  EXPECT_EQ(compaction_tier(Occupancy{100, 100}), CompactionTier::none);
  EXPECT_EQ(compaction_tier(Occupancy{85, 100}), CompactionTier::none);
  EXPECT_EQ(compaction_tier(Occupancy{84, 100}), CompactionTier::background);
  EXPECT_EQ(compaction_tier(Occupancy{78, 100}), CompactionTier::background);
  EXPECT_EQ(compaction_tier(Occupancy{77, 100}), CompactionTier::urgent);
  EXPECT_EQ(compaction_tier(Occupancy{1, 100}), CompactionTier::urgent);
}

TEST(CompactionPolicy, ThresholdsAreConfigurable) {
  CompactionThresholds t{0.5, 0.25};
  EXPECT_EQ(compaction_tier(Occupancy{60, 100}, t), CompactionTier::none);
  EXPECT_EQ(compaction_tier(Occupancy{40, 100}, t), CompactionTier::background);
  EXPECT_EQ(compaction_tier(Occupancy{20, 100}, t), CompactionTier::urgent);
}
