// Hard links: several names for one inode with an exact link count; unlink,
// rename and eviction keep the `K` names of a hard-linked inode in step;
// the data is counted once and freed with the last name; snapshots and
// archives keep the links; the integrity check finds and repairs a damaged
// name index.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "check_fixture.hpp"
#include "snapshot_fixture.hpp"
#include "store/local/inode_record.hpp"

namespace gcfs::test {
namespace {

class LinkTest : public SnapshotTest {
 protected:
  Result<Attr> link(Ino ino, Ino parent, std::string_view name, NsId ns = 0) {
    return store_->link(ns == 0 ? ns_ : ns, ino, parent, name, kT2);
  }
  Ino lookup(Ino dir, std::string_view name, NsId ns = 0) {
    auto a = store_->lookup(ns == 0 ? ns_ : ns, dir, name);
    EXPECT_TRUE(a) << name << ": " << a.error().message();
    return a ? a->ino : 0;
  }
  bool exists(Ino dir, std::string_view name) { return bool(store_->lookup(ns_, dir, name)); }
  uint32_t nlink(Ino ino, NsId ns = 0) { return store_->getattr(ns == 0 ? ns_ : ns, ino)->nlink; }
  // The (parent, name) pairs the `K` records of `ino` list, in key order.
  std::vector<EntryName> names(Ino ino, NsId ns = 0) {
    std::vector<EntryName> out;
    auto all = testing::dump_raw(*store_, ns == 0 ? ns_ : ns);
    EXPECT_TRUE(all);
    const std::string prefix = keys::link_prefix(ino);
    for (const auto& [k, v] : *all) {
      if (k.compare(0, prefix.size(), prefix) != 0) continue;
      auto lk = keys::parse_link_key(k);
      EXPECT_TRUE(lk && v.empty());
      if (lk) out.push_back({lk->parent, std::string(lk->name)});
    }
    return out;
  }
  // The LRU index's record of `ino` (nullopt when it is not indexed).
  std::optional<LruEntry> index_entry(Ino ino) {
    auto all = store_->lru_oldest(ns_, 1000);
    EXPECT_TRUE(all) << all.error().message();
    if (all) {
      for (const LruEntry& e : *all) {
        if (e.ino == ino) return e;
      }
    }
    return std::nullopt;
  }
  void expect_clean(NsId ns = 0) {
    if (ns == 0) ns = ns_;
    expect_clean_namespace(*store_, ns);
  }
};

TEST_F(LinkTest, NamesComeAndGoWithAnExactLinkCount) {
  const Ino ab = lookup(kRootIno, "ab");
  const Ino f = lookup(ab, "big-d");
  const std::string data = read_all(f);
  const NsStats before = store_->stats(ns_).value();
  EXPECT_EQ(names(f), std::vector<EntryName>{});

  auto a = link(f, kRootIno, "second");
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(a->ino, f);
  EXPECT_EQ(a->nlink, 2u);
  EXPECT_EQ(a->ctime, kT2);
  EXPECT_EQ(store_->getattr(ns_, kRootIno)->mtime, kT2);
  EXPECT_EQ(lookup(kRootIno, "second"), f);
  EXPECT_EQ(names(f), (std::vector<EntryName>{{kRootIno, "second"}, {ab, "big-d"}}));
  ASSERT_TRUE(link(f, ab, "third"));
  EXPECT_EQ(nlink(f), 3u);
  expect_clean();
  // The data is counted once: only the names' records were added.
  const NsStats linked = store_->stats(ns_).value();
  EXPECT_EQ(linked.files, before.files);
  EXPECT_EQ(linked.logical_bytes, before.logical_bytes);
  EXPECT_EQ(linked.stored_bytes, before.stored_bytes);
  EXPECT_GT(linked.live_bytes, before.live_bytes);

  // Refusals: a taken name, a directory, a missing directory, a non-directory parent.
  EXPECT_EQ(link(f, ab, "small-a").code(), Errc::exists);
  EXPECT_EQ(link(ab, kRootIno, "dirlink").code(), Errc::permission);
  EXPECT_EQ(link(f, 9999, "x").code(), Errc::not_found);
  EXPECT_EQ(link(f, f, "x").code(), Errc::not_dir);
  EXPECT_EQ(link(f, kRootIno, std::string(256, 'n')).code(), Errc::name_too_long);
  EXPECT_EQ(nlink(f), 3u);

  // Unlink of the first name leaves the others, with their data.
  ASSERT_TRUE(store_->unlink(ns_, ab, "big-d", kT2));
  EXPECT_EQ(nlink(f), 2u);
  EXPECT_EQ(read_all(lookup(kRootIno, "second")), data);
  EXPECT_EQ(names(f), (std::vector<EntryName>{{kRootIno, "second"}, {ab, "third"}}));
  EXPECT_EQ(store_->stats(ns_)->orphans, 0u);
  expect_clean();
  // Down to one name: no name record is left.
  ASSERT_TRUE(store_->unlink(ns_, kRootIno, "second", kT2));
  EXPECT_EQ(nlink(f), 1u);
  EXPECT_EQ(names(f), std::vector<EntryName>{});
  EXPECT_EQ(read_all(lookup(ab, "third")), data);
  expect_clean();
  // The last name: an orphan, freed by purge, and the counters are back.
  ASSERT_TRUE(store_->unlink(ns_, ab, "third", kT2));
  EXPECT_EQ(store_->stats(ns_)->orphans, 1u);
  EXPECT_EQ(link(f, kRootIno, "revive").code(), Errc::not_found);
  ASSERT_TRUE(store_->purge(ns_, f));
  expect_clean();
  EXPECT_EQ(store_->stats(ns_)->files, before.files - 1);
}

TEST_F(LinkTest, RenameMovesANameAndOntoAnotherNameOfTheSameInodeDoesNothing) {
  const Ino ab = lookup(kRootIno, "ab");
  const Ino f = lookup(ab, "small-a");
  ASSERT_TRUE(link(f, kRootIno, "l1"));
  ASSERT_TRUE(store_->rename(ns_, kRootIno, "l1", ab, "l2", 0, kT2));
  EXPECT_EQ(names(f), (std::vector<EntryName>{{ab, "l2"}, {ab, "small-a"}}));
  expect_clean();
  // POSIX: both names of one inode: nothing happens, both stay.
  auto same = store_->rename(ns_, ab, "l2", ab, "small-a", 0, kT2);
  ASSERT_TRUE(same);
  EXPECT_FALSE(same->has_value());
  EXPECT_TRUE(exists(ab, "l2"));
  EXPECT_TRUE(exists(ab, "small-a"));
  EXPECT_EQ(nlink(f), 2u);
  // Another file replacing one of the names drops one link, not the inode.
  const Ino other = lookup(kRootIno, "trim.txt");
  auto over = store_->rename(ns_, kRootIno, "trim.txt", ab, "l2", 0, kT2);
  ASSERT_TRUE(over) << over.error().message();
  EXPECT_FALSE(over->has_value());  // not an orphan: a name is left
  EXPECT_EQ(nlink(f), 1u);
  EXPECT_EQ(lookup(ab, "l2"), other);
  EXPECT_EQ(names(f), std::vector<EntryName>{});
  EXPECT_EQ(store_->stats(ns_)->orphans, 0u);
  expect_clean();
}

TEST_F(LinkTest, SpecialFilesAndSymlinksTakeLinksToo) {
  auto fifo = store_->mknode(ns_, kRootIno, "fifo", S_IFIFO | 0600, Credentials{0, 0}, kT2, "", 0);
  ASSERT_TRUE(fifo);
  auto sym = store_->mknode(ns_, kRootIno, "sym", S_IFLNK | 0777, Credentials{0, 0}, kT2, "target");
  ASSERT_TRUE(sym);
  ASSERT_TRUE(link(fifo->ino, lookup(kRootIno, "ab"), "fifo2"));
  ASSERT_TRUE(link(sym->ino, kRootIno, "sym2"));
  EXPECT_EQ(store_->readlink(ns_, lookup(kRootIno, "sym2")).value(), "target");
  EXPECT_EQ(names(fifo->ino).size(), 2u);
  EXPECT_EQ(names(sym->ino).size(), 2u);
  expect_clean();
  ASSERT_TRUE(store_->unlink(ns_, kRootIno, "sym", kT2));
  EXPECT_EQ(store_->stats(ns_)->symlinks, 1u);
  expect_clean();
}

TEST_F(LinkTest, EvictionTakesEveryNameAndTheLruNameFollowsUnlinks) {
  const Ino ab = lookup(kRootIno, "ab");
  const Ino f = lookup(ab, "rand-d");
  ASSERT_TRUE(link(f, kRootIno, "keep"));
  // The index's name goes: it follows to a name that stays.
  ASSERT_TRUE(store_->unlink(ns_, ab, "rand-d", kT2));
  ASSERT_TRUE(link(f, ab, "again"));
  const auto e = index_entry(f);
  ASSERT_TRUE(e);
  EXPECT_TRUE((e->parent == kRootIno && e->name == "keep") ||
              (e->parent == ab && e->name == "again"))
      << e->parent << "/" << e->name;
  expect_clean();

  std::vector<EntryName> others;
  auto r = store_->unlink_if_unused(ns_, kRootIno, "keep", f, INT64_MAX, kT2, &others);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*r, UnlinkIf::unlinked);
  EXPECT_EQ(others, (std::vector<EntryName>{{ab, "again"}}));
  EXPECT_FALSE(exists(kRootIno, "keep"));
  EXPECT_FALSE(exists(ab, "again"));
  EXPECT_EQ(store_->getattr(ns_, f)->nlink, 0u);
  EXPECT_EQ(store_->stats(ns_)->orphans, 1u);
  ASSERT_TRUE(store_->purge(ns_, f));
  expect_clean();
}

TEST_F(LinkTest, AUseSeenThroughANameGoneSinceKeepsAnIndexNameThatNamesTheFile) {
  const Ino ab = lookup(kRootIno, "ab");
  const Ino f = lookup(ab, "rand-d");
  ASSERT_TRUE(link(f, kRootIno, "other"));
  // A lookup through "other" was recorded; the name goes before the uses are written.
  ASSERT_TRUE(store_->unlink(ns_, kRootIno, "other", kT2));
  FileUse u;
  u.ino = f;
  u.parent = kRootIno;
  u.name = "other";
  u.time_ns = int64_t{1} << 62;
  ASSERT_TRUE(store_->record_uses(ns_, std::span<const FileUse>(&u, 1)));
  const auto e = index_entry(f);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->last_use_ns, u.time_ns);
  EXPECT_EQ(e->parent, ab);
  EXPECT_EQ(e->name, "rand-d");
  auto r = store_->unlink_if_unused(ns_, ab, "rand-d", f, INT64_MAX, kT2);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, UnlinkIf::unlinked);
  expect_clean();
}

TEST_F(LinkTest, LinkCountLimit) {
  const Ino f = lookup(kRootIno, "trim.txt");
  auto rec = parse_inode(testing::get_raw(*store_, ns_, keys::inode(f))->value(), f);
  ASSERT_TRUE(rec);
  rec->nlink = kMaxLinks;
  ASSERT_TRUE(testing::put_raw(*store_, ns_, keys::inode(f), serialize_inode(*rec)));
  EXPECT_EQ(link(f, kRootIno, "one-more").code(), Errc::too_many_links);
  EXPECT_FALSE(exists(kRootIno, "one-more"));
}

TEST_F(LinkTest, KeptByReopenSnapshotAndArchive) {
  const Ino ab = lookup(kRootIno, "ab");
  const Ino f = lookup(ab, "big-d");
  ASSERT_TRUE(link(f, kRootIno, "big-link"));
  reopen();
  EXPECT_EQ(lookup(kRootIno, "big-link"), f);
  ASSERT_TRUE(store_->create_snapshot("s1", "go1.19.8"));
  const std::string path = dir_.path() + "/links.gcfsarc";
  ASSERT_TRUE(store_->export_snapshot("s1", path));
  auto imp = store_->import_archive(path, "imported", true);
  ASSERT_TRUE(imp) << imp.error().message();
  const NsId in = ns_id("imported");
  const Ino in_f = lookup(kRootIno, "big-link", in);
  EXPECT_EQ(lookup(lookup(kRootIno, "ab", in), "big-d", in), in_f);
  EXPECT_EQ(nlink(in_f, in), 2u);
  EXPECT_EQ(names(in_f, in).size(), 2u);
  EXPECT_EQ(tree(in), tree(ns_));
  expect_clean(in);
  EXPECT_EQ(store_->stats(in).value(), store_->stats(ns_).value());
}

TEST_F(CheckTest, ADamagedLinkNameIndexIsFoundAndRepaired) {
  ASSERT_TRUE(store_->link(ns_, y_, cd_, "y2", test::kT2));
  expect_clean();
  // A name missing from the index, a stray name of a one-link inode, and
  // one of a missing inode.
  del(keys::link_name(y_, cd_, "y2"));
  put(keys::link_name(x_, ab_, "x-a"), "");
  put(keys::link_name(999, ab_, "gone"), "");
  auto r = check();
  ASSERT_EQ(r.problems.size(), 3u) << describe(r.problems);
  for (const auto& p : r.problems) EXPECT_EQ(p.kind, "link");
  repair_all();
  EXPECT_TRUE(testing::get_raw(*store_, ns_, keys::link_name(y_, cd_, "y2"))->has_value());
  EXPECT_FALSE(testing::get_raw(*store_, ns_, keys::link_name(x_, ab_, "x-a"))->has_value());
  // A second name the index lacks entirely (the count says 1): the count
  // is set to the entries, and the index follows in the next round.
  put(dentry_key(cd_, "x-too"), keys::dentry_value(x_, S_IFREG));
  r = check();
  EXPECT_FALSE(r.problems.empty());
  repair_all();
  EXPECT_EQ(store_->getattr(ns_, x_)->nlink, 2u);
}

}  // namespace
}  // namespace gcfs::test
