// Self-healing of the store: read-only mode after an unsafe background
// error, Resume() retries after a transient one, and the RocksDB health
// properties in engine_stats().
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "store/testing.hpp"
#include "store_fixture.hpp"

namespace gcfs {
namespace {

using test::StoreTest;

TEST_F(StoreTest, EngineStatsOfAHealthyStore) {
  const Ino f = make(kRootIno, "f");
  write(f, 0, test::text_bytes(20000, 3));
  ASSERT_TRUE(store_->sync());
  EngineStats e = store_->engine_stats();
  EXPECT_EQ(e.background_errors, 0u);
  EXPECT_FALSE(e.write_stopped);
  EXPECT_FALSE(e.read_only);
  EXPECT_EQ(e.resume_attempts, 0u);
  ASSERT_EQ(e.ns_physical.size(), 1u);
  EXPECT_EQ(e.ns_physical[0].ns, ns_);
  reopen();  // flushes at close: the namespace now has SST files
  e = store_->engine_stats();
  ASSERT_EQ(e.ns_physical.size(), 1u);
  EXPECT_GT(e.ns_physical[0].bytes, 0u);
}

TEST_F(StoreTest, UnsafeBackgroundErrorMakesTheStoreReadOnly) {
  const Ino f = make(kRootIno, "f");
  const std::string data = test::text_bytes(5000, 4);
  write(f, 0, data);
  ASSERT_TRUE(testing::simulate_background_error(*store_, /*fatal=*/true));
  EngineStats e = store_->engine_stats();
  EXPECT_TRUE(e.read_only);
  EXPECT_NE(e.read_only_reason.find("simulated bad block"), std::string::npos)
      << e.read_only_reason;
  // Writes of every kind are refused with read_only; reads still work.
  auto m = store_->mknode(ns_, kRootIno, "g", S_IFREG | 0644, Credentials{1, 2}, test::kT1);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.code(), Errc::read_only);
  EXPECT_EQ(store_->create_namespace("other", 0755, Credentials{}).code(), Errc::read_only);
  EXPECT_EQ(store_->unlink(ns_, kRootIno, "f", test::kT2).code(), Errc::read_only);
  EXPECT_EQ(read_all(f), data);
  EXPECT_EQ(store_->engine_stats().read_only_refusals, 3u);
  // A second error does not change the recorded reason.
  ASSERT_TRUE(testing::simulate_background_error(*store_, true));
  EXPECT_EQ(store_->engine_stats().read_only_reason, e.read_only_reason);
}

TEST_F(StoreTest, TransientBackgroundErrorIsResumed) {
  ASSERT_TRUE(testing::simulate_background_error(*store_, /*fatal=*/false));
  EXPECT_FALSE(store_->engine_stats().read_only);
  // The first retry comes after a 1 s backoff.
  EngineStats e;
  for (int i = 0; i < 50; ++i) {
    e = store_->engine_stats();
    if (e.resume_attempts > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(e.resume_attempts, 1u);
  EXPECT_EQ(e.resume_failures, 0u);
  const Ino f = make(kRootIno, "after");
  write(f, 0, "still writable");
  EXPECT_EQ(read_all(f), "still writable");
}

}  // namespace
}  // namespace gcfs
