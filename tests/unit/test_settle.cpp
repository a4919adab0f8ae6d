// Settling: an idle namespace's file data recompressed with LZ4HC. The
// content, the checksums and the counters stay exact; a second pass finds
// nothing to do; a writer's newer data wins; cancel stops it.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <map>

#include "store/codec/chunk.hpp"
#include "store/testing/testing.hpp"
#include "store_fixture.hpp"

namespace gcfs {
namespace {

using test::random_bytes;
using test::text_bytes;

// Chunk values in the LSM tree (the daemon's default) and in blob files.
class SettleTest : public test::StoreTest, public ::testing::WithParamInterface<uint32_t> {
 protected:
  uint32_t min_blob_size() const override { return GetParam(); }

  // Files of every kind settling meets: inline, one chunk, many chunks with
  // a hole, incompressible.
  std::map<Ino, std::string> fill() {
    std::map<Ino, std::string> files;
    auto add = [&](const std::string& name, const std::string& data) {
      Ino ino = make(kRootIno, name);
      write(ino, 0, data);
      files[ino] = data;
    };
    add("inline", text_bytes(900, 1));
    add("one", text_bytes(3000, 2));
    add("many", text_bytes(40'000, 3));
    add("noise", random_bytes(20'000, 4));
    std::string holey = text_bytes(5000, 5);
    holey += std::string(3 * 4096, '\0');
    holey += text_bytes(6000, 6);
    add("holey", holey);
    return files;
  }

  SettleResult settle(std::atomic<bool>* cancel = nullptr, Timespec now = {}) {
    SettleRequest req;
    req.cancel = cancel;
    req.now = now;
    auto r = store_->settle(ns_, req);
    EXPECT_TRUE(r) << r.error().message();
    return r ? *r : SettleResult{};
  }

  void expect_clean() {
    auto r = store_->check(ns_, {});
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_TRUE(r->problems.empty()) << r->problems.front().reason;
  }
};

TEST(SettleChunk, RecompressesAnLz4ChunkAndReadsTheSame) {
  const std::string text = test::text_bytes(128 * 1024, 7);
  const std::string v = encode_chunk(5, 3, text);
  ASSERT_EQ(static_cast<uint8_t>(v[4]), kChunkLz4);
  auto s = settle_chunk(v, 5, 3);
  ASSERT_TRUE(s) << s.error().message();
  ASSERT_TRUE(s->has_value());
  const std::string& settled = **s;
  EXPECT_EQ(static_cast<uint8_t>(settled[4]), kChunkLz4Settled);
  EXPECT_LE(settled.size(), v.size());
  EXPECT_EQ(settled.substr(5, kChunkHeaderSize - 5), v.substr(5, kChunkHeaderSize - 5));
  auto d = decode_chunk(settled, 5, 3);
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(*d, text);
  // Nothing to do for a settled chunk or a raw one.
  auto again = settle_chunk(settled, 5, 3);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->has_value());
  auto raw = settle_chunk(encode_chunk(5, 4, test::random_bytes(5000, 8)), 5, 4);
  ASSERT_TRUE(raw);
  EXPECT_FALSE(raw->has_value());
}

TEST(SettleChunk, LeavesADamagedOrForeignChunkAlone) {
  const std::string v = encode_chunk(5, 3, test::text_bytes(10000, 9));
  EXPECT_EQ(settle_chunk(v, 6, 3).code(), Errc::corrupt);  // another inode's
  EXPECT_EQ(settle_chunk(v, 5, 2).code(), Errc::corrupt);  // another position
  std::string bad = v;
  bad[bad.size() - 3] ^= 0x55;
  EXPECT_EQ(settle_chunk(bad, 5, 3).code(), Errc::corrupt);
  EXPECT_EQ(settle_chunk("GCC", 5, 3).code(), Errc::corrupt);
}

TEST_P(SettleTest, ShrinksStoredBytesAndKeepsContentAndCounters) {
  auto files = fill();
  const uint64_t stored_before = store_->stats(ns_)->stored_bytes;
  const uint64_t logical = store_->stats(ns_)->logical_bytes;
  SettleResult r = settle();
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.files, 4u);  // all but the incompressible one
  EXPECT_GE(r.chunks, 1 + 1 + 10 + 3u);
  EXPECT_LT(r.bytes_after, r.bytes_before);
  EXPECT_FALSE(r.ranges.empty());
  const auto st = store_->stats(ns_);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->stored_bytes, stored_before - (r.bytes_before - r.bytes_after));
  EXPECT_EQ(st->logical_bytes, logical);
  expect_consistent();
  expect_clean();
  for (const auto& [ino, data] : files) EXPECT_EQ(read_all(ino), data) << ino;
  // Attributes are those of the content: size, mtime and ctime unchanged.
  auto a = store_->getattr(ns_, files.begin()->first);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->mtime, test::kT2);
  EXPECT_EQ(a->ctime, test::kT2);

  // Settled once: nothing left to do, even after a reopen.
  reopen();
  SettleResult again = settle();
  EXPECT_TRUE(again.complete);
  EXPECT_EQ(again.files, 0u);
  EXPECT_EQ(again.chunks, 0u);
  EXPECT_TRUE(again.ranges.empty());
  for (const auto& [ino, data] : files) EXPECT_EQ(read_all(ino), data) << ino;
  expect_clean();
}

TEST_P(SettleTest, ItsRangesHoldEveryReplacedValue) {
  auto files = fill();
  SettleResult r = settle();
  ASSERT_FALSE(r.ranges.empty());
  // Compacting only the ranges frees what compacting the whole family does.
  CompactRequest ranged;
  ranged.low_priority = false;
  ranged.ranges = r.ranges;
  ASSERT_TRUE(store_->compact(ns_, ranged));
  const auto after_ranges = store_->space(ns_);
  ASSERT_TRUE(after_ranges);
  CompactRequest whole;
  whole.low_priority = false;
  ASSERT_TRUE(store_->compact(ns_, whole));
  const auto after_whole = store_->space(ns_);
  ASSERT_TRUE(after_whole);
  EXPECT_LE(after_ranges->physical_bytes, after_whole->physical_bytes + 8 * 1024)
      << after_ranges->physical_bytes << " " << after_whole->physical_bytes;
  for (const auto& [ino, data] : files) EXPECT_EQ(read_all(ino), data) << ino;
  expect_consistent();
}

TEST_P(SettleTest, DataWrittenAfterwardsIsSettledByTheNextPass) {
  auto files = fill();
  settle();
  // A rewrite of part of a settled file: new LZ4 chunks next to settled ones.
  Ino many = 0;
  for (const auto& [ino, data] : files)
    if (data.size() == 40'000) many = ino;
  ASSERT_NE(many, 0u);
  const std::string patch = text_bytes(5000, 11);
  write(many, 6000, patch);
  files[many].replace(6000, patch.size(), patch);
  EXPECT_EQ(read_all(many), files[many]);
  SettleResult r = settle();
  EXPECT_EQ(r.files, 1u);
  EXPECT_GE(r.chunks, 2u);
  EXPECT_LE(r.chunks, 3u);
  for (const auto& [ino, data] : files) EXPECT_EQ(read_all(ino), data) << ino;
  expect_consistent();
  expect_clean();
}

TEST_P(SettleTest, FilesUnchangedSinceACompletePassAreNotReadAgain) {
  auto files = fill();
  const Timespec pass1{5000, 0};
  EXPECT_EQ(settle(nullptr, pass1).files, 4u);
  // Rewritten with a ctime before that pass (a clock that went back): not
  // looked at by the passes that follow, until the daemon starts again.
  auto commit_at = [&](Ino ino, std::string_view data, Timespec t) {
    auto pw = store_->begin_write(ns_, ino);
    ASSERT_TRUE(pw);
    ASSERT_TRUE((*pw)->write(0, data));
    ASSERT_TRUE(store_->commit(**pw, t));
  };
  Ino many = 0;
  for (const auto& [ino, data] : files)
    if (data.size() == 40'000) many = ino;
  ASSERT_NE(many, 0u);
  const std::string patch = text_bytes(5000, 12);
  commit_at(many, patch, Timespec{3000, 0});
  files[many].replace(0, patch.size(), patch);
  EXPECT_EQ(settle(nullptr, Timespec{6000, 0}).files, 0u);
  // Changed after the pass began (ctime >= its start less a second): looked at.
  commit_at(many, patch, Timespec{5999, 500});
  SettleResult r = settle(nullptr, Timespec{7000, 0});
  EXPECT_EQ(r.files, 1u);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(settle(nullptr, Timespec{8000, 0}).files, 0u);
  for (const auto& [ino, data] : files) EXPECT_EQ(read_all(ino), data) << ino;
  expect_consistent();
  expect_clean();
}

TEST_P(SettleTest, ANewStoreLooksAtEveryFileAgain) {
  auto files = fill();
  EXPECT_EQ(settle(nullptr, Timespec{5000, 0}).files, 4u);
  Ino many = 0;
  for (const auto& [ino, data] : files)
    if (data.size() == 40'000) many = ino;
  auto pw = store_->begin_write(ns_, many);
  ASSERT_TRUE(pw);
  ASSERT_TRUE((*pw)->write(0, text_bytes(5000, 13)));
  ASSERT_TRUE(store_->commit(**pw, Timespec{3000, 0}));
  EXPECT_EQ(settle(nullptr, Timespec{6000, 0}).files, 0u);
  reopen();
  EXPECT_EQ(settle(nullptr, Timespec{7000, 0}).files, 1u);
  expect_clean();
}

TEST_P(SettleTest, AWriteSinceTheIdleSequenceStopsThePass) {
  fill();
  const uint64_t idle = store_->write_sequence();
  make(kRootIno, "late");  // a build came
  SettleRequest req;
  req.from_sequence = idle;
  auto r = store_->settle(ns_, req);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->complete);
  EXPECT_EQ(r->files, 0u);
  // From the current sequence it runs, and ends where its own writes left it.
  req.from_sequence = store_->write_sequence();
  r = store_->settle(ns_, req);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->complete);
  EXPECT_EQ(r->files, 4u);
  EXPECT_EQ(r->sequence, store_->write_sequence());
}

TEST_P(SettleTest, AFamilySharingItsFilesWithASnapshotIsLeftAlone) {
  auto files = fill();
  ASSERT_TRUE(store_->flush_memtables());  // SST files, which the snapshot links
  ASSERT_TRUE(store_->create_snapshot("s1", "go1.19"));
  SettleResult r = settle();
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.files, 0u);  // new files would not free the shared ones
  ASSERT_TRUE(store_->delete_snapshot("s1"));
  EXPECT_EQ(settle().files, 4u);
  for (const auto& [ino, data] : files) EXPECT_EQ(read_all(ino), data) << ino;
  expect_clean();
}

TEST_P(SettleTest, CancelStopsBeforeTheNextFile) {
  fill();
  std::atomic<bool> cancel{true};
  SettleResult r = settle(&cancel);
  EXPECT_FALSE(r.complete);
  EXPECT_EQ(r.files, 0u);
  expect_consistent();
}

TEST_P(SettleTest, WriteSequenceMovesWithEveryWrite) {
  const uint64_t s0 = store_->write_sequence();
  EXPECT_EQ(store_->write_sequence(), s0);
  make(kRootIno, "x");
  const uint64_t s1 = store_->write_sequence();
  EXPECT_GT(s1, s0);
  read_all(store_->lookup(ns_, kRootIno, "x")->ino);
  EXPECT_EQ(store_->write_sequence(), s1);  // reads are not writes
}

TEST_P(SettleTest, ManyFilesEachSettledOnceAndCountedExactly) {
  std::map<Ino, std::string> files;
  for (int i = 0; i < 300; ++i) {
    Ino ino = make(kRootIno, fmt::format("f{}", i));
    files[ino] = text_bytes(500 + 97 * i, 100 + i);
    write(ino, 0, files[ino]);
  }
  SettleResult r = settle();
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.files, 300u);
  expect_consistent();
  ASSERT_TRUE(testing::flush_memtables(*store_));
  for (const auto& [ino, data] : files) ASSERT_EQ(read_all(ino), data) << ino;
  expect_clean();
}

INSTANTIATE_TEST_SUITE_P(Families, SettleTest, ::testing::Values(0u, 2048u),
                         [](const auto& info) { return info.param ? "blobs" : "lsm"; });

}  // namespace
}  // namespace gcfs
