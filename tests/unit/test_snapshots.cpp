// Snapshots inside the store: create (hard-linked), list, delete, swap, and
// what survives a reopen.
#include <gtest/gtest.h>

#include "snapshot_fixture.hpp"

namespace gcfs::test {
namespace {

TEST_F(SnapshotTest, CreateCapturesPointInTime) {
  auto before = tree(ns_);
  auto snap = store_->create_snapshot("s1", "go1.19.8");
  ASSERT_TRUE(snap) << snap.error().message();
  EXPECT_EQ(snap->source_ns, "go1.19.8");
  EXPECT_EQ(snap->go_version, "go1.19.8");
  EXPECT_EQ(snap->stats, *store_->stats(ns_));
  // Later changes to the namespace do not reach the snapshot.
  write(make(kRootIno, "later"), 0, "new");
  auto list = store_->list_snapshots();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].stats.files, before.size() - 1 /* ab/ */);
  // Swap it in: the namespace shows the captured tree again.
  auto sw = store_->swap_snapshot("s1", "go1.19.8");
  ASSERT_TRUE(sw) << sw.error().message();
  EXPECT_EQ(tree(ns_id("go1.19.8")), before);
  expect_consistent();
}

TEST_F(SnapshotTest, NamesAndErrors) {
  EXPECT_EQ(store_->create_snapshot("s1", "nope").code(), Errc::not_found);
  EXPECT_EQ(store_->create_snapshot("bad/name", "go1.19.8").code(), Errc::invalid);
  ASSERT_TRUE(store_->create_snapshot("s1", "go1.19.8"));
  EXPECT_EQ(store_->create_snapshot("s1", "go1.19.8").code(), Errc::exists);
  EXPECT_EQ(store_->delete_snapshot("nope").code(), Errc::not_found);
  EXPECT_EQ(store_->swap_snapshot("nope", "go1.19.8").code(), Errc::not_found);
  EXPECT_EQ(store_->swap_snapshot("s1", "nope").code(), Errc::not_found);
  ASSERT_TRUE(store_->delete_snapshot("s1"));
  EXPECT_TRUE(store_->list_snapshots()->empty());
}

TEST_F(SnapshotTest, SwapKeepsOldContentAndOldIdReachable) {
  ASSERT_TRUE(store_->create_snapshot("s1", "go1.19.8"));
  write(make(kRootIno, "after"), 0, "after the snapshot");
  auto live_before = tree(ns_);
  const NsId old_id = ns_;
  auto sw = store_->swap_snapshot("s1", "go1.19.8");
  ASSERT_TRUE(sw) << sw.error().message();
  EXPECT_EQ(sw->old_id, old_id);
  EXPECT_NE(sw->new_id, old_id);
  EXPECT_EQ(ns_id("go1.19.8"), sw->new_id);
  // In-flight users of the old id still work on the old family.
  EXPECT_TRUE(store_->lookup(old_id, kRootIno, "after"));
  EXPECT_EQ(store_->lookup(sw->new_id, kRootIno, "after").code(), Errc::not_found);
  // The old content is an automatic snapshot; swapping it back restores it.
  auto autos = store_->find_snapshot(sw->auto_snapshot);
  ASSERT_TRUE(autos) << sw->auto_snapshot;
  EXPECT_TRUE(sw->auto_snapshot.starts_with("auto-go1.19.8-"));
  ASSERT_TRUE(store_->swap_snapshot(sw->auto_snapshot, "go1.19.8"));
  EXPECT_EQ(tree(ns_id("go1.19.8")), live_before);
  // The namespace list shows one namespace, not the swapped-out ones.
  EXPECT_EQ(store_->list_namespaces()->size(), 1u);
}

TEST_F(SnapshotTest, SwappedNamespaceIsWritable) {
  ASSERT_TRUE(store_->create_snapshot("s1", "go1.19.8"));
  ASSERT_TRUE(store_->swap_snapshot("s1", "go1.19.8"));
  ns_ = ns_id("go1.19.8");
  Ino f = make(kRootIno, "fresh");
  write(f, 0, text_bytes(9000, 9));
  EXPECT_EQ(read_all(f), text_bytes(9000, 9));
  expect_consistent();
  // The snapshot itself did not change.
  EXPECT_EQ(store_->find_snapshot("s1")->stats.files + 1, store_->stats(ns_)->files);
}

TEST_F(SnapshotTest, SurviveReopen) {
  auto before = tree(ns_);
  ASSERT_TRUE(store_->create_snapshot("s1", "go1.19.8"));
  auto sw = store_->swap_snapshot("s1", "go1.19.8");
  ASSERT_TRUE(sw);
  write(make(kRootIno, "x"), 0, "y");  // the old family, by id
  reopen();
  auto list = store_->list_snapshots();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ(store_->list_namespaces()->size(), 1u);
  ns_ = ns_id("go1.19.8");
  EXPECT_EQ(tree(ns_), before);
  // The auto snapshot (old family) is still swappable after a reopen.
  ASSERT_TRUE(store_->swap_snapshot(sw->auto_snapshot, "go1.19.8"));
  EXPECT_TRUE(store_->lookup(ns_id("go1.19.8"), kRootIno, "x"));
  // And the new ids keep growing past every family.
  auto ns2 = store_->create_namespace("other", 0755, Credentials{});
  ASSERT_TRUE(ns2);
  auto after = store_->list_snapshots();
  ASSERT_TRUE(after);
  for (const auto& s : *after) EXPECT_NE(s.id, ns2->id);
}

TEST_F(SnapshotTest, DeleteIsPermanent) {
  ASSERT_TRUE(store_->create_snapshot("s1", "go1.19.8"));
  ASSERT_TRUE(store_->delete_snapshot("s1"));
  reopen();
  EXPECT_TRUE(store_->list_snapshots()->empty());
  EXPECT_EQ(store_->find_snapshot("s1").code(), Errc::not_found);
}

TEST_F(SnapshotTest, GoVersionNames) {
  EXPECT_TRUE(looks_like_go_version("go1.19.8"));
  EXPECT_TRUE(looks_like_go_version("go1.21rc2"));
  EXPECT_TRUE(looks_like_go_version("go1.22"));
  EXPECT_FALSE(looks_like_go_version("testns"));
  EXPECT_FALSE(looks_like_go_version("go"));
  EXPECT_FALSE(looks_like_go_version("go1..2"));
}

}  // namespace
}  // namespace gcfs::test
