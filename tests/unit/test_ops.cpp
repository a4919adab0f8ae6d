// The FUSE operations called directly (no kernel): what they return, the
// kernel references their results hold, and the locks they leave behind.
// Issue 11, fault 3 (readdirplus references that never drop) and fault 4
// (replies under a node's lock, lock-order inversions).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <thread>

#include "forwarding_store.hpp"
#include "fusefs/filesystem.hpp"
#include "fusefs/ops/ops.hpp"
#include "store_fixture.hpp"

namespace gcfs::test {
namespace {

using namespace std::chrono_literals;
using fusefs::Filesystem;
using fusefs::FsOptions;
using fusefs::Request;

// Fails the test (and ends the process) if `f` does not finish in time: a
// lock-order inversion shows as a deadlock, which must not hang the suite.
template <class F>
void within(std::chrono::seconds limit, const char* what, F&& f) {
  auto done = std::async(std::launch::async, std::forward<F>(f));
  if (done.wait_for(limit) == std::future_status::timeout) {
    std::fprintf(stderr, "FAILED: %s did not finish in %lld s (deadlock)\n", what,
                 static_cast<long long>(limit.count()));
    std::_Exit(1);
  }
  done.get();
}

// A store whose calls can be made to fail or to run a hook.
class HookedStore : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  std::function<Status(NsId, Ino)> on_getattr;
  std::function<void()> on_commit;
  std::function<Status()> on_begin_write;

  Result<Attr> getattr(NsId ns, Ino ino) override {
    if (on_getattr) {
      if (Status s = on_getattr(ns, ino); !s) return s.error();
    }
    return s_.getattr(ns, ino);
  }
  Result<Attr> commit(PendingWrite& pw, Timespec now) override {
    if (on_commit) on_commit();
    return s_.commit(pw, now);
  }
  Result<std::unique_ptr<PendingWrite>> begin_write(NsId ns, Ino ino) override {
    if (on_begin_write) {
      if (Status s = on_begin_write(); !s) return s.error();
    }
    return s_.begin_write(ns, ino);
  }
};

class OpsTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    hooked_ = std::make_unique<HookedStore>(*store_);
    FsOptions o;
    o.single_ns = ns_;  // the namespace is the mount's root
    fs_ = std::make_unique<Filesystem>(*hooked_, o);
  }
  void TearDown() override {
    fs_.reset();
    hooked_.reset();
  }
  Request rq() { return Request{*fs_, nullptr}; }
  fuse_ino_t fino(Ino ino) { return fs_->inos().to_fuse(ns_, ino); }

  std::unique_ptr<HookedStore> hooked_;
  std::unique_ptr<Filesystem> fs_;
};

// Fault 3: the references a readdirplus reply hands out are given back when
// the reply does not reach the kernel (the result dropped uncommitted).
TEST_F(OpsTest, ReaddirplusReferencesComeBackWhenTheReplyFails) {
  Ino dir = make(kRootIno, "00", S_IFDIR | 0755);
  for (int i = 0; i < 3; ++i) make(dir, "f" + std::to_string(i));
  {
    auto out = fusefs::ops::readdirplus(rq(), fino(dir), 4096, 0, nullptr);
    ASSERT_TRUE(out) << out.error().message();
    EXPECT_EQ(out->refs.size(), 3u);
    EXPECT_EQ(fs_->nodes().size(), 3u);  // one reference per entry, as the kernel would get
  }                                      // not committed: no reply reached the kernel
  EXPECT_EQ(fs_->nodes().size(), 0u);
}

// Fault 3: an error replied after some entries took their reference (a
// failing getattr mid-listing) gives those references back.
TEST_F(OpsTest, ReaddirplusErrorGivesBackTheReferencesTaken) {
  Ino dir = make(kRootIno, "01", S_IFDIR | 0755);
  for (int i = 0; i < 3; ++i) make(dir, "f" + std::to_string(i));
  int calls = 0;
  hooked_->on_getattr = [&](NsId, Ino) -> Status {
    if (++calls == 2) return Error(Errc::io, "injected");
    return Status::ok();
  };
  auto out = fusefs::ops::readdirplus(rq(), fino(dir), 4096, 0, nullptr);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.code(), Errc::io);
  EXPECT_EQ(fs_->nodes().size(), 0u);
}

// Fault 3: an orphan among the entries is purged once its reference comes
// back, instead of living on in the store.
TEST_F(OpsTest, OrphanWhoseReferenceComesBackIsPurged) {
  Ino dir = make(kRootIno, "02", S_IFDIR | 0755);
  Ino f = make(dir, "gone");
  write(f, 0, "content");
  {
    auto out = fusefs::ops::readdirplus(rq(), fino(dir), 4096, 0, nullptr);
    ASSERT_TRUE(out);
    ASSERT_EQ(out->refs.size(), 1u);
    // Unlinked while the (never delivered) reply holds its reference.
    ASSERT_TRUE(fusefs::ops::unlink(rq(), fino(dir), "gone"));
    EXPECT_TRUE(store_->getattr(ns_, f)) << "kept while referenced";
  }
  EXPECT_EQ(fs_->nodes().size(), 0u);
  EXPECT_EQ(store_->getattr(ns_, f).code(), Errc::not_found) << "purged with its last reference";
  expect_consistent();
}

// The same guard on lookup: an entry reply that fails gives its reference back.
TEST_F(OpsTest, LookupReferenceComesBackUnlessCommitted) {
  Ino f = make(kRootIno, "a");
  {
    auto e = fusefs::ops::lookup(rq(), FUSE_ROOT_ID, "a");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->e.ino, fino(f));
    EXPECT_EQ(fs_->nodes().size(), 1u);
    auto kept = fusefs::ops::lookup(rq(), FUSE_ROOT_ID, "a");
    ASSERT_TRUE(kept);
    kept->ref.commit();  // this one reached the kernel
  }
  EXPECT_EQ(fs_->nodes().size(), 1u);
  fusefs::ops::forget(rq(), fino(f), 1);
  EXPECT_EQ(fs_->nodes().size(), 0u);
}

// create: the entry's reference and the open handle both go back when the
// reply fails.
TEST_F(OpsTest, CreateGivesBackEntryAndHandleWhenTheReplyFails) {
  fuse_file_info fi{};
  fi.flags = O_WRONLY | O_CREAT;
  {
    auto c = fusefs::ops::create(rq(), FUSE_ROOT_ID, "new", 0644, &fi);
    ASSERT_TRUE(c) << c.error().message();
    EXPECT_EQ(fs_->nodes().size(), 1u);
  }
  EXPECT_EQ(fs_->nodes().size(), 0u);
}

// Fault 4: shutdown commits what is pending without holding the node
// table's lock (a store call under NodeTable::mu_ blocks every lookup and
// forget meanwhile, and inverts the order against a node's lock).
TEST_F(OpsTest, ShutdownCommitsOutsideTheNodeTableLock) {
  Ino f = make(kRootIno, "w");
  fuse_file_info fi{};
  fi.flags = O_WRONLY;
  auto h = fusefs::ops::open(rq(), fino(f), &fi);
  ASSERT_TRUE(h) << h.error().message();
  h->handle.commit();
  ASSERT_TRUE(fusefs::ops::write(rq(), fino(f), "abc", 3, 0, &fi));
  bool table_free = false;
  hooked_->on_commit = [&] {
    // Another thread takes the table's lock while the commit runs.
    auto other = std::async(std::launch::async, [&] { return fs_->nodes().size(); });
    table_free = other.wait_for(2s) == std::future_status::ready;
  };
  within(20s, "shutdown", [&] { fs_->shutdown(); });
  EXPECT_TRUE(table_free) << "the node table was locked across the store's commit";
  hooked_->on_commit = nullptr;
  EXPECT_EQ(read_all(f), "abc");
  ASSERT_TRUE(fusefs::ops::release(rq(), fino(f), &fi));
}

// Fault 4: an open whose truncation fails gives its handle back after
// releasing the node's lock, and shutdown holds the node table's lock only
// to pin nodes. Before, the failed open called into the node table while
// holding Node::mu, and shutdown locked every Node::mu under the table's
// lock: an open failing while the daemon shut down deadlocked.
TEST_F(OpsTest, FailedOpenRacingShutdownDoesNotDeadlock) {
  Ino k = make(kRootIno, "k");
  write(k, 0, "keep");
  std::future<void> shutdown_done;
  hooked_->on_begin_write = [&]() -> Status {
    // Node::mu of `k` is held here (ensure_pending): a shutdown starts now.
    shutdown_done = std::async(std::launch::async, [&] { fs_->shutdown(); });
    std::this_thread::sleep_for(200ms);
    return Error(Errc::io, "injected");
  };
  fuse_file_info fi{};
  fi.flags = O_WRONLY | O_TRUNC;
  within(20s, "open racing shutdown", [&] {
    auto r = fusefs::ops::open(rq(), fino(k), &fi);
    EXPECT_EQ(r.code(), Errc::io);
  });
  within(20s, "shutdown racing open", [&] { shutdown_done.get(); });
  hooked_->on_begin_write = nullptr;
  EXPECT_EQ(fs_->nodes().size(), 0u) << "the failed open's handle was given back";
  EXPECT_EQ(read_all(k), "keep");
}

// Fault 4: setattr on a file being written returns with the node's lock
// released: the dispatcher replies after it returned, never under the lock.
TEST_F(OpsTest, SetattrReturnsWithTheNodeUnlocked) {
  Ino f = make(kRootIno, "s");
  fuse_file_info fi{};
  fi.flags = O_WRONLY;
  auto h = fusefs::ops::open(rq(), fino(f), &fi);
  ASSERT_TRUE(h);
  h->handle.commit();
  ASSERT_TRUE(fusefs::ops::write(rq(), fino(f), "abc", 3, 0, &fi));
  fusefs::Node* node = fs_->nodes().find(fino(f));
  ASSERT_NE(node, nullptr);
  struct stat st {};
  st.st_size = 1;
  auto ok = fusefs::ops::setattr(rq(), fino(f), &st, FUSE_SET_ATTR_SIZE, nullptr);
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(ok->st.st_size, 1);
  ASSERT_TRUE(node->mu.try_lock()) << "setattr returned holding the node's lock";
  node->mu.unlock();
  // The error path too: the store refuses the inode.
  ASSERT_TRUE(store_->unlink(ns_, kRootIno, "s", kT2));
  ASSERT_TRUE(store_->purge(ns_, f));
  auto gone = fusefs::ops::setattr(rq(), fino(f), &st, FUSE_SET_ATTR_SIZE, nullptr);
  EXPECT_FALSE(gone);
  ASSERT_TRUE(node->mu.try_lock()) << "setattr's error path returned holding the node's lock";
  node->mu.unlock();
  ASSERT_TRUE(fusefs::ops::release(rq(), fino(f), &fi));
}

// fallocate joins the pending content: zeros where holes are punched or
// ranges zeroed, the size grown unless KEEP_SIZE; committed at release, the
// node unlocked on return. Unknown modes are refused before anything changes.
TEST_F(OpsTest, FallocateZeroesAndGrowsThePendingContent) {
  Ino f = make(kRootIno, "fa");
  write(f, 0, std::string(10000, 'x'));
  fuse_file_info fi{};
  fi.flags = O_RDWR;
  auto h = fusefs::ops::open(rq(), fino(f), &fi);
  ASSERT_TRUE(h);
  h->handle.commit();
  EXPECT_EQ(fusefs::ops::fallocate(rq(), fino(f), 0x08 /* COLLAPSE_RANGE */, 0, 4096, &fi).code(),
            Errc::not_supported);
  ASSERT_TRUE(fusefs::ops::fallocate(rq(), fino(f), 0, 0, 20000, &fi));  // grows to 20000
  ASSERT_TRUE(
      fusefs::ops::fallocate(rq(), fino(f), 0x01 | 0x02 /* KEEP_SIZE|PUNCH_HOLE */, 100, 200, &fi));
  ASSERT_TRUE(
      fusefs::ops::fallocate(rq(), fino(f), 0x01 | 0x10 /* KEEP_SIZE|ZERO_RANGE */, 9990, 5, &fi));
  ASSERT_TRUE(fusefs::ops::fallocate(rq(), fino(f), 0x01, 0, 1 << 20, &fi));  // keeps the size
  ASSERT_TRUE(fusefs::ops::fallocate(rq(), fino(f), 0x10 /* ZERO_RANGE */, 19990, 20, &fi));
  fusefs::Node* node = fs_->nodes().find(fino(f));
  ASSERT_NE(node, nullptr);
  ASSERT_TRUE(node->mu.try_lock()) << "fallocate returned holding the node's lock";
  node->mu.unlock();
  auto attr = fusefs::ops::getattr(rq(), fino(f), nullptr);
  ASSERT_TRUE(attr);
  EXPECT_EQ(attr->st.st_size, 20010);
  ASSERT_TRUE(fusefs::ops::release(rq(), fino(f), &fi));
  std::string want(10000, 'x');
  want.replace(100, 200, 200, '\0');
  want.replace(9990, 5, 5, '\0');
  want.resize(20010, '\0');
  EXPECT_EQ(read_all(f), want);
  expect_consistent();
  // The attribute list is empty, and a short buffer is no error for it.
  auto names = fusefs::ops::listxattr(rq(), fino(f), 0);
  ASSERT_TRUE(names);
  EXPECT_EQ(names->bytes, "");
  EXPECT_EQ(names->asked, 0u);
}

TEST_F(OpsTest, ExtendedAttributesWithTheirFlags) {
  const Ino f = make(kRootIno, "f");
  using fusefs::ops::getxattr;
  using fusefs::ops::listxattr;
  using fusefs::ops::removexattr;
  using fusefs::ops::setxattr;
  ASSERT_TRUE(setxattr(rq(), fino(f), "user.a", "12", 2, XATTR_CREATE));
  ASSERT_TRUE(setxattr(rq(), fino(f), "user.b", "", 0, 0));
  EXPECT_EQ(setxattr(rq(), fino(f), "user.a", "3", 1, XATTR_CREATE).code(), Errc::exists);
  EXPECT_EQ(setxattr(rq(), fino(f), "user.c", "3", 1, XATTR_REPLACE).code(), Errc::no_attr);
  // Both flags: whichever applies, as ext4 (EEXIST / ENODATA).
  EXPECT_EQ(setxattr(rq(), fino(f), "user.c", "3", 1, XATTR_CREATE | XATTR_REPLACE).code(),
            Errc::no_attr);
  EXPECT_EQ(setxattr(rq(), fino(f), "user.a", "3", 1, XATTR_CREATE | XATTR_REPLACE).code(),
            Errc::exists);
  EXPECT_EQ(setxattr(rq(), fino(f), "user.a", "3", 1, 8).code(), Errc::invalid);
  auto v = getxattr(rq(), fino(f), "user.a", 64);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->bytes, "12");
  EXPECT_EQ(v->asked, 64u);
  EXPECT_EQ(getxattr(rq(), fino(f), "user.none", 64).code(), Errc::no_attr);
  auto l = listxattr(rq(), fino(f), 64);
  ASSERT_TRUE(l);
  EXPECT_EQ(l->bytes, std::string("user.a\0user.b\0", 14));
  ASSERT_TRUE(removexattr(rq(), fino(f), "user.a"));
  EXPECT_EQ(removexattr(rq(), fino(f), "user.a").code(), Errc::no_attr);
  EXPECT_EQ(listxattr(rq(), fino(f), 64)->bytes, std::string("user.b\0", 7));
  expect_consistent();
}

}  // namespace
}  // namespace gcfs::test
