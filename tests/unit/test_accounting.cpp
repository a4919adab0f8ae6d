// Accounting: after long random operation sequences the inline counters equal
// a full recount, before and after reopening, and every file still reads
// back what was written.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "store_fixture.hpp"

namespace gcfs {
namespace {

using test::kT2;
using test::StoreTest;

struct Entry {
  Ino parent;
  std::string name;
  Ino ino;
  bool dir;
};

class AccountingTest : public StoreTest {
 protected:
  // Fails the test on errors that no operation should ever produce.
  template <class R>
  void no_hard_error(const R& r, const char* what) {
    const Errc c = r.code();
    ASSERT_TRUE(c != Errc::corrupt && c != Errc::io && c != Errc::no_space)
        << what << ": " << r.error().message();
  }
};

TEST_F(AccountingTest, RandomSequenceMatchesRecount) {
  std::mt19937 rng(20240601);
  std::vector<Entry> entries;          // named inodes
  std::map<Ino, std::string> content;  // regular files, named or orphaned
  std::vector<Ino> orphans;
  auto pick_dir = [&]() -> Ino {
    std::vector<Ino> dirs{kRootIno};
    for (const auto& e : entries) {
      if (e.dir) dirs.push_back(e.ino);
    }
    return dirs[rng() % dirs.size()];
  };
  auto pick_file = [&]() -> Ino {
    if (content.empty()) return 0;
    auto it = content.begin();
    std::advance(it, rng() % content.size());
    return it->first;
  };
  auto forget = [&](Ino ino) {
    std::erase_if(entries, [&](const Entry& e) { return e.ino == ino; });
  };

  for (int step = 0; step < 3000; ++step) {
    const int op = static_cast<int>(rng() % 100);
    const std::string name = fmt::format("n{}", rng() % 60);
    if (op < 20) {  // create a file, directory or symlink
      const int kind = static_cast<int>(rng() % 10);
      const uint32_t mode = kind < 7 ? S_IFREG | 0644 : kind < 9 ? S_IFDIR | 0755 : S_IFLNK | 0777;
      const Ino parent = pick_dir();
      auto a = store_->mknode(ns_, parent, name, mode, {}, kT2, "some/target");
      no_hard_error(a, "mknode");
      if (a) {
        entries.push_back(Entry{parent, name, a->ino, S_ISDIR(mode)});
        if (S_ISREG(mode)) content[a->ino] = "";
      }
    } else if (op < 50) {  // write at a random offset
      const Ino f = pick_file();
      if (f == 0) continue;
      auto pw = store_->begin_write(ns_, f);
      ASSERT_TRUE(pw) << pw.error().message();
      const int writes = 1 + static_cast<int>(rng() % 3);
      std::string& model = content[f];
      for (int w = 0; w < writes; ++w) {
        const uint64_t off = rng() % 3 == 0 ? model.size() : rng() % 30000;
        const std::string data = rng() % 2 ? test::text_bytes(1 + rng() % 12000, rng())
                                           : test::random_bytes(1 + rng() % 3000, rng());
        ASSERT_TRUE((*pw)->write(off, data));
        if (model.size() < off + data.size()) model.resize(off + data.size(), '\0');
        model.replace(off, data.size(), data);
      }
      if (rng() % 4 == 0) {
        const uint64_t size = rng() % 20000;
        ASSERT_TRUE((*pw)->truncate(size));
        model.resize(size, '\0');
      }
      auto c = store_->commit(**pw, kT2);
      ASSERT_TRUE(c) << c.error().message();
    } else if (op < 60) {  // setattr size
      const Ino f = pick_file();
      if (f == 0) continue;
      SetAttr sa;
      sa.size = rng() % 3 == 0 ? 0 : rng() % 25000;
      sa.now = kT2;
      auto a = store_->setattr(ns_, f, sa);
      ASSERT_TRUE(a) << a.error().message();
      content[f].resize(*sa.size, '\0');
    } else if (op < 72) {  // unlink
      if (entries.empty()) continue;
      const Entry e = entries[rng() % entries.size()];
      auto r = store_->unlink(ns_, e.parent, e.name, kT2);
      no_hard_error(r, "unlink");
      if (r) {
        forget(*r);
        orphans.push_back(*r);
      }
    } else if (op < 80) {  // purge some orphan
      if (orphans.empty()) continue;
      const size_t i = rng() % orphans.size();
      ASSERT_TRUE(store_->purge(ns_, orphans[i]));
      content.erase(orphans[i]);
      orphans.erase(orphans.begin() + static_cast<long>(i));
    } else if (op < 90) {  // rename
      if (entries.empty()) continue;
      const Entry e = entries[rng() % entries.size()];
      const Ino np = pick_dir();
      auto r = store_->rename(ns_, e.parent, e.name, np, name, rng() % 4 == 0 ? 1 : 0, kT2);
      no_hard_error(r, "rename");
      if (r) {
        std::erase_if(entries, [&](const Entry& x) {
          return x.parent == np && x.name == name && x.ino != e.ino;
        });
        for (auto& x : entries) {
          if (x.ino == e.ino) {
            x.parent = np;
            x.name = name;
          }
        }
        if (*r) orphans.push_back(**r);
      }
    } else {  // rmdir
      if (entries.empty()) continue;
      const Entry e = entries[rng() % entries.size()];
      auto s = store_->rmdir(ns_, e.parent, e.name, kT2);
      no_hard_error(s, "rmdir");
      if (s) forget(e.ino);
    }
    if (step % 500 == 0) expect_consistent();
  }
  auto st = store_->stats(ns_).value();
  EXPECT_GT(st.files, 0u);
  EXPECT_GT(st.dirs, 1u);
  EXPECT_GT(st.orphans, 0u);
  expect_consistent();
  for (const auto& [ino, model] : content) ASSERT_EQ(read_all(ino), model) << "inode " << ino;

  // Reopening purges the orphans; the counters still match a recount.
  reopen();
  expect_consistent();
  st = store_->stats(ns_).value();
  EXPECT_EQ(st.orphans, 0u);
  for (Ino o : orphans) content.erase(o);
  for (const auto& [ino, model] : content) ASSERT_EQ(read_all(ino), model) << "inode " << ino;
  uint64_t logical = 0;
  for (const auto& [ino, model] : content) logical += model.size();
  EXPECT_EQ(st.logical_bytes, logical);
}

TEST_F(AccountingTest, ConcurrentMutationsStayConsistent) {
  auto other = store_->create_namespace("other", 0755, {});
  ASSERT_TRUE(other);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const NsId ns = t % 2 == 0 ? ns_ : other->id;
      std::mt19937 rng(t);
      for (int i = 0; i < 150; ++i) {
        const std::string name = fmt::format("t{}-{}", t, rng() % 20);
        auto a = store_->mknode(ns, kRootIno, name, S_IFREG | 0644, {}, kT2);
        if (!a) {
          auto found = store_->lookup(ns, kRootIno, name);
          if (!found) continue;
          a = found;
        }
        auto pw = store_->begin_write(ns, a->ino);
        if (!pw) continue;
        if (!(*pw)->write(rng() % 8000, test::text_bytes(1 + rng() % 9000, rng()))) continue;
        if (!store_->commit(**pw, kT2)) continue;
        if (rng() % 3 == 0) {
          auto u = store_->unlink(ns, kRootIno, name, kT2);
          if (u && rng() % 2 == 0) (void)store_->purge(ns, *u);
        }
        char buf[512];
        (void)store_->read(ns, a->ino, 0, std::span<char>(buf, sizeof buf));
      }
    });
  }
  for (auto& th : threads) th.join();
  expect_consistent();
  auto a = store_->stats(other->id).value();
  auto b = store_->recount(other->id).value();
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace gcfs
