// Eviction never takes what a build uses (issue 10): the check and the
// unlink are one store mutation, a namespace a swap replaced is a snapshot
// the space policy leaves alone, and entries used recently (or named by a
// recently used action, or in a namespace swapped recently) stay even when
// a size limit is exceeded by them.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <ctime>

#include "forwarding_store.hpp"
#include "policy/runtime/space_manager.hpp"
#include "store/snapshots.hpp"
#include "store_fixture.hpp"

namespace gcfs {
namespace {

using policy::SpaceManager;
using policy::SpaceOptions;

int64_t now_ns() {
  struct timespec ts {};
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
}

Timespec now_ts() {
  const int64_t n = now_ns();
  return {n / 1'000'000'000, static_cast<uint32_t>(n % 1'000'000'000)};
}

std::string action_content(char action, const std::string& output) {
  return fmt::format("v1 {} {} {:20d} {:20d}\n", std::string(64, action), output, 1000, 1);
}

class EvictionTest : public test::StoreTest {
 protected:
  Ino put(Ino parent, const std::string& name, const std::string& data) {
    const Ino ino = make(parent, name);
    write(ino, 0, data);
    return ino;
  }
  void use(Ino ino, int64_t time_ns) {
    FileUse u;
    u.ino = ino;
    u.time_ns = time_ns;
    ASSERT_TRUE(store_->record_uses(ns_, std::span<const FileUse>(&u, 1)));
  }
  bool exists(Ino parent, const std::string& name) {
    return static_cast<bool>(store_->lookup(ns_, parent, name));
  }
};

TEST_F(EvictionTest, UnlinkIfUnusedChecksTheInodeAndTheLastUseInOneStep) {
  const Ino a = put(kRootIno, "f", "first");
  auto gone = store_->unlink(ns_, kRootIno, "f", test::kT2);
  ASSERT_TRUE(gone);
  ASSERT_TRUE(store_->purge(ns_, *gone));
  const Ino b = put(kRootIno, "f", "second");
  // The name now names another inode: nothing happens.
  auto r = store_->unlink_if_unused(ns_, kRootIno, "f", a, INT64_MAX, test::kT2);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*r, UnlinkIf::changed);
  EXPECT_EQ(read_all(b), "second");
  // Used at or after the cutoff: nothing happens.
  use(b, 5'000'000'000'000);
  r = store_->unlink_if_unused(ns_, kRootIno, "f", b, 5'000'000'000'000, test::kT2);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, UnlinkIf::used);
  EXPECT_TRUE(exists(kRootIno, "f"));
  r = store_->unlink_if_unused(ns_, kRootIno, "f", b, 5'000'000'000'001, test::kT2);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, UnlinkIf::unlinked);
  EXPECT_FALSE(exists(kRootIno, "f"));
  EXPECT_EQ(store_->stats(ns_)->orphans, 1u);  // purged by whoever holds it last
  EXPECT_EQ(read_all(b), "second");
  ASSERT_TRUE(store_->purge(ns_, b));
  expect_consistent();
}

// A file replaced under the same name between the moment eviction chose the
// old one and its unlink: the new file must survive. (Before: eviction looked
// the name up, then unlinked by name, and removed the new file.)
class ReplacingStore : public test::ForwardingStore {
 public:
  ReplacingStore(Store& inner, NsId ns) : ForwardingStore(inner), ns_(ns) {}
  Result<Ino> unlink(NsId ns, Ino parent, std::string_view name, Timespec now) override {
    replace_once(name);
    return s_.unlink(ns, parent, name, now);
  }
  Result<UnlinkIf> unlink_if_unused(NsId ns, Ino parent, std::string_view name, Ino ino,
                                    int64_t used_before_ns, Timespec now,
                                    std::vector<EntryName>* other_names) override {
    replace_once(name);
    return s_.unlink_if_unused(ns, parent, name, ino, used_before_ns, now, other_names);
  }
  Ino replacement = 0;

 private:
  void replace_once(std::string_view name) {
    if (name != "victim" || replacement != 0) return;
    auto old = s_.unlink(ns_, kRootIno, name, test::kT2);
    ASSERT_TRUE(old);
    ASSERT_TRUE(s_.purge(ns_, *old));
    auto a = s_.mknode(ns_, kRootIno, name, S_IFREG | 0644, {}, now_ts());
    ASSERT_TRUE(a);
    replacement = a->ino;
    auto pw = s_.begin_write(ns_, a->ino);
    ASSERT_TRUE((*pw)->write(0, "the new file"));
    ASSERT_TRUE(s_.commit(**pw, now_ts()));
  }
  NsId ns_;
};

TEST_F(EvictionTest, EvictionNeverRemovesAFileThatReplacedTheChosenOne) {
  put(kRootIno, "victim", std::string(10'000, 'v'));  // created at kT1: the oldest
  ReplacingStore racing(*store_, ns_);
  policy::SpaceManager mgr(racing, policy::SpaceOptions{});
  auto r = mgr.evict_to(0);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_NE(racing.replacement, 0u);
  auto now = store_->lookup(ns_, kRootIno, "victim");
  ASSERT_TRUE(now) << "eviction removed the file that replaced the one it chose";
  EXPECT_EQ(now->ino, racing.replacement);
  EXPECT_EQ(read_all(racing.replacement), "the new file");
  expect_consistent();
}

TEST_F(EvictionTest, ASwappedOutNamespaceIsASnapshotThatTheSpacePolicyLeavesAlone) {
  const Ino f = put(kRootIno, "f", std::string(5000, 'x'));
  ASSERT_TRUE(store_->create_snapshot("s1", "go1.19"));
  auto swapped = store_->swap_snapshot("s1", "go1.19");
  ASSERT_TRUE(swapped) << swapped.error().message();
  const NsId old_id = swapped->old_id;
  ASSERT_EQ(old_id, ns_);
  const NsStats before = store_->stats(old_id).value();
  FileUse u;
  u.ino = f;
  u.time_ns = now_ns();
  // Uses still addressed to the old id (a build's cached inodes) must not
  // write into what is now snapshot auto-go1.19-...
  EXPECT_EQ(store_->record_uses(old_id, std::span<const FileUse>(&u, 1)).code(), Errc::not_found);
  EXPECT_EQ(store_->lru_oldest(old_id, 10).code(), Errc::not_found);
  EXPECT_EQ(store_->unlink_if_unused(old_id, kRootIno, "f", f, INT64_MAX, test::kT2).code(),
            Errc::not_found);
  EXPECT_EQ(store_->stats(old_id).value(), before);
  auto auto_snap = store_->find_snapshot(swapped->auto_snapshot);
  ASSERT_TRUE(auto_snap);
  EXPECT_EQ(auto_snap->stats, before);
  // The new id is the namespace: its index works.
  ASSERT_TRUE(store_->record_uses(swapped->new_id, std::span<const FileUse>(&u, 1)));
  EXPECT_EQ(store_->lru_oldest(swapped->new_id, 10)->size(), 1u);
}

TEST_F(EvictionTest, EntriesUsedRecentlyStayAndTheExcessIsReported) {
  std::vector<Ino> files;
  for (int i = 0; i < 10; ++i) files.push_back(put(kRootIno, fmt::format("f{}", i), "data"));
  for (int i = 0; i < 5; ++i) use(files[i], now_ns());  // in use: the other five are old
  policy::SpaceOptions so;
  so.limits.max_bytes = store_->stats(ns_)->live_bytes / 4;  // less than the five in use
  policy::SpaceManager mgr(*store_, so);
  // Rounds estimate what they free and re-read the exact figures next time.
  auto r = mgr.enforce_limits();
  uint64_t evicted = 0;
  for (int round = 0; r && r->files > 0 && round < 10; ++round) {
    evicted += r->files;
    r = mgr.enforce_limits();
  }
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(evicted, 5u);
  EXPECT_GT(r->short_bytes, 0u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(exists(kRootIno, fmt::format("f{}", i)), i < 5) << i;
  EXPECT_GT(mgr.in_use_excess_bytes(), 0u);
  EXPECT_GE(mgr.counters().snapshot().limit_in_use_rounds, 1u);
  // Manual eviction respects it too, and reports what it kept.
  auto manual = mgr.evict_to(0);
  ASSERT_TRUE(manual);
  EXPECT_EQ(manual->files, 0u);
  EXPECT_GT(manual->short_bytes, 0u);
  // Without the protection they go.
  so.protect_recent = std::chrono::seconds(0);
  policy::SpaceManager unprotected(*store_, so);
  EXPECT_GT(unprotected.enforce_limits()->files, 0u);
  while (unprotected.enforce_limits()->files > 0) {
  }
  EXPECT_LE(store_->stats(ns_)->live_bytes, so.limits.max_bytes);
  EXPECT_EQ(unprotected.in_use_excess_bytes(), 0u);
  // An operator's --include-recent takes the rest.
  auto all = mgr.evict_to(0, /*include_recent=*/true);
  ASSERT_TRUE(all);
  EXPECT_GT(all->files, 0u);
  EXPECT_EQ(all->short_bytes, 0u);
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(exists(kRootIno, fmt::format("f{}", i))) << i;
  expect_consistent();
}

TEST_F(EvictionTest, AnOutputNamedByARecentlyUsedActionStays) {
  const Ino aa = make(kRootIno, "aa", S_IFDIR | 0755);
  const Ino bb = make(kRootIno, "bb", S_IFDIR | 0755);
  const std::string out = "bb" + std::string(62, '0');
  // Two actions name one output; only the second was used recently. The
  // output's own index entry is old: the go command stats it without the
  // daemon seeing it.
  const Ino a1 = put(aa, std::string(64, '1') + "-a", action_content('1', out));
  const Ino a2 = put(aa, std::string(64, '2') + "-a", action_content('2', out));
  const Ino d = put(bb, out + "-d", std::string(3000, 'd'));
  use(a2, now_ns());
  policy::SpaceManager mgr(*store_, policy::SpaceOptions{});
  mgr.note_action_uses(ns_, {{a2, now_ns()}});
  auto r = mgr.evict_to(0);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_FALSE(exists(aa, std::string(64, '1') + "-a"));  // old: went
  EXPECT_TRUE(exists(aa, std::string(64, '2') + "-a"));   // used
  EXPECT_TRUE(exists(bb, out + "-d")) << "the output of a recently used action was evicted";
  EXPECT_EQ(store_->stats(ns_)->orphans, 0u);
  (void)a1;
  (void)d;
  expect_consistent();
}

TEST_F(EvictionTest, NothingOfANamespaceGoesRightAfterASwap) {
  for (int i = 0; i < 5; ++i) put(kRootIno, fmt::format("f{}", i), "data");  // old uses
  policy::SpaceOptions so;
  so.limits.max_bytes = store_->stats(ns_)->live_bytes / 2;
  policy::SpaceManager mgr(*store_, so);
  mgr.note_swap(ns_);
  auto r = mgr.enforce_limits();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->files, 0u);
  EXPECT_GT(mgr.in_use_excess_bytes(), 0u);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(exists(kRootIno, fmt::format("f{}", i)));
  auto trimmed = mgr.trim_unused(std::chrono::seconds(0), /*include_recent=*/true);
  ASSERT_TRUE(trimmed);
  EXPECT_EQ(trimmed->files, 5u);
}

}  // namespace
}  // namespace gcfs
