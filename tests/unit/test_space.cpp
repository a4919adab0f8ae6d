// Space: live-byte accounting against the disk, compaction, the LRU index,
// eviction order and -a/-d pairing, through Store and SpaceManager (no FUSE).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>

#include "policy/runtime/space_manager.hpp"
#include "store/pending_write.hpp"
#include "store/testing/testing.hpp"
#include "store_fixture.hpp"

namespace gcfs {
namespace {

using policy::SpaceManager;
using policy::SpaceOptions;
using test::random_bytes;
using test::text_bytes;

constexpr uint64_t MiB = 1 << 20;
constexpr int64_t kBase = 3'000'000'000'000;  // ns, after kT1 and kT2

// `du -sk` of a directory, in bytes: the figure the issue asks to agree with.
uint64_t du_bytes(const std::string& dir) {
  std::string cmd = "du -sk '" + dir + "'";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return 0;
  unsigned long long kb = 0;
  if (fscanf(p, "%llu", &kb) != 1) kb = 0;
  pclose(p);
  return kb * 1024;
}

int64_t now_ns() {
  struct timespec ts {};
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
}

class SpaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.path = dir_.path() + "/store";
    options_.reserve_bytes = 0;
    options_.write_buffer_bytes = 4 * MiB;  // flushes happen within a test
    reopen();
    auto ns = store_->create_namespace("go1.19", 0755, {});
    ASSERT_TRUE(ns);
    ns_ = ns->id;
  }
  void reopen() {
    store_.reset();
    auto s = open_rocks_store(options_);
    ASSERT_TRUE(s) << s.error().message();
    store_ = std::move(s).value();
  }
  Ino put(Ino parent, const std::string& name, const std::string& data) {
    auto a = store_->mknode(ns_, parent, name, S_IFREG | 0644, {}, test::kT1);
    EXPECT_TRUE(a) << a.error().message();
    if (!a) return 0;
    auto pw = store_->begin_write(ns_, a->ino);
    EXPECT_TRUE((*pw)->write(0, data));
    EXPECT_TRUE(store_->commit(**pw, test::kT2));
    return a->ino;
  }
  Ino dir(Ino parent, const std::string& name) {
    return store_->mknode(ns_, parent, name, S_IFDIR | 0755, {}, test::kT1)->ino;
  }
  std::string read_all(Ino ino) {
    auto a = store_->getattr(ns_, ino);
    std::string out(a->size, '\0');
    auto n = store_->read(ns_, ino, 0, std::span<char>(out.data(), out.size()));
    EXPECT_TRUE(n);
    return out;
  }
  bool exists(Ino parent, const std::string& name) {
    return static_cast<bool>(store_->lookup(ns_, parent, name));
  }
  // A use at `t` ns after the files' creation time (kT1).
  void use(Ino ino, int64_t t, bool mtime = false) {
    FileUse u;
    u.ino = ino;
    u.time_ns = t < kBase / 2 ? kBase + t : t;
    u.from_mtime = mtime;
    ASSERT_TRUE(store_->record_uses(ns_, std::span<const FileUse>(&u, 1)));
  }
  void expect_exact() {
    auto st = store_->stats(ns_);
    auto rc = store_->recount(ns_);
    ASSERT_TRUE(st && rc);
    EXPECT_EQ(*st, *rc);
  }

  test::TempDir dir_;
  StoreOptions options_;
  std::unique_ptr<Store> store_;
  NsId ns_ = 0;
};

TEST_F(SpaceTest, PhysicalBytesAgreeWithDu) {
  for (int i = 0; i < 60; ++i) {
    put(kRootIno, fmt::format("f{}", i), i % 2 ? random_bytes(400'000, i) : text_bytes(600'000, i));
  }
  for (int round = 0; round < 2; ++round) {  // with a WAL and memtables, then flushed
    // Background flushes and compactions change the directory (an output
    // being written is preallocated and not yet listed): compare once it is
    // quiet, du and the store's files the same before and after a pause.
    Result<StoreSpace> all = Error(Errc::io, "not measured");
    uint64_t du = 0;
    for (int tries = 0; tries < 50; ++tries) {
      const uint64_t du0 = du_bytes(options_.path);
      const uint64_t sst0 = store_->space(ns_)->sst_bytes;
      usleep(300'000);
      all = store_->space_all();
      du = du_bytes(options_.path);
      if (du == du0 && all && all->namespaces.at(0).stats.sst_bytes == sst0) break;
    }
    ASSERT_TRUE(all) << all.error().message();
    const auto& t = all->total;
    EXPECT_NEAR(static_cast<double>(t.physical_bytes), static_cast<double>(du), 0.05 * du)
        << "round " << round;
    ASSERT_EQ(all->namespaces.size(), 1u);
    const auto& ns = all->namespaces[0].stats;
    // The namespace owns all of it but the WAL's unattributed part (its
    // preallocation) and small files (registry, MANIFEST, OPTIONS).
    EXPECT_LE(ns.physical_bytes, t.physical_bytes);
    EXPECT_LE(t.physical_bytes, ns.physical_bytes + t.wal_bytes + MiB) << "round " << round;
    EXPECT_GE(ns.physical_bytes, ns.live_bytes * 9 / 10);
    EXPECT_GT(ns.live_bytes, ns.stored_bytes);
    uint64_t blocks = 0;
    for (auto n : ns.histogram) blocks += n;
    auto one = store_->space(ns_);
    ASSERT_TRUE(one);
    EXPECT_EQ(blocks, one->blocks.size());
    reopen();  // flushes every memtable: the WAL goes
  }
}

TEST_F(SpaceTest, FlushingTheMemtablesLetsTheWriteAheadLogGo) {
  std::vector<Ino> files;
  for (int i = 0; i < 5; ++i)
    files.push_back(put(kRootIno, fmt::format("f{}", i), random_bytes(300'000, i)));
  auto before = store_->space_all();
  ASSERT_TRUE(before);
  EXPECT_GT(before->total.wal_bytes, 100'000u);  // below a memtable: nothing flushed yet
  EXPECT_GT(store_->engine_stats().memtables_bytes, 100'000u);
  const NsStats stats = store_->stats(ns_).value();
  ASSERT_TRUE(store_->flush_memtables());
  auto after = store_->space_all();
  ASSERT_TRUE(after);
  EXPECT_LT(after->total.wal_bytes, 4096u);  // a new, empty log
  EXPECT_LT(store_->engine_stats().memtables_bytes, 100'000u);
  EXPECT_EQ(store_->stats(ns_).value(), stats);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(read_all(files[i]), random_bytes(300'000, i));
  // Without preallocation, what du shows is what the store's files hold.
  EXPECT_LE(du_bytes(options_.path), after->total.physical_bytes + 2 * MiB);
}

TEST_F(SpaceTest, CompactionReturnsPhysicalToLive) {
  std::map<Ino, std::string> kept;
  std::vector<std::string> names;
  for (int i = 0; i < 50; ++i) {
    std::string data = random_bytes(300'000, i) + text_bytes(300'000, i);
    Ino ino = put(kRootIno, fmt::format("f{}", i), data);
    if (i % 5 == 0) {
      kept[ino] = data;
    } else {
      names.push_back(fmt::format("f{}", i));
    }
  }
  reopen();  // everything in SST files
  for (const auto& n : names) {
    auto ino = store_->unlink(ns_, kRootIno, n, test::kT2);
    ASSERT_TRUE(ino);
    ASSERT_TRUE(store_->purge(ns_, *ino));
  }
  auto before = store_->space(ns_).value();
  EXPECT_LT(before.occupancy(), 0.5);
  policy::SpaceOptions so;
  so.compaction.min_physical_bytes = 1 * MiB;
  so.compaction.min_garbage_bytes = 1 * MiB;
  policy::SpaceManager mgr(*store_, so);
  ASSERT_TRUE(mgr.compaction_round());
  auto after = store_->space(ns_).value();
  EXPECT_LE(after.physical_bytes, after.live_bytes * 5 / 4)
      << "before " << before.physical_bytes << " live " << after.live_bytes;
  for (const auto& [ino, data] : kept) EXPECT_EQ(read_all(ino), data);
  expect_exact();
  // Nothing left to gain: the next round does nothing (no loop).
  ASSERT_TRUE(mgr.compaction_round());
  EXPECT_EQ(store_->space(ns_)->physical_bytes, after.physical_bytes);
}

TEST_F(SpaceTest, LruIndexFollowsCreatesUsesAndUnlinks) {
  Ino a = put(kRootIno, "a", "aaa");
  Ino b = put(kRootIno, "b", "bbb");
  Ino c = put(kRootIno, "c", "ccc");
  use(a, 300);
  use(b, 100);
  use(c, 200);
  use(c, 150);  // older than the recorded use: ignored
  auto l = store_->lru_oldest(ns_, 10).value();
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[0].ino, b);
  EXPECT_EQ(l[0].name, "b");
  EXPECT_EQ(l[1].ino, c);
  EXPECT_EQ(l[2].ino, a);
  use(a, 50, true);  // an mtime set back by the user counts
  EXPECT_EQ(store_->lru_oldest(ns_, 1)->at(0).ino, a);
  EXPECT_EQ(*store_->last_use_ns(ns_, a), kBase + 50);
  auto gone = store_->unlink(ns_, kRootIno, "a", test::kT2);
  ASSERT_TRUE(gone);
  EXPECT_EQ(store_->lru_oldest(ns_, 10)->size(), 2u);
  expect_exact();
  ASSERT_TRUE(store_->purge(ns_, *gone));
  expect_exact();
}

TEST_F(SpaceTest, EvictsOldestFirstWithActionOutputs) {
  const Ino aa = dir(kRootIno, "aa"), bb = dir(kRootIno, "bb"), cc = dir(kRootIno, "cc");
  auto out_id = [](char c) { return std::string(2, c) + std::string(62, '0'); };
  auto action = [&](char c, const std::string& output) {
    return fmt::format("v1 {} {} {:20d} {:20d}\n", std::string(64, c), output, 1000, 1);
  };
  const std::string a1 = std::string(64, '1') + "-a", a2 = std::string(64, '2') + "-a";
  const std::string d1 = out_id('b') + "-d", d2 = out_id('c') + "-d";
  const Ino ia1 = put(aa, a1, action('1', out_id('b')));
  const Ino id1 = put(bb, d1, random_bytes(200'000, 1));
  const Ino ia2 = put(aa, a2, action('2', out_id('c')));
  const Ino id2 = put(cc, d2, random_bytes(200'000, 2));
  const Ino ix = put(kRootIno, "x", random_bytes(100'000, 3));
  use(ia1, 100);
  use(id1, 100);  // used with its action only: goes with it
  use(ia2, 110);
  use(id2, 500);  // used since by something else: stays
  use(ix, 300);

  policy::SpaceManager mgr(*store_, policy::SpaceOptions{});
  auto usage = [&] { return mgr.usage()->at(ns_); };
  auto r = mgr.evict_to(usage() - 1);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->files, 2u);
  EXPECT_FALSE(exists(aa, a1));
  EXPECT_FALSE(exists(bb, d1));
  EXPECT_TRUE(exists(aa, a2));
  r = mgr.evict_to(usage() - 1);
  EXPECT_EQ(r->files, 1u);
  EXPECT_FALSE(exists(aa, a2));
  EXPECT_TRUE(exists(cc, d2));
  EXPECT_TRUE(exists(kRootIno, "x"));
  // Next: x (300) before d2 (500).
  r = mgr.evict_to(usage() - 1);
  EXPECT_FALSE(exists(kRootIno, "x"));
  EXPECT_TRUE(exists(cc, d2));
  expect_exact();
  EXPECT_EQ(store_->stats(ns_)->orphans, 0u);
  EXPECT_EQ(store_->lru_oldest(ns_, 10)->size(), 1u);
  (void)id1;
}

TEST_F(SpaceTest, LimitsEvictDownToTheLowWatermark) {
  for (int i = 0; i < 20; ++i) put(kRootIno, fmt::format("f{}", i), random_bytes(100'000, i));
  for (int i = 0; i < 20; ++i) use(store_->lookup(ns_, kRootIno, fmt::format("f{}", i))->ino, i);
  policy::SpaceOptions so;
  so.limits.max_bytes = 1 * MiB;
  so.limits.low_watermark = 0.5;
  policy::SpaceManager mgr(*store_, so);
  auto r = mgr.enforce_limits();
  ASSERT_TRUE(r);
  const uint64_t live = mgr.usage()->at(ns_);
  EXPECT_LE(live, MiB / 2);
  EXPECT_GT(live, MiB / 2 - 110'000);    // not more than needed
  EXPECT_FALSE(exists(kRootIno, "f0"));  // the oldest went
  EXPECT_TRUE(exists(kRootIno, "f19"));  // the newest stayed
  // Under the limit: nothing more goes.
  EXPECT_EQ(mgr.enforce_limits()->files, 0u);
  expect_exact();
}

TEST_F(SpaceTest, TrimEvictsWhatWasNotUsedRecently) {
  Ino old_f = put(kRootIno, "old", "o");
  Ino new_f = put(kRootIno, "new", "n");
  use(old_f, now_ns() - 7200LL * 1'000'000'000, true);
  use(new_f, now_ns());
  policy::SpaceManager mgr(*store_, policy::SpaceOptions{});
  auto r = mgr.trim_unused(std::chrono::hours(1));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->files, 1u);
  EXPECT_FALSE(exists(kRootIno, "old"));
  EXPECT_TRUE(exists(kRootIno, "new"));
}

TEST_F(SpaceTest, EvictionsAndCompactionsAreCountedByNamespaceName) {
  for (int i = 0; i < 10; ++i) put(kRootIno, fmt::format("f{}", i), random_bytes(100'000, i));
  policy::SpaceManager mgr(*store_, policy::SpaceOptions{});
  auto r = mgr.evict_to(mgr.usage()->at(ns_) - 250'000);
  ASSERT_TRUE(r);
  ASSERT_GT(r->files, 0u);
  ASSERT_TRUE(mgr.compact_now());
  const auto snap = mgr.counters().snapshot();
  ASSERT_TRUE(snap.ns.contains("go1.19"));
  const auto& c = snap.ns.at("go1.19");
  EXPECT_EQ(c.evictions, r->files);
  EXPECT_EQ(c.evicted_bytes, r->bytes);
  EXPECT_EQ(c.compactions[static_cast<size_t>(policy::CompactionKind::manual)], 1u);
  EXPECT_EQ(c.compactions[static_cast<size_t>(policy::CompactionKind::background)], 0u);
  EXPECT_GT(c.compacted_bytes, 0u);  // the evicted files' data went
  const auto& h = snap.durations[static_cast<size_t>(policy::CompactionKind::manual)];
  EXPECT_EQ(h.count, 1u);
  uint64_t in_buckets = 0;
  for (uint64_t n : h.buckets) in_buckets += n;
  EXPECT_EQ(in_buckets, 1u);
}

TEST_F(SpaceTest, StoreWithoutLiveCounterIsRecountedAtOpen) {
  put(kRootIno, "a", random_bytes(300'000, 1));
  put(kRootIno, "b", "small");
  auto orphan = store_->unlink(ns_, kRootIno, "b", test::kT2);  // purged at open
  ASSERT_TRUE(orphan);
  // As a store written before the counter existed.
  ASSERT_TRUE(testing::delete_raw(*store_, ns_, "Slive_bytes"));
  EXPECT_EQ(store_->stats(ns_)->live_bytes, 0u);
  reopen();
  EXPECT_GT(store_->stats(ns_)->live_bytes, 300'000u);
  expect_exact();
}

}  // namespace
}  // namespace gcfs
