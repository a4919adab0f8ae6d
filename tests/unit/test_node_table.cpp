// The node table's choice of inodes the kernel may drop (--max-inodes):
// never one with an open handle or uncommitted writes, never the root, and a
// second chance for one referenced since the previous sweep.
#include <gtest/gtest.h>

#include <algorithm>

#include "fusefs/node_table.hpp"

namespace gcfs::fusefs {
namespace {

bool contains(const std::vector<fuse_ino_t>& v, fuse_ino_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

TEST(NodeTable, PruneCandidatesSkipOpenPendingAndRoot) {
  NodeTable t;
  t.ref(FUSE_ROOT_ID, NodeId{0, 1});
  for (fuse_ino_t i = 2; i <= 11; ++i) t.ref(i, NodeId{1, i});
  t.open(3, NodeId{1, 3});
  t.find(4)->has_pending.store(true);
  // First sweep: every node was just referenced, so it only clears the bits.
  EXPECT_TRUE(t.prune_candidates(100).empty());
  auto c = t.prune_candidates(100);
  EXPECT_EQ(c.size(), 8u);
  EXPECT_FALSE(contains(c, FUSE_ROOT_ID));
  EXPECT_FALSE(contains(c, 3));                 // open
  EXPECT_FALSE(contains(c, 4));                 // uncommitted writes
  EXPECT_EQ(t.prune_candidates(3).size(), 3u);  // at most what was asked
}

TEST(NodeTable, RecentlyUsedNodesGetASecondChance) {
  NodeTable t;
  for (fuse_ino_t i = 2; i <= 5; ++i) t.ref(i, NodeId{1, i});
  (void)t.prune_candidates(100);  // clears the bits
  t.ref(2, NodeId{1, 2});         // used again since
  auto c = t.prune_candidates(100);
  EXPECT_EQ(c.size(), 3u);
  EXPECT_FALSE(contains(c, 2));
  EXPECT_TRUE(contains(t.prune_candidates(100), 2));  // its second chance is spent
}

TEST(NodeTable, SweepsGoOnWhereThePreviousStopped) {
  NodeTable t;
  constexpr fuse_ino_t kNodes = 20000;  // several slices of the table lock
  for (fuse_ino_t i = 2; i < 2 + kNodes; ++i) t.ref(i, NodeId{1, i});
  EXPECT_TRUE(t.prune_candidates(kNodes).empty());  // a whole round clears the bits
  // Small sweeps cover the table without repeating a node until all were offered.
  std::vector<fuse_ino_t> seen;
  for (int i = 0; i < 100; ++i) {
    auto c = t.prune_candidates(kNodes / 100);
    seen.insert(seen.end(), c.begin(), c.end());
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(std::unique(seen.begin(), seen.end()), seen.end()) << "a node offered twice";
  EXPECT_GE(seen.size(), kNodes * 99 / 100);
  // The next sweep starts the second round.
  EXPECT_FALSE(t.prune_candidates(kNodes).empty());
}

TEST(NodeTable, ForgetRemovesUnreferencedNodes) {
  NodeTable t;
  t.ref(7, NodeId{1, 7});
  t.ref(7, NodeId{1, 7});
  NodeId id;
  EXPECT_FALSE(t.forget(7, 1, &id));
  EXPECT_EQ(t.size(), 1u);
  EXPECT_FALSE(t.forget(7, 1, &id));
  EXPECT_EQ(t.size(), 0u);
}

TEST(NodeTable, AnEvictedInodeIsPurgedNowOnlyIfTheKernelHoldsNoReference) {
  NodeTable t;
  t.ref(7, NodeId{1, 7});
  EXPECT_FALSE(t.orphan_unless_referenced(7));  // the kernel may still open it
  NodeId id;
  EXPECT_TRUE(t.forget(7, 1, &id));  // its last forget purges it
  EXPECT_EQ(id.ino, 7u);
  Node* n = t.open(8, NodeId{1, 8});
  EXPECT_FALSE(t.orphan_unless_referenced(8));
  EXPECT_TRUE(t.close(n, &id));                // purged at the last close
  EXPECT_TRUE(t.orphan_unless_referenced(9));  // unknown to the kernel: purge now
}

// Open handles per namespace (a restore's replaced content waits for 0).
TEST(NodeTable, OpenHandlesAreCountedPerNamespace) {
  NodeTable t;
  NodeId id;
  Node* a = t.open(2, NodeId{1, 2});
  Node* b = t.open(2, NodeId{1, 2});
  Node* c = t.open(3, NodeId{5, 3});
  t.ref(4, NodeId{5, 4});  // a lookup is not an open handle
  EXPECT_EQ(t.open_in(1), 2u);
  EXPECT_EQ(t.open_in(5), 1u);
  EXPECT_EQ(t.open_in(7), 0u);
  t.close(a, &id);
  t.close(b, &id);
  EXPECT_EQ(t.open_in(1), 0u);
  t.close(c, &id);
  EXPECT_EQ(t.open_in(5), 0u);
}

}  // namespace
}  // namespace gcfs::fusefs
