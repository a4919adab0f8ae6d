// Namespaces: create, list, find, rename, drop; ids never reused; a dropped
// namespace's data is gone, also after reopening.
#include <gtest/gtest.h>

#include "store/local/keys.hpp"
#include "store/testing/testing.hpp"
#include "store_fixture.hpp"

namespace gcfs {
namespace {

using test::StoreTest;

TEST_F(StoreTest, CreateListFind) {
  auto b = store_->create_namespace("go1.20", 0700, Credentials{5, 6});
  ASSERT_TRUE(b);
  EXPECT_NE(b->id, ns_);
  auto list = store_->list_namespaces();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "go1.19");
  EXPECT_EQ((*list)[1].name, "go1.20");
  auto f = store_->find_namespace("go1.20");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->id, b->id);
  EXPECT_EQ(store_->find_namespace("go1.21").code(), Errc::not_found);

  // The root directory exists with the given mode and owner.
  auto root = store_->getattr(b->id, kRootIno);
  ASSERT_TRUE(root);
  EXPECT_EQ(root->mode, static_cast<uint32_t>(S_IFDIR | 0700));
  EXPECT_EQ(root->nlink, 2u);
  EXPECT_EQ(root->uid, 5u);
  EXPECT_EQ(root->gid, 6u);
  auto st = store_->stats(b->id);
  ASSERT_TRUE(st);
  EXPECT_EQ(*st, (NsStats{0, 1, 0, 0, 0, 0, test::kEmptyNsLive}));
  EXPECT_EQ(store_->create_namespace("go1.20", 0700, {}).code(), Errc::exists);
}

TEST_F(StoreTest, InvalidNamespaceNames) {
  for (std::string_view bad : {"", ".", "..", "a/b", "sp ace"}) {
    EXPECT_EQ(store_->create_namespace(bad, 0755, {}).code(), Errc::invalid) << bad;
    EXPECT_EQ(store_->rename_namespace("go1.19", bad).code(), Errc::invalid) << bad;
  }
  EXPECT_EQ(store_->create_namespace(std::string(65, 'x'), 0755, {}).code(), Errc::invalid);
}

TEST_F(StoreTest, RenameNamespace) {
  const Ino f = make(kRootIno, "file");
  write(f, 0, "data");
  ASSERT_TRUE(store_->rename_namespace("go1.19", "old"));
  EXPECT_EQ(store_->find_namespace("go1.19").code(), Errc::not_found);
  auto found = store_->find_namespace("old");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, ns_);
  EXPECT_EQ(read_all(f), "data");
  ASSERT_TRUE(store_->create_namespace("other", 0755, {}));
  EXPECT_EQ(store_->rename_namespace("old", "other").code(), Errc::exists);
  EXPECT_EQ(store_->rename_namespace("missing", "x").code(), Errc::not_found);
  EXPECT_TRUE(store_->rename_namespace("old", "old"));
  reopen();
  found = store_->find_namespace("old");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, ns_);
  EXPECT_EQ(read_all(f), "data");
}

TEST_F(StoreTest, DropNamespace) {
  const Ino f = make(kRootIno, "file");
  write(f, 0, test::random_bytes(20000, 1));
  ASSERT_TRUE(store_->drop_namespace("go1.19"));
  EXPECT_EQ(store_->find_namespace("go1.19").code(), Errc::not_found);
  EXPECT_EQ(store_->getattr(ns_, f).code(), Errc::not_found);
  EXPECT_EQ(store_->stats(ns_).code(), Errc::not_found);
  EXPECT_EQ(store_->mknode(ns_, kRootIno, "x", S_IFREG | 0644, {}, test::kT1).code(),
            Errc::not_found);
  EXPECT_EQ(store_->drop_namespace("go1.19").code(), Errc::not_found);

  // Same name again: a new id, empty, and the old inode does not show through.
  auto again = store_->create_namespace("go1.19", 0755, {});
  ASSERT_TRUE(again);
  EXPECT_GT(again->id, ns_);
  EXPECT_EQ(store_->getattr(again->id, f).code(), Errc::not_found);
  auto st = store_->stats(again->id);
  ASSERT_TRUE(st);
  EXPECT_EQ(*st, (NsStats{0, 1, 0, 0, 0, 0, test::kEmptyNsLive}));

  // After reopen the id counter continues and the dropped id stays gone.
  const NsId second = again->id;
  reopen();
  EXPECT_EQ(store_->getattr(ns_, kRootIno).code(), Errc::not_found);
  ASSERT_TRUE(store_->drop_namespace("go1.19"));
  auto third = store_->create_namespace("go1.19", 0755, {});
  ASSERT_TRUE(third);
  EXPECT_GT(third->id, second);
  auto list = store_->list_namespaces();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].id, third->id);
}

TEST_F(StoreTest, DropWhileHeldByPendingWrite) {
  const Ino f = make(kRootIno, "file");
  auto pw = store_->begin_write(ns_, f);
  ASSERT_TRUE(pw);
  ASSERT_TRUE((*pw)->write(0, "abc"));
  ASSERT_TRUE(store_->drop_namespace("go1.19"));
  EXPECT_EQ(store_->commit(**pw, test::kT2).code(), Errc::not_found);
}

TEST_F(StoreTest, NamespacesAreIsolated) {
  auto b = store_->create_namespace("go1.20", 0755, {});
  ASSERT_TRUE(b);
  const Ino f = make(kRootIno, "same");
  write(f, 0, "in a");
  auto fb = store_->mknode(b->id, kRootIno, "same", S_IFREG | 0644, {}, test::kT1);
  ASSERT_TRUE(fb);
  EXPECT_EQ(fb->ino, f);  // inode numbers are per namespace
  EXPECT_EQ(store_->getattr(b->id, f)->size, 0u);
  EXPECT_EQ(read_all(f), "in a");
}

}  // namespace
}  // namespace gcfs
