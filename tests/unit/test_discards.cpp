// A restore's replaced content (fusefs/discards.hpp): deleted after the
// delay, not while a handle on it is open, all of it when the daemon stops,
// and never a snapshot that is not the family the swap replaced.
#include <gtest/gtest.h>

#include <thread>

#include "fusefs/discards.hpp"
#include "store_fixture.hpp"

namespace gcfs::test {
namespace {

using namespace std::chrono_literals;

class DiscardsTest : public StoreTest {
 protected:
  // A snapshot as a restore leaves it: the replaced family, under auto-NS-TIME.
  NsId replaced(const std::string& name) {
    write(make(kRootIno, "f-" + name + std::to_string(made_++)), 0, "old content");
    auto s = store_->create_snapshot(name, "go1.19");
    EXPECT_TRUE(s) << s.error().message();
    return s ? s->id : 0;
  }
  bool exists(const std::string& name) { return store_->find_snapshot(name).is_ok(); }
  // Up to 5 s for `cond` (the loop's rounds are 50 ms here).
  template <class F>
  bool eventually(F cond) {
    for (int i = 0; i < 500; ++i) {
      if (cond()) return true;
      std::this_thread::sleep_for(10ms);
    }
    return cond();
  }
  fusefs::NodeTable nodes_;
  int made_ = 0;
};

TEST_F(DiscardsTest, DeletedAfterTheDelayButNotWhileAFileOfItIsOpen) {
  const NsId a = replaced("auto-a"), b = replaced("auto-b");
  fusefs::Discards d(*store_, nodes_, 50ms);
  d.start();
  fusefs::Node* open = nodes_.open(42, fusefs::NodeId{b, 7});  // a build still reads b
  d.add("auto-a", a);
  d.add("auto-b", b);
  EXPECT_TRUE(exists("auto-a"));  // not before the delay
  EXPECT_TRUE(eventually([&] { return !exists("auto-a"); }));
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(exists("auto-b"));
  EXPECT_EQ(d.pending(), 1u);
  fusefs::NodeId id;
  nodes_.close(open, &id);
  EXPECT_TRUE(eventually([&] { return !exists("auto-b"); }));
  EXPECT_EQ(d.pending(), 0u);
  d.stop();
  expect_consistent();  // the namespace itself is untouched
  EXPECT_EQ(read_all(store_->lookup(ns_, kRootIno, "f-auto-a0")->ino), "old content");
}

TEST_F(DiscardsTest, StopDeletesWhatIsStillPending) {
  const NsId a = replaced("auto-a");
  fusefs::Discards d(*store_, nodes_, 1h);
  d.start();
  d.add("auto-a", a);
  std::this_thread::sleep_for(100ms);
  EXPECT_TRUE(exists("auto-a"));
  d.stop();  // the mount is gone: nothing can reach it
  EXPECT_FALSE(exists("auto-a"));
  EXPECT_EQ(d.pending(), 0u);
}

TEST_F(DiscardsTest, OnlyTheReplacedFamilyIsDeleted) {
  const NsId a = replaced("auto-a");
  fusefs::Discards d(*store_, nodes_, 1h);
  d.add("auto-a", a);
  // The user deleted it and a new snapshot took the name: not the one to go.
  ASSERT_TRUE(store_->delete_snapshot("auto-a"));
  replaced("auto-a");
  d.add("gone", 999);  // deleted meanwhile: nothing to do, no error
  d.stop();
  EXPECT_TRUE(exists("auto-a"));
}

}  // namespace
}  // namespace gcfs::test
