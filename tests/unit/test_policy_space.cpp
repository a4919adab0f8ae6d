// Space policy: compaction plans, eviction amounts, the Go cache layout.
#include <gtest/gtest.h>

#include "policy/rules/space.hpp"

namespace gcfs::policy {
namespace {

constexpr uint64_t MiB = 1 << 20;

NsView view(uint64_t live, uint64_t physical, std::vector<BlockView> blocks = {}) {
  return NsView{live, physical, std::move(blocks)};
}

TEST(SpacePolicy, SmallOrCleanNamespacesAreLeftAlone) {
  EXPECT_EQ(plan_compaction(view(1 * MiB, 10 * MiB), {}).tier, CompactionTier::none);
  EXPECT_EQ(plan_compaction(view(90 * MiB, 100 * MiB), {}).tier, CompactionTier::none);
  // Below 85% but too little garbage to be worth a rewrite.
  CompactionConfig c;
  c.min_garbage_bytes = 64 * MiB;
  EXPECT_EQ(plan_compaction(view(80 * MiB, 100 * MiB), {}, c).tier, CompactionTier::none);
}

TEST(SpacePolicy, BackgroundTierPicksWorstBlocksFirst) {
  auto v = view(80 * MiB, 100 * MiB,
                {{0.95, 40 * MiB}, {0.10, 10 * MiB}, {0.60, 30 * MiB}, {0.99, 20 * MiB}});
  auto p = plan_compaction(v, {});
  EXPECT_EQ(p.tier, CompactionTier::background);
  EXPECT_FALSE(p.whole);
  EXPECT_EQ(p.blocks, (std::vector<size_t>{1, 2}));
  // The budget caps one round.
  CompactionConfig c;
  c.background_budget_bytes = 5 * MiB;
  EXPECT_EQ(plan_compaction(v, {}, c).blocks, (std::vector<size_t>{1}));
  // Evenly spread garbage: the whole family.
  auto even = view(80 * MiB, 100 * MiB, {{0.9, 50 * MiB}, {0.9, 50 * MiB}});
  EXPECT_TRUE(plan_compaction(even, {}).whole);
}

TEST(SpacePolicy, UrgentTierCompactsEverythingAndHoldsUntilAbove85) {
  auto p = plan_compaction(view(50 * MiB, 100 * MiB), {});
  EXPECT_EQ(p.tier, CompactionTier::urgent);
  EXPECT_TRUE(p.whole);
  CompactionMemory m;
  remember(m, view(80 * MiB, 100 * MiB), p);  // still below 85% afterwards
  EXPECT_TRUE(m.urgent);
  EXPECT_EQ(m.garbage_floor, 20 * MiB);
  // More garbage later: urgent again although 80% alone would be background.
  auto again = plan_compaction(view(80 * MiB, 120 * MiB), m);
  EXPECT_EQ(again.tier, CompactionTier::urgent);
  remember(m, view(95 * MiB, 100 * MiB), again);
  EXPECT_FALSE(m.urgent);
}

TEST(SpacePolicy, NoLoopOnGarbageACompactionCannotRemove) {
  CompactionMemory m;
  auto p = plan_compaction(view(60 * MiB, 100 * MiB), m);
  ASSERT_NE(p.tier, CompactionTier::none);
  remember(m, view(60 * MiB, 100 * MiB), p);  // nothing gained (overhead)
  EXPECT_EQ(plan_compaction(view(60 * MiB, 100 * MiB), m).tier, CompactionTier::none);
  EXPECT_NE(plan_compaction(view(60 * MiB, 120 * MiB), m).tier, CompactionTier::none);
  // Garbage removed otherwise lowers the floor.
  remember(m, view(60 * MiB, 61 * MiB), CompactionPlan{});
  EXPECT_EQ(m.garbage_floor, 1 * MiB);
}

TEST(SpacePolicy, EvictionAmounts) {
  EXPECT_EQ(bytes_to_free(100, 0, 0.9), 0u);     // no limit
  EXPECT_EQ(bytes_to_free(100, 100, 0.9), 0u);   // at the limit: fine
  EXPECT_EQ(bytes_to_free(101, 100, 0.9), 11u);  // over: down to 90
  EXPECT_EQ(bytes_to_free(1000, 100, 0.5), 950u);
  SizeLimits l{40 * MiB, 0, 0.9};
  EXPECT_FALSE(too_big(40 * MiB, l));
  EXPECT_TRUE(too_big(40 * MiB + 1, l));
  l.ns_max_bytes = 10 * MiB;
  EXPECT_TRUE(too_big(11 * MiB, l));
  EXPECT_FALSE(too_big(uint64_t{1} << 50, SizeLimits{}));
}

TEST(SpacePolicy, ActionEntriesNameTheirOutput) {
  const std::string a(64, 'a'), o = "ab" + std::string(62, '3');
  const std::string content = "v1 " + a + " " + o + " " + std::string(17, ' ') + "123 " +
                              std::string(1, ' ') + "1700000000000000000\n";
  EXPECT_TRUE(is_action_entry(a + "-a"));
  EXPECT_FALSE(is_action_entry(a + "-d"));
  EXPECT_FALSE(is_action_entry("A" + a.substr(1) + "-a"));
  EXPECT_EQ(action_output(content), o);
  EXPECT_EQ(action_output("v1 garbage"), std::nullopt);
  EXPECT_EQ(action_output("v2 " + content.substr(3)), std::nullopt);
  auto [dir, name] = output_location(o);
  EXPECT_EQ(dir, "ab");
  EXPECT_EQ(name, o + "-d");
  EXPECT_TRUE(evict_output_with_action(100, 100));
  EXPECT_TRUE(evict_output_with_action(100, 50));
  EXPECT_FALSE(evict_output_with_action(100, 101));  // used since by another action
}

}  // namespace
TEST(PolicySpace, EvictionCutoffProtectsRecentUsesAndSwappedNamespaces) {
  constexpr int64_t kMin = 60'000'000'000;
  const int64_t now = 1'000'000 * kMin;
  EXPECT_EQ(eviction_cutoff_ns(now, 10 * kMin, 0, INT64_MAX), now - 10 * kMin);
  EXPECT_EQ(eviction_cutoff_ns(now, 10 * kMin, 0, now - 60 * kMin), now - 60 * kMin);
  EXPECT_EQ(eviction_cutoff_ns(now, 0, 0, INT64_MAX), now);
  // Swapped 5 minutes ago: nothing goes; 11 minutes ago: the usual cutoff.
  EXPECT_EQ(eviction_cutoff_ns(now, 10 * kMin, now - 5 * kMin, INT64_MAX), INT64_MIN);
  EXPECT_EQ(eviction_cutoff_ns(now, 10 * kMin, now - 11 * kMin, INT64_MAX), now - 10 * kMin);
}

TEST(PolicySpace, OutputEntryIds) {
  const std::string hex(64, 'a');
  EXPECT_EQ(output_entry_id(hex + "-d"), std::optional<std::string_view>(hex));
  EXPECT_FALSE(output_entry_id(hex + "-a"));
  EXPECT_FALSE(output_entry_id(std::string(63, 'a') + "-d"));
  EXPECT_FALSE(output_entry_id(std::string(64, 'g') + "-d"));
}

}  // namespace gcfs::policy
