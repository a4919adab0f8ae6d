// Directories: mknode, lookup, readdir (cookie order, resumable), unlink,
// rmdir, rename in all its cases, name validation.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <set>

#include "store_fixture.hpp"

namespace gcfs {
namespace {

using test::kT1;
using test::kT2;
using test::StoreTest;

class DirTest : public StoreTest {
 protected:
  std::vector<DirEntry> list(Ino dir, uint64_t from = 0) {
    std::vector<DirEntry> out;
    auto s = store_->readdir(ns_, dir, from, [&](const DirEntry& e) {
      out.push_back(e);
      return true;
    });
    EXPECT_TRUE(s) << s.error().message();
    return out;
  }
  Result<std::optional<Ino>> mv(Ino p, std::string_view n, Ino np, std::string_view nn,
                                unsigned flags = 0) {
    return store_->rename(ns_, p, n, np, nn, flags, kT2);
  }
  uint32_t nlink(Ino ino) { return store_->getattr(ns_, ino)->nlink; }
};

TEST_F(DirTest, RenameExchangeSwapsTwoEntries) {
  const Ino a = make(kRootIno, "a");
  const Ino b = make(kRootIno, "b");
  const Ino d = make(kRootIno, "d", S_IFDIR | 0755);
  const Ino c = make(d, "c");
  const Ino e = make(kRootIno, "e", S_IFDIR | 0755);
  const Ino inner = make(e, "inner", S_IFDIR | 0755);
  auto ino_of = [&](Ino dir, std::string_view n) { return store_->lookup(ns_, dir, n)->ino; };
  // Two files of one directory.
  EXPECT_EQ(mv(kRootIno, "a", kRootIno, "b", RENAME_EXCHANGE).value(), std::nullopt);
  EXPECT_EQ(ino_of(kRootIno, "a"), b);
  EXPECT_EQ(ino_of(kRootIno, "b"), a);
  EXPECT_EQ(store_->getattr(ns_, a)->ctime, kT2);
  // A file and a directory of different parents: ".." and the link counts follow.
  EXPECT_EQ(nlink(kRootIno), 4u);
  ASSERT_TRUE(mv(kRootIno, "e", d, "c", RENAME_EXCHANGE));
  EXPECT_EQ(ino_of(kRootIno, "e"), c);
  EXPECT_EQ(ino_of(d, "c"), e);
  EXPECT_EQ(store_->parent_of(ns_, e).value(), d);
  EXPECT_EQ(nlink(kRootIno), 3u);
  EXPECT_EQ(nlink(d), 3u);
  EXPECT_EQ(ino_of(ino_of(d, "c"), "inner"), inner);
  // A directory into its own subtree, both ways round.
  EXPECT_EQ(mv(kRootIno, "d", e, "inner", RENAME_EXCHANGE).code(), Errc::invalid);
  EXPECT_EQ(mv(e, "inner", kRootIno, "d", RENAME_EXCHANGE).code(), Errc::invalid);
  EXPECT_EQ(mv(kRootIno, "a", kRootIno, "missing", RENAME_EXCHANGE).code(), Errc::not_found);
  auto r = store_->check(ns_);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->problems.empty()) << r->problems.size() << " problem(s)";
  EXPECT_EQ(store_->stats(ns_).value(), store_->recount(ns_).value());
}

TEST_F(DirTest, MknodeAndLookup) {
  const Ino d = make(kRootIno, "00", S_IFDIR | 0755);
  const Ino f = make(d, "abc-d", S_IFREG | 0777);
  auto l = store_->mknode(ns_, kRootIno, "link", S_IFLNK | 0777, {}, kT1, "00/abc-d");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->size, 8u);
  EXPECT_EQ(store_->readlink(ns_, l->ino).value(), "00/abc-d");
  EXPECT_EQ(store_->readlink(ns_, f).code(), Errc::invalid);

  auto a = store_->lookup(ns_, d, "abc-d");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->ino, f);
  EXPECT_EQ(a->mode, static_cast<uint32_t>(S_IFREG | 0777));
  EXPECT_EQ(a->uid, 1u);
  EXPECT_EQ(a->gid, 2u);
  EXPECT_EQ(a->nlink, 1u);
  EXPECT_EQ(a->mtime, kT1);
  EXPECT_EQ(store_->lookup(ns_, d, "missing").code(), Errc::not_found);
  EXPECT_EQ(store_->lookup(ns_, kRootIno, std::string(300, 'x')).code(), Errc::name_too_long);

  // Directory link counts: 2 + subdirectories; parent times updated.
  EXPECT_EQ(nlink(kRootIno), 3u);
  EXPECT_EQ(nlink(d), 2u);
  EXPECT_EQ(store_->getattr(ns_, kRootIno)->mtime, kT1);
  EXPECT_EQ(store_->mknode(ns_, d, "abc-d", S_IFREG | 0644, {}, kT1).code(), Errc::exists);
  EXPECT_EQ(store_->mknode(ns_, d, "abc-d", S_IFDIR | 0755, {}, kT1).code(), Errc::exists);
  EXPECT_EQ(store_->mknode(ns_, f, "x", S_IFREG | 0644, {}, kT1).code(), Errc::not_dir);
  EXPECT_EQ(store_->mknode(ns_, 9999, "x", S_IFREG | 0644, {}, kT1).code(), Errc::not_found);
  auto st = store_->stats(ns_);
  EXPECT_EQ(*st, (NsStats{1, 2, 1, 0, 0, 0, st->live_bytes}));  // live: expect_consistent
  expect_consistent();
}

TEST_F(DirTest, NameValidation) {
  const std::string_view bads[] = {"", ".", "..", "a/b", std::string_view("a\0b", 3)};
  for (std::string_view bad : bads) {
    EXPECT_EQ(store_->mknode(ns_, kRootIno, bad, S_IFREG | 0644, {}, kT1).code(), Errc::invalid);
  }
  EXPECT_EQ(store_->mknode(ns_, kRootIno, std::string(256, 'n'), S_IFREG, {}, kT1).code(),
            Errc::name_too_long);
  EXPECT_TRUE(store_->mknode(ns_, kRootIno, std::string(255, 'n'), S_IFREG, {}, kT1));
  // No type, or a device number on what is no device (test_special.cpp).
  EXPECT_EQ(store_->mknode(ns_, kRootIno, "none", 0644, {}, kT1).code(), Errc::invalid);
  EXPECT_EQ(store_->mknode(ns_, kRootIno, "fifo", S_IFIFO | 0644, {}, kT1, {}, 5).code(),
            Errc::invalid);
  EXPECT_EQ(store_->mknode(ns_, kRootIno, "l", S_IFLNK | 0777, {}, kT1, "").code(), Errc::invalid);
}

TEST_F(DirTest, ReaddirCookieOrder) {
  std::set<std::string> names;
  for (int i = 0; i < 300; ++i) {
    names.insert(fmt::format("{:02x}", i));
    make(kRootIno, fmt::format("{:02x}", i), i % 3 == 0 ? S_IFDIR | 0755 : S_IFREG | 0644);
  }
  auto all = list(kRootIno);
  ASSERT_EQ(all.size(), names.size());
  std::set<std::string> seen;
  for (size_t i = 0; i < all.size(); ++i) {
    if (i > 0) {
      EXPECT_LT(all[i - 1].cookie, all[i].cookie);
    }
    EXPECT_GE(all[i].cookie, 3u);
    seen.insert(all[i].name);
    auto a = store_->lookup(ns_, kRootIno, all[i].name);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->ino, all[i].ino);
    EXPECT_EQ(all[i].mode, a->mode & S_IFMT);
  }
  EXPECT_EQ(seen, names);

  // emit returning false stops the walk.
  int n = 0;
  ASSERT_TRUE(store_->readdir(ns_, kRootIno, 0, [&](const DirEntry&) { return ++n < 10; }));
  EXPECT_EQ(n, 10);
  const auto file =
      std::find_if(all.begin(), all.end(), [](const DirEntry& e) { return e.mode == S_IFREG; });
  ASSERT_NE(file, all.end());
  EXPECT_EQ(store_->readdir(ns_, file->ino, 0, [](const DirEntry&) { return true; }).code(),
            Errc::not_dir);
}

TEST_F(DirTest, ReaddirResumesWithoutDuplicatesOrSkips) {
  for (int i = 0; i < 200; ++i) make(kRootIno, fmt::format("f{}", i));
  // Read in pages of 17, adding and removing entries between pages.
  std::map<std::string, int> emitted;
  std::set<std::string> removed, added;
  uint64_t next = 0;
  int round = 0;
  while (true) {
    int got = 0;
    ASSERT_TRUE(store_->readdir(ns_, kRootIno, next, [&](const DirEntry& e) {
      emitted[e.name]++;
      next = e.cookie + 1;
      return ++got < 17;
    }));
    if (got == 0) break;
    // Churn: remove one entry, add one.
    const std::string victim = fmt::format("f{}", (round * 37) % 200);
    if (!removed.contains(victim) && store_->unlink(ns_, kRootIno, victim, kT2)) {
      removed.insert(victim);
    }
    const std::string fresh = fmt::format("new{}", round);
    make(kRootIno, fresh);
    added.insert(fresh);
    ++round;
  }
  for (const auto& [name, count] : emitted) EXPECT_EQ(count, 1) << name;
  for (int i = 0; i < 200; ++i) {
    const std::string name = fmt::format("f{}", i);
    if (!removed.contains(name)) {
      EXPECT_TRUE(emitted.contains(name)) << "skipped " << name;
    }
  }
}

TEST_F(DirTest, UnlinkAndRmdir) {
  const Ino d = make(kRootIno, "d", S_IFDIR | 0755);
  const Ino f = make(d, "f");
  EXPECT_EQ(store_->unlink(ns_, kRootIno, "d", kT2).code(), Errc::is_dir);
  EXPECT_EQ(store_->rmdir(ns_, kRootIno, "d", kT2).code(), Errc::not_empty);
  EXPECT_EQ(store_->rmdir(ns_, d, "f", kT2).code(), Errc::not_dir);
  EXPECT_EQ(store_->rmdir(ns_, kRootIno, "nope", kT2).code(), Errc::not_found);
  EXPECT_EQ(store_->unlink(ns_, d, "nope", kT2).code(), Errc::not_found);
  auto u = store_->unlink(ns_, d, "f", kT2);
  ASSERT_TRUE(u);
  EXPECT_EQ(*u, f);
  EXPECT_EQ(store_->lookup(ns_, d, "f").code(), Errc::not_found);
  EXPECT_EQ(store_->getattr(ns_, d)->mtime, kT2);
  EXPECT_EQ(nlink(kRootIno), 3u);
  ASSERT_TRUE(store_->rmdir(ns_, kRootIno, "d", kT2));
  EXPECT_EQ(nlink(kRootIno), 2u);
  EXPECT_EQ(store_->getattr(ns_, d).code(), Errc::not_found);
  EXPECT_TRUE(list(kRootIno).empty());
  ASSERT_TRUE(store_->purge(ns_, f));
  EXPECT_EQ(*store_->stats(ns_), (NsStats{0, 1, 0, 0, 0, 0, test::kEmptyNsLive}));
  expect_consistent();
}

TEST_F(DirTest, RenameFiles) {
  const Ino a = make(kRootIno, "a");
  const Ino b = make(kRootIno, "b");
  const Ino d = make(kRootIno, "d", S_IFDIR | 0755);
  // Onto itself: no-op.
  EXPECT_EQ(mv(kRootIno, "a", kRootIno, "a").value(), std::nullopt);
  // Plain move to another directory.
  EXPECT_EQ(mv(kRootIno, "a", d, "a2").value(), std::nullopt);
  EXPECT_EQ(store_->lookup(ns_, d, "a2")->ino, a);
  EXPECT_EQ(store_->lookup(ns_, kRootIno, "a").code(), Errc::not_found);
  EXPECT_EQ(store_->getattr(ns_, a)->ctime, kT2);
  // NOREPLACE refuses an existing target.
  EXPECT_EQ(mv(d, "a2", kRootIno, "b", RENAME_NOREPLACE).code(), Errc::exists);
  EXPECT_EQ(mv(d, "a2", kRootIno, "c", RENAME_NOREPLACE).value(), std::nullopt);
  // Replacing a file orphans it and returns it.
  auto r = mv(kRootIno, "c", kRootIno, "b");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, std::optional<Ino>(b));
  EXPECT_EQ(store_->lookup(ns_, kRootIno, "b")->ino, a);
  EXPECT_EQ(store_->getattr(ns_, b)->nlink, 0u);
  EXPECT_EQ(store_->stats(ns_)->orphans, 1u);
  EXPECT_EQ(mv(kRootIno, "b", kRootIno, "x", RENAME_EXCHANGE).code(), Errc::not_found);
  EXPECT_EQ(mv(kRootIno, "b", kRootIno, "a", RENAME_EXCHANGE | RENAME_NOREPLACE).code(),
            Errc::invalid);
  EXPECT_EQ(mv(kRootIno, "b", kRootIno, "x", 0x100).code(), Errc::invalid);
  EXPECT_EQ(mv(kRootIno, "missing", kRootIno, "x").code(), Errc::not_found);
  EXPECT_EQ(mv(kRootIno, "b", kRootIno, "a/b").code(), Errc::invalid);
  EXPECT_EQ(mv(kRootIno, "b", a, "x").code(), Errc::not_dir);
  // File over directory, directory over file.
  EXPECT_EQ(mv(kRootIno, "b", kRootIno, "d").code(), Errc::is_dir);
  EXPECT_EQ(mv(kRootIno, "d", kRootIno, "b").code(), Errc::not_dir);
  expect_consistent();
}

TEST_F(DirTest, RenameDirectories) {
  const Ino d1 = make(kRootIno, "d1", S_IFDIR | 0755);
  const Ino d2 = make(kRootIno, "d2", S_IFDIR | 0755);
  const Ino sub = make(d1, "sub", S_IFDIR | 0755);
  const Ino deep = make(sub, "deep", S_IFDIR | 0755);
  make(d2, "file");
  EXPECT_EQ(nlink(kRootIno), 4u);
  EXPECT_EQ(nlink(d1), 3u);
  // Into its own subtree, or into itself: invalid.
  EXPECT_EQ(mv(kRootIno, "d1", sub, "x").code(), Errc::invalid);
  EXPECT_EQ(mv(kRootIno, "d1", deep, "x").code(), Errc::invalid);
  EXPECT_EQ(mv(kRootIno, "d1", d1, "x").code(), Errc::invalid);
  // Over a non-empty directory.
  EXPECT_EQ(mv(d1, "sub", kRootIno, "d2").code(), Errc::not_empty);
  // Move sub from d1 to d2: link counts follow.
  EXPECT_EQ(mv(d1, "sub", d2, "sub").value(), std::nullopt);
  EXPECT_EQ(nlink(d1), 2u);
  EXPECT_EQ(nlink(d2), 3u);
  // The moved directory now walks up through d2: d2 into deep is refused.
  EXPECT_EQ(mv(kRootIno, "d2", deep, "x").code(), Errc::invalid);
  // d1 (now empty) into deep is fine.
  EXPECT_EQ(mv(kRootIno, "d1", deep, "d1").value(), std::nullopt);
  EXPECT_EQ(nlink(kRootIno), 3u);
  EXPECT_EQ(nlink(deep), 3u);
  // Replace an empty directory with a directory.
  const Ino empty = make(kRootIno, "empty", S_IFDIR | 0755);
  EXPECT_EQ(nlink(kRootIno), 4u);
  EXPECT_EQ(mv(d2, "sub", kRootIno, "empty").value(), std::nullopt);
  EXPECT_EQ(store_->getattr(ns_, empty).code(), Errc::not_found);
  EXPECT_EQ(store_->lookup(ns_, kRootIno, "empty")->ino, sub);
  EXPECT_EQ(nlink(kRootIno), 4u);  // lost "empty", gained "sub"
  EXPECT_EQ(nlink(d2), 2u);
  EXPECT_EQ(store_->lookup(ns_, deep, "d1")->ino, d1);
  auto st = store_->stats(ns_);
  EXPECT_EQ(st->dirs, 5u);  // root, d1, d2, sub, deep
  expect_consistent();
}

}  // namespace
}  // namespace gcfs
