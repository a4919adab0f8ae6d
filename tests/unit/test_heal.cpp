// Self-healing of the store: read-only mode after an unsafe background
// error, Resume() retries after a transient one, and the RocksDB health
// properties in engine_stats().
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>

#include "store/local/rocks_reclaim.hpp"
#include "store/testing/testing.hpp"
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

TEST_F(StoreTest, EngineStatsAttributeRocksDbMemory) {
  const Ino f = make(kRootIno, "f");
  const std::string data = test::text_bytes(200000, 5);
  write(f, 0, data);
  EngineStats e = store_->engine_stats();
  EXPECT_EQ(e.block_cache_capacity, options_.block_cache_bytes);
  EXPECT_GT(e.memtables_bytes, 0u);  // not flushed yet
  reopen();                          // flushed at close; now read from SST files
  EXPECT_EQ(read_all(f), data);
  e = store_->engine_stats();
  EXPECT_GT(e.block_cache_usage, 0u);  // the blocks just read, their index and filter
  EXPECT_LE(e.block_cache_usage, e.block_cache_capacity);
  EXPECT_LE(e.block_cache_pinned, e.block_cache_usage);
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

// The store on a 48 MiB tmpfs (needs root, as CI has), so that RocksDB's
// own background jobs meet a really full disk.
class FullDiskTest : public StoreTest {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs needs root";
    if (::mount("tmpfs", dir_.path().c_str(), "tmpfs", 0, "size=48m") != 0) {
      if (errno == EPERM) GTEST_SKIP() << "mounting a tmpfs is not permitted here";
      FAIL() << "mount tmpfs: " << std::strerror(errno);
    }
    mounted_ = true;
    StoreTest::SetUp();
  }
  void TearDown() override {
    store_.reset();
    if (mounted_) {
      EXPECT_EQ(::umount2(dir_.path().c_str(), MNT_DETACH), 0) << std::strerror(errno);
    }
  }
  // Fills what is left of the disk with a plain file; returns its path.
  std::string fill_disk() {
    const std::string path = dir_.path() + "/balloon";
    FILE* f = std::fopen(path.c_str(), "w");
    EXPECT_NE(f, nullptr);
    const std::string block(64 << 10, 'x');
    while (f != nullptr && std::fwrite(block.data(), 1, block.size(), f) == block.size()) {
    }
    // A partial block may still fit: fill byte by byte to the last one.
    while (f != nullptr && std::fwrite("x", 1, 1, f) == 1 && std::fflush(f) == 0) {
    }
    if (f != nullptr) std::fclose(f);
    return path;
  }
  bool mounted_ = false;
};

TEST_F(FullDiskTest, DeletionWorksAtOnceWhenAFlushFailedOnAFullDisk) {
  const Ino keep = make(kRootIno, "keep");
  const std::string kept = test::random_bytes(3 << 20, 7);
  write(keep, 0, kept);
  const Ino big = make(kRootIno, "big");
  write(big, 0, test::random_bytes(4 << 20, 8));
  const std::string balloon = fill_disk();
  // A memtable flush meets the full disk: RocksDB stops all writes until
  // it is resumed.
  auto fl = testing::flush_memtables(*store_);
  ASSERT_FALSE(fl) << "the disk was not full";
  EXPECT_EQ(fl.code(), Errc::no_space) << fl.error().message();
  // So does a compaction, but it refuses before it starts.
  CompactRequest urgent;
  urgent.low_priority = false;
  auto c = store_->compact(ns_, urgent);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.code(), Errc::no_space);
  EXPECT_NE(c.error().message().find("needs"), std::string::npos) << c.error().message();
  // Space comes back (an operator removes a file): the next deletion must
  // work at once, not a backoff later.
  ASSERT_EQ(::unlink(balloon.c_str()), 0);
  auto u = store_->unlink(ns_, kRootIno, "big", test::kT2);
  ASSERT_TRUE(u) << u.error().message();
  EXPECT_EQ(read_all(keep), kept);
  const Ino after = make(kRootIno, "after");
  write(after, 0, "written after the full disk");
  reopen();
  EXPECT_EQ(read_all(keep), kept);
  EXPECT_EQ(read_all(after), "written after the full disk");
  EXPECT_EQ(store_->lookup(ns_, kRootIno, "big").code(), Errc::not_found);
}

TEST(SpaceReclaimer, CompactsOnlyNamespacesHoldingDeletedData) {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<NsId> compacted;
  SpaceReclaimer r(
      [&] {
        std::lock_guard lock(mu);
        return std::vector<SpaceReclaimer::Family>{
            {1, 100u << 20, 10u << 20},  // 90 MiB deleted
            {2, 10u << 20, 9u << 20},    // 1 MiB: not worth a compaction
            {3, 50u << 20, 20u << 20},   // 30 MiB, but the compaction refuses
        };
      },
      [&](NsId ns, std::atomic<bool>* cancel) -> Status {
        EXPECT_NE(cancel, nullptr);
        std::lock_guard lock(mu);
        compacted.push_back(ns);
        cv.notify_all();
        if (ns == 3) return Error(Errc::no_space, "no room");
        return Status::ok();
      });
  r.request();
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return compacted.size() >= 2; }));
  EXPECT_EQ(compacted, (std::vector<NsId>{1, 3}));
}

}  // namespace
}  // namespace gcfs
