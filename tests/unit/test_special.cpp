// Special files (fifos, sockets, character and block devices): inodes with a
// type, attributes and a device number, and no data. Made, listed, renamed,
// changed, unlinked, snapshotted, archived and checked like any inode; the
// counters stay exact and the LRU index never holds them.
#include <gtest/gtest.h>
#include <sys/sysmacros.h>
#include <xxhash.h>

#include "check_fixture.hpp"
#include "snapshot_fixture.hpp"
#include "store/local/inode_record.hpp"

namespace gcfs::test {
namespace {

struct Kind {
  const char* name;
  uint32_t mode;
  uint64_t rdev;
};

const Kind kKinds[] = {
    {"fifo", S_IFIFO | 0640, 0},
    {"sock", S_IFSOCK | 0755, 0},
    {"null", S_IFCHR | 0666, makedev(1, 3)},
    {"disk", S_IFBLK | 0660, makedev(8, 1)},
};

class SpecialTest : public SnapshotTest {
 protected:
  // Makes every kind in `dir`, owned by 7:8.
  void make_all(NsId ns, Ino dir) {
    for (const Kind& k : kKinds) {
      auto a = store_->mknode(ns, dir, k.name, k.mode, Credentials{7, 8}, kT1, {}, k.rdev);
      ASSERT_TRUE(a) << k.name << ": " << a.error().message();
      EXPECT_EQ(a->mode, k.mode);
      EXPECT_EQ(a->rdev, k.rdev);
      EXPECT_EQ(a->size, 0u);
      EXPECT_EQ(a->nlink, 1u);
    }
  }
  // Every kind is in `dir` of `ns` with its type, rdev, mode and owner.
  void expect_all(NsId ns, Ino dir) {
    std::map<std::string, uint32_t> listed;
    ASSERT_TRUE(store_->readdir(ns, dir, 0, [&](const DirEntry& e) {
      listed[e.name] = e.mode & S_IFMT;
      return true;
    }));
    for (const Kind& k : kKinds) {
      EXPECT_EQ(listed[k.name], k.mode & S_IFMT) << k.name;
      auto a = store_->lookup(ns, dir, k.name);
      ASSERT_TRUE(a) << k.name << ": " << a.error().message();
      EXPECT_EQ(a->mode, k.mode) << k.name;
      EXPECT_EQ(a->rdev, k.rdev) << k.name;
      EXPECT_EQ(a->uid, 7u);
      EXPECT_EQ(a->gid, 8u);
      EXPECT_EQ(a->size, 0u);
      EXPECT_EQ(a->stored, 0u);
    }
  }
  void expect_clean(NsId ns) { expect_clean_namespace(*store_, ns); }
};

TEST_F(SpecialTest, MadeListedChangedRenamedUnlinkedWithExactCounters) {
  const NsStats before = store_->stats(ns_).value();
  make_all(ns_, kRootIno);
  expect_all(ns_, kRootIno);
  NsStats st = store_->stats(ns_).value();
  // Counted with the files; no logical or stored bytes, no LRU records.
  EXPECT_EQ(st.files, before.files + 4);
  EXPECT_EQ(st.logical_bytes, before.logical_bytes);
  EXPECT_EQ(st.stored_bytes, before.stored_bytes);
  auto oldest = store_->lru_oldest(ns_, 100);
  ASSERT_TRUE(oldest);
  for (const auto& e : *oldest) {
    for (const Kind& k : kKinds) EXPECT_NE(e.name, k.name);
  }
  expect_clean(ns_);
  EXPECT_EQ(store_->mknode(ns_, kRootIno, "fifo", S_IFIFO | 0600, {}, kT1).code(), Errc::exists);

  // chmod, chown, utimes keep the type and the device number.
  const Ino null = store_->lookup(ns_, kRootIno, "null").value().ino;
  SetAttr sa;
  sa.mode = 0600;
  sa.uid = 9;
  sa.mtime = kT2;
  sa.now = kT2;
  auto a = store_->setattr(ns_, null, sa);
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(a->mode, S_IFCHR | 0600u);
  EXPECT_EQ(a->rdev, makedev(1, 3));
  EXPECT_EQ(a->uid, 9u);
  EXPECT_EQ(a->mtime, kT2);
  SetAttr trunc;
  trunc.size = 0;
  EXPECT_EQ(store_->setattr(ns_, null, trunc).code(), Errc::invalid);

  // Renamed into a directory, and over another special file.
  const Ino sub = make(kRootIno, "sub", S_IFDIR | 0755);
  ASSERT_TRUE(store_->rename(ns_, kRootIno, "null", sub, "null", 0, kT2));
  auto replaced = store_->rename(ns_, kRootIno, "fifo", kRootIno, "sock", 0, kT2);
  ASSERT_TRUE(replaced) << replaced.error().message();
  ASSERT_TRUE(replaced->has_value());
  ASSERT_TRUE(store_->purge(ns_, **replaced));
  auto moved = store_->lookup(ns_, sub, "null");
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->rdev, makedev(1, 3));
  EXPECT_EQ(store_->lookup(ns_, kRootIno, "sock").value().mode, S_IFIFO | 0640u);
  EXPECT_EQ(store_->stats(ns_).value().files, before.files + 3);
  expect_clean(ns_);

  // Unlinked: an orphan until purged, then the counters are as before.
  for (auto [dir, name] : {std::pair{sub, "null"}, {kRootIno, "sock"}, {kRootIno, "disk"}}) {
    auto ino = store_->unlink(ns_, dir, name, kT2);
    ASSERT_TRUE(ino) << name << ": " << ino.error().message();
    ASSERT_TRUE(store_->purge(ns_, *ino));
  }
  ASSERT_TRUE(store_->rmdir(ns_, kRootIno, "sub", kT2));
  EXPECT_EQ(store_->stats(ns_).value(), before);
  expect_clean(ns_);
}

TEST_F(SpecialTest, SurviveReopenSnapshotSwapAndArchiveRoundTrip) {
  const Ino d = make(kRootIno, "dev", S_IFDIR | 0755);
  make_all(ns_, d);
  reopen();
  expect_all(ns_, d);

  // Snapshot, change the namespace, swap the snapshot back in.
  ASSERT_TRUE(store_->create_snapshot("s1", "go1.19.8"));
  ASSERT_TRUE(store_->unlink(ns_, d, "null", kT2));
  auto sw = store_->swap_snapshot("s1", "go1.19.8");
  ASSERT_TRUE(sw) << sw.error().message();
  expect_all(sw->new_id, d);
  expect_clean(sw->new_id);

  // Exported and imported as a namespace: the same inodes, a clean check.
  const std::string path = dir_.path() + "/special.gcfsarc";
  ASSERT_TRUE(store_->export_snapshot("s1", path));
  auto imp = store_->import_archive(path, "imported", true);
  ASSERT_TRUE(imp) << imp.error().message();
  const NsId in = ns_id("imported");
  const Ino in_dir = store_->lookup(in, kRootIno, "dev").value().ino;
  expect_all(in, in_dir);
  expect_clean(in);
  EXPECT_EQ(store_->stats(in).value(), store_->stats(sw->new_id).value());
}

// ---- the inode record -------------------------------------------------------

// A record as the format was before devices, byte by byte (inode_record.cpp).
std::string old_record(uint32_t mode) {
  std::string v;
  v.push_back(1);  // version
  v.push_back(0);  // flags
  keys::put_u32be(v, mode);
  keys::put_u32be(v, 1);  // nlink
  keys::put_u32be(v, 7);  // uid
  keys::put_u32be(v, 8);  // gid
  keys::put_u64be(v, 0);  // size
  keys::put_u64be(v, 0);  // stored
  for (int i = 0; i < 3; ++i) {
    keys::put_u64be(v, 1000);
    keys::put_u32be(v, 1);
  }
  keys::put_u64be(v, 0);  // parent
  keys::put_u32be(v, 0);  // data length
  keys::put_u32be(v, static_cast<uint32_t>(XXH3_64bits(v.data(), v.size())));
  return v;
}

TEST(InodeRecordTest, OldRecordDecodesWithRdevZeroAndIsWrittenTheSame) {
  const std::string old = old_record(S_IFREG | 0644);
  auto r = parse_inode(old, 5);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->rdev, 0u);
  EXPECT_EQ(r->mode, S_IFREG | 0644u);
  EXPECT_EQ(r->uid, 7u);
  EXPECT_EQ(r->mtime, (Timespec{1000, 1}));
  // Without a device number the record is what it always was.
  EXPECT_EQ(serialize_inode(*r), old);
}

TEST(InodeRecordTest, DeviceNumberRoundTripsAndIsRefusedOnOtherTypes) {
  InodeRecord rec;
  rec.mode = S_IFBLK | 0660;
  rec.nlink = 1;
  rec.rdev = makedev(259, 65536);
  auto r = parse_inode(serialize_inode(rec), 3);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->rdev, rec.rdev);
  EXPECT_EQ(r->to_attr(3).rdev, rec.rdev);
  EXPECT_EQ(serialize_inode(rec).size(), old_record(S_IFBLK).size() + 8);
  rec.mode = S_IFIFO | 0600;
  EXPECT_EQ(parse_inode(serialize_inode(rec), 3).code(), Errc::corrupt);
  EXPECT_TRUE(parse_inode(old_record(S_IFSOCK | 0755), 3));
  EXPECT_EQ(parse_inode(old_record(0644), 3).code(), Errc::corrupt);  // no type
}

// ---- the integrity check ----------------------------------------------------

TEST_F(CheckTest, SpecialFilesAreCleanAndDataOnOneIsRemoved) {
  auto f = store_->mknode(ns_, cd_, "fifo", S_IFIFO | 0600, {}, kT1);
  auto c = store_->mknode(ns_, cd_, "null", S_IFCHR | 0666, {}, kT1, {}, makedev(1, 3));
  ASSERT_TRUE(f && c);
  expect_clean();
  // Inline data on the fifo: damage, the inode goes.
  auto rec = parse_inode(get(keys::inode(f->ino)), f->ino).value();
  rec.size = 3;
  rec.data = "abc";
  put(keys::inode(f->ino), serialize_inode(rec));
  auto r = check();
  ASSERT_EQ(r.problems.size(), 1u) << describe(r.problems);
  EXPECT_EQ(r.problems[0].reason, "special file with data");
  EXPECT_EQ(r.problems[0].path, "/cd/fifo");
  repair_all();
  EXPECT_EQ(store_->lookup(ns_, cd_, "fifo").code(), Errc::not_found);
  EXPECT_EQ(store_->lookup(ns_, cd_, "null").value().rdev, makedev(1, 3));
  // A stray LRU record of a device is flagged and deleted.
  put(keys::use(c->ino), std::string(8, '\0'));
  r = check();
  ASSERT_EQ(r.problems.size(), 1u) << describe(r.problems);
  EXPECT_EQ(r.problems[0].kind, "lru");
  EXPECT_EQ(r.problems[0].reason, "LRU index records of a special file");
  repair_all();
}

}  // namespace
}  // namespace gcfs::test
