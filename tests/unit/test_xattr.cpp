// Extended attributes: set, get, list and remove with their flags and
// limits; one batch with the inode's ctime; exact live-bytes accounting;
// gone with the inode (purged orphan, removed directory, replaced
// directory); kept by reopen, snapshot, swap and archive; checked and
// repaired.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "check_fixture.hpp"
#include "snapshot_fixture.hpp"
#include "store/local/inode_record.hpp"

namespace gcfs::test {
namespace {

using Names = std::vector<std::string>;

class XattrTest : public SnapshotTest {
 protected:
  Status set(NsId ns, Ino ino, std::string_view name, std::string_view value, XattrMode mode = {}) {
    return store_->setxattr(ns, ino, name, value, mode, kT2);
  }
  std::string get(NsId ns, Ino ino, std::string_view name) {
    auto v = store_->getxattr(ns, ino, name);
    EXPECT_TRUE(v) << name << ": " << v.error().message();
    return v ? *v : std::string();
  }
  Names list(NsId ns, Ino ino) {
    auto l = store_->listxattr(ns, ino);
    EXPECT_TRUE(l) << l.error().message();
    return l ? *l : Names{};
  }
  void expect_clean(NsId ns) { expect_clean_namespace(*store_, ns); }
  // A file and a directory with attributes, as the archive and snapshot
  // cases expect them.
  void decorate(NsId ns, Ino file, Ino dir) {
    ASSERT_TRUE(set(ns, file, "user.mime", "text/plain"));
    ASSERT_TRUE(set(ns, file, "user.empty", ""));
    ASSERT_TRUE(set(ns, file, "security.capability", std::string("\x01\x00\x00\x02", 4)));
    ASSERT_TRUE(set(ns, dir, "trusted.overlay.opaque", "y"));
  }
  void expect_decorated(NsId ns, Ino file, Ino dir) {
    EXPECT_EQ(list(ns, file), (Names{"security.capability", "user.empty", "user.mime"}));
    EXPECT_EQ(get(ns, file, "user.mime"), "text/plain");
    EXPECT_EQ(get(ns, file, "user.empty"), "");
    EXPECT_EQ(get(ns, file, "security.capability"), std::string("\x01\x00\x00\x02", 4));
    EXPECT_EQ(list(ns, dir), (Names{"trusted.overlay.opaque"}));
    EXPECT_EQ(get(ns, dir, "trusted.overlay.opaque"), "y");
  }
  Ino lookup(NsId ns, Ino dir, std::string_view name) {
    auto a = store_->lookup(ns, dir, name);
    EXPECT_TRUE(a) << name;
    return a ? a->ino : 0;
  }
};

TEST_F(XattrTest, SetGetListRemoveWithFlagsAndCtime) {
  const Ino f = make(kRootIno, "f");
  EXPECT_EQ(list(ns_, f), Names{});
  EXPECT_EQ(store_->getxattr(ns_, f, "user.a").code(), Errc::no_attr);
  EXPECT_EQ(store_->removexattr(ns_, f, "user.a", kT2).code(), Errc::no_attr);
  EXPECT_EQ(set(ns_, f, "user.a", "1", XattrMode{.replace = true}).code(), Errc::no_attr);

  ASSERT_TRUE(set(ns_, f, "user.b", "two", XattrMode{.create = true}));
  EXPECT_EQ(store_->getattr(ns_, f)->ctime, kT2);
  ASSERT_TRUE(set(ns_, f, "user.a", std::string("\0bin\xff", 5)));
  EXPECT_EQ(set(ns_, f, "user.b", "x", XattrMode{.create = true}).code(), Errc::exists);
  EXPECT_EQ(get(ns_, f, "user.b"), "two");
  ASSERT_TRUE(set(ns_, f, "user.b", "three", XattrMode{.replace = true}));
  EXPECT_EQ(get(ns_, f, "user.b"), "three");
  EXPECT_EQ(get(ns_, f, "user.a"), std::string("\0bin\xff", 5));
  EXPECT_EQ(list(ns_, f), (Names{"user.a", "user.b"}));
  // Another inode's attributes are its own.
  const Ino g = make(kRootIno, "g");
  EXPECT_EQ(list(ns_, g), Names{});
  EXPECT_EQ(store_->getxattr(ns_, g, "user.a").code(), Errc::no_attr);

  ASSERT_TRUE(store_->removexattr(ns_, f, "user.a", Timespec{3000, 3}));
  EXPECT_EQ(store_->getattr(ns_, f)->ctime, (Timespec{3000, 3}));
  EXPECT_EQ(list(ns_, f), (Names{"user.b"}));
  ASSERT_TRUE(store_->removexattr(ns_, f, "user.b", kT2));
  EXPECT_EQ(list(ns_, f), Names{});
  EXPECT_EQ(store_->getxattr(ns_, f, "user.b").code(), Errc::no_attr);
  expect_clean(ns_);
}

TEST_F(XattrTest, LimitsAreExt4s) {
  const Ino f = make(kRootIno, "f");
  EXPECT_TRUE(set(ns_, f, "user." + std::string(250, 'n'), "v"));  // 255 bytes
  EXPECT_EQ(set(ns_, f, "user." + std::string(251, 'n'), "v").code(), Errc::attr_too_big);
  EXPECT_EQ(store_->getxattr(ns_, f, std::string(256, 'n')).code(), Errc::attr_too_big);
  EXPECT_EQ(set(ns_, f, "", "v").code(), Errc::invalid);
  EXPECT_EQ(set(ns_, f, std::string("user.a\0user.b", 13), "v").code(), Errc::invalid);
  EXPECT_EQ(set(ns_, f, "system.posix_acl_access", "v").code(), Errc::not_supported);
  EXPECT_EQ(set(ns_, f, "other.x", "v").code(), Errc::not_supported);
  EXPECT_TRUE(set(ns_, f, "user.block", std::string(kMaxXattrValueLen, 'v')));
  EXPECT_EQ(set(ns_, f, "user.over", std::string(kMaxXattrValueLen + 1, 'v')).code(),
            Errc::attr_too_big);
  // 64 KiB of names (each with the NUL that ends it in a list) and values
  // per inode, so a full list fits the kernel's list buffer; replacing a
  // value counts it once.
  const Ino g = make(kRootIno, "g");
  size_t used = 0;
  int i = 0;
  for (;; ++i) {
    const std::string name = fmt::format("user.{:04}", i);
    if (used + name.size() + 1 + kMaxXattrValueLen > kMaxXattrBytesPerInode) break;
    ASSERT_TRUE(set(ns_, g, name, std::string(kMaxXattrValueLen, 'v')));
    used += name.size() + 1 + kMaxXattrValueLen;
  }
  EXPECT_EQ(set(ns_, g, "user.last", std::string(kMaxXattrValueLen, 'v')).code(), Errc::no_space);
  EXPECT_TRUE(set(ns_, g, "user.0000", std::string(kMaxXattrValueLen, 'w')));
  EXPECT_EQ(list(ns_, g).size(), static_cast<size_t>(i));
  const Ino h = make(kRootIno, "h");
  size_t list_bytes = 0;
  for (int j = 0;; ++j) {
    const std::string name = fmt::format("user.{:0250}", j);  // 255 bytes
    auto s = set(ns_, h, name, "");
    if (!s) {
      EXPECT_EQ(s.code(), Errc::no_space);
      break;
    }
    list_bytes += name.size() + 1;
  }
  EXPECT_LE(list_bytes, size_t{65536});
  EXPECT_GT(list_bytes, size_t{65536 - 256});
  expect_clean(ns_);
}

TEST_F(XattrTest, LiveBytesCountEveryRecordAndComeBackWhenTheInodeGoes) {
  const auto before = store_->stats(ns_).value();
  const Ino f = make(kRootIno, "f");
  write(f, 0, text_bytes(9000, 5));
  const Ino d = make(kRootIno, "d", S_IFDIR | 0755);
  const auto made = store_->stats(ns_).value();
  ASSERT_TRUE(set(ns_, f, "user.k", "value"));
  const auto with = store_->stats(ns_).value();
  // The record (key X + ino + name, value) and the inode's flag, nothing else.
  EXPECT_EQ(with.live_bytes, made.live_bytes + (1 + 8 + 6) + 5);
  ASSERT_TRUE(set(ns_, f, "user.k", "longer value"));
  EXPECT_EQ(store_->stats(ns_)->live_bytes, with.live_bytes + 7);
  ASSERT_TRUE(set(ns_, d, "user.dir", std::string(4000, 'd')));
  expect_clean(ns_);

  // A removed directory and a purged orphan leave no attribute behind.
  ASSERT_TRUE(store_->rmdir(ns_, kRootIno, "d", kT2));
  auto gone = store_->unlink(ns_, kRootIno, "f", kT2);
  ASSERT_TRUE(gone);
  EXPECT_EQ(get(ns_, *gone, "user.k"), "longer value");  // open handles still see it
  ASSERT_TRUE(store_->purge(ns_, *gone));
  EXPECT_EQ(store_->stats(ns_).value(), before);
  expect_clean(ns_);

  // A directory replaced by rename takes its attributes along.
  const Ino a = make(kRootIno, "a", S_IFDIR | 0755);
  const Ino b = make(kRootIno, "b", S_IFDIR | 0755);
  ASSERT_TRUE(set(ns_, b, "user.b", "b"));
  ASSERT_TRUE(store_->rename(ns_, kRootIno, "a", kRootIno, "b", 0, kT2));
  EXPECT_EQ(list(ns_, a), Names{});
  ASSERT_TRUE(store_->rmdir(ns_, kRootIno, "b", kT2));
  EXPECT_EQ(store_->stats(ns_).value(), before);
  expect_clean(ns_);
}

TEST_F(XattrTest, KeptByReopenSnapshotSwapAndArchive) {
  const Ino d = lookup(ns_, kRootIno, "ab");
  const Ino f = lookup(ns_, d, "big-d");
  decorate(ns_, f, d);
  reopen();
  expect_decorated(ns_, f, d);

  ASSERT_TRUE(store_->create_snapshot("s1", "go1.19.8"));
  ASSERT_TRUE(store_->removexattr(ns_, f, "user.mime", kT2));
  ASSERT_TRUE(set(ns_, f, "user.later", "x"));
  auto sw = store_->swap_snapshot("s1", "go1.19.8");
  ASSERT_TRUE(sw) << sw.error().message();
  expect_decorated(sw->new_id, f, d);
  expect_clean(sw->new_id);

  const std::string path = dir_.path() + "/xattr.gcfsarc";
  ASSERT_TRUE(store_->export_snapshot("s1", path));
  auto imp = store_->import_archive(path, "imported", true);
  ASSERT_TRUE(imp) << imp.error().message();
  const NsId in = ns_id("imported");
  const Ino in_d = lookup(in, kRootIno, "ab");
  expect_decorated(in, lookup(in, in_d, "big-d"), in_d);
  expect_clean(in);
  EXPECT_EQ(store_->stats(in).value(), store_->stats(sw->new_id).value());

  // A delta carries an attribute change alone (on the swapped-in family).
  ASSERT_TRUE(set(sw->new_id, f, "user.mime", "text/x-go"));
  ASSERT_TRUE(store_->create_snapshot("s2", "go1.19.8"));
  const std::string delta = dir_.path() + "/xattr-delta.gcfsarc";
  DeltaBase base;
  base.snapshot = "s1";
  auto ex = store_->export_snapshot("s2", delta, {}, base);
  ASSERT_TRUE(ex) << ex.error().message();
  auto both = store_->import_archives({path, delta}, "both", true);
  ASSERT_TRUE(both) << both.error().message();
  const NsId bn = ns_id("both");
  const Ino b_d = lookup(bn, kRootIno, "ab");
  EXPECT_EQ(get(bn, lookup(bn, b_d, "big-d"), "user.mime"), "text/x-go");
  expect_clean(bn);
}

TEST_F(CheckTest, StrayAttributesAreFoundAndDeleted) {
  ASSERT_TRUE(store_->setxattr(ns_, x_, "user.ok", "1", XattrMode{}, kT2));
  expect_clean();
  // An attribute of a missing inode, and one of an inode without the flag.
  put(keys::xattr(999, "user.lost"), "v");
  put(keys::xattr(y_, "user.hidden"), "v");
  auto r = check();
  ASSERT_EQ(r.problems.size(), 2u) << describe(r.problems);
  EXPECT_EQ(r.problems[0].kind, "attribute");
  repair_all();
  EXPECT_EQ(store_->getxattr(ns_, x_, "user.ok").value(), "1");
  EXPECT_EQ(store_->listxattr(ns_, y_).value(), Names{});
}

TEST_F(CheckTest, AFileRepairRemovesGoesWithItsAttributesInOneRound) {
  ASSERT_TRUE(store_->setxattr(ns_, y_, "user.a", "1", XattrMode{}, kT2));
  ASSERT_TRUE(store_->setxattr(ns_, y_, "user.b", "2", XattrMode{}, kT2));
  std::string c = get(keys::chunk(y_, 2));
  c.back() = static_cast<char>(c.back() ^ 0x40);
  put(keys::chunk(y_, 2), c);
  auto r = check();
  ASSERT_EQ(r.problems.size(), 1u) << describe(r.problems);  // the data, nothing else
  auto fixed = repair();
  EXPECT_TRUE(fixed.remaining.empty()) << describe(fixed.remaining);
  expect_clean();
  EXPECT_FALSE(testing::get_raw(*store_, ns_, keys::xattr(y_, "user.a"))->has_value());
  EXPECT_FALSE(testing::get_raw(*store_, ns_, keys::xattr(y_, "user.b"))->has_value());
}

TEST(XattrRecordTest, FlagRoundTripsAndOldRecordsHaveNone) {
  InodeRecord rec;
  rec.mode = S_IFREG | 0644;
  rec.nlink = 1;
  const std::string plain = serialize_inode(rec);
  EXPECT_FALSE(parse_inode(plain, 3)->xattrs);
  rec.xattrs = true;
  const std::string flagged = serialize_inode(rec);
  EXPECT_EQ(flagged.size(), plain.size());
  EXPECT_TRUE(parse_inode(flagged, 3)->xattrs);
}

}  // namespace
}  // namespace gcfs::test
