// The idle-flush rule: flush once the write-ahead log has kept its size for
// the idle period, never while it grows, never for an empty log, and not
// again until another idle period has passed.
#include <gtest/gtest.h>

#include "policy/rules/idle_flush.hpp"
#include "policy/rules/settle.hpp"

namespace gcfs::policy {
namespace {

using namespace std::chrono_literals;
using Clock = IdleFlush::Clock;

TEST(IdleFlush, FlushesALogThatStoppedGrowing) {
  IdleFlush rule(30s);
  const Clock::time_point t0{1000s};
  EXPECT_FALSE(rule.observe(5 << 20, t0));
  EXPECT_FALSE(rule.observe(5 << 20, t0 + 29s));
  EXPECT_TRUE(rule.observe(5 << 20, t0 + 30s));
  // Not again at the next round: one period later, if the log is still there.
  EXPECT_FALSE(rule.observe(5 << 20, t0 + 35s));
  EXPECT_TRUE(rule.observe(5 << 20, t0 + 60s));
}

TEST(IdleFlush, WritesRestartTheWait) {
  IdleFlush rule(30s);
  const Clock::time_point t0{1000s};
  uint64_t wal = 1 << 20;
  for (int i = 0; i < 20; ++i) {  // a build writing for 100 s, seen every 5 s
    wal += 4096;
    EXPECT_FALSE(rule.observe(wal, t0 + i * 5s)) << i;
  }
  EXPECT_FALSE(rule.observe(wal, t0 + 120s));  // unchanged since 95 s: 25 s
  EXPECT_TRUE(rule.observe(wal, t0 + 125s));
}

TEST(IdleFlush, AnEmptyLogNeedsNoFlush) {
  IdleFlush rule(30s);
  const Clock::time_point t0{1000s};
  EXPECT_FALSE(rule.observe(0, t0));
  EXPECT_FALSE(rule.observe(0, t0 + 1h));
  // Deletes only (an eviction): the log grows again, and is flushed in turn.
  EXPECT_FALSE(rule.observe(300, t0 + 1h + 5s));
  EXPECT_TRUE(rule.observe(300, t0 + 1h + 35s));
}

// Settling: once the store's write sequence stayed the same for the idle
// period; not again until something is written; after a pass stopped by a
// writer, once idle again.
TEST(SettleTimer, SettlesAnIdleStoreOnce) {
  SettleTimer rule(60s);
  const Clock::time_point t0{1000s};
  EXPECT_FALSE(rule.observe(7, t0));
  EXPECT_FALSE(rule.observe(7, t0 + 59s));
  EXPECT_TRUE(rule.observe(7, t0 + 60s));
  rule.finished(9, true, t0 + 61s);  // its own writes moved the sequence
  EXPECT_FALSE(rule.observe(9, t0 + 65s));
  EXPECT_FALSE(rule.observe(9, t0 + 1h));
  // A build writes, then stops: settled once more, a minute later.
  EXPECT_FALSE(rule.observe(50, t0 + 1h + 5s));
  EXPECT_FALSE(rule.observe(50, t0 + 1h + 64s));
  EXPECT_TRUE(rule.observe(50, t0 + 1h + 65s));
}

TEST(SettleTimer, APassStoppedByAWriterWaitsForIdlenessAgain) {
  SettleTimer rule(60s);
  const Clock::time_point t0{1000s};
  EXPECT_FALSE(rule.observe(7, t0));
  EXPECT_TRUE(rule.observe(7, t0 + 60s));
  rule.finished(12, false, t0 + 62s);
  EXPECT_FALSE(rule.observe(12, t0 + 70s));
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(rule.observe(100 + i, t0 + 75s + i * 5s)) << i;
  EXPECT_FALSE(rule.observe(119, t0 + 200s));
  EXPECT_TRUE(rule.observe(119, t0 + 230s));  // unchanged since 170 s
}

TEST(SettleTimer, ZeroMeansNever) {
  SettleTimer rule(0s);
  const Clock::time_point t0{1000s};
  EXPECT_FALSE(rule.observe(7, t0));
  EXPECT_FALSE(rule.observe(7, t0 + 24h));
}

}  // namespace
}  // namespace gcfs::policy
