// Store::check while a writer creates, commits, truncates, renames, unlinks
// and purges files and records uses: every check must come back clean, since
// it reads one snapshot. The walk `gocachectl verify` did before (separate
// store calls, no common view) runs alongside for comparison: it reports
// damage that is not there, which is why verify no longer walks.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <functional>
#include <thread>

#include "check_fixture.hpp"

namespace gcfs {
namespace {

using test::describe;
using test::StoreTest;

// The old verify: readdir, then getattr and read of each file, stats()
// before and recount() after. Returns the problems it would have reported.
size_t old_walk_problems(Store& store, NsId ns) {
  size_t problems = 0;
  std::vector<char> buf(1 << 16);
  const auto st = store.stats(ns);
  std::function<void(Ino)> walk = [&](Ino dir) {
    std::vector<DirEntry> entries;
    Status s = store.readdir(ns, dir, 0, [&](const DirEntry& e) {
      entries.push_back(e);
      return true;
    });
    if (!s) return (void)++problems;
    for (const DirEntry& e : entries) {
      if (S_ISDIR(e.mode)) {
        walk(e.ino);
        continue;
      }
      auto a = store.getattr(ns, e.ino);
      if (!a) {
        ++problems;
        continue;
      }
      for (uint64_t off = 0; off < a->size;) {
        auto n = store.read(ns, e.ino, off, std::span<char>(buf.data(), buf.size()));
        if (!n || *n == 0) {
          ++problems;
          break;
        }
        off += *n;
      }
    }
  };
  walk(kRootIno);
  const auto rc = store.recount(ns);
  if (!st || !rc || !(*st == *rc)) ++problems;
  return problems;
}

struct Named {
  Ino dir = 0;
  std::string name;
  Ino ino = 0;
};

class LiveCheckTest : public StoreTest {
 protected:
  // Thousands of mutations of the kinds a build, the Go command's trim and
  // the eviction thread make.
  void writer(int ops) {
    std::mt19937 rng(20261130);
    std::vector<Ino> dirs;
    for (int i = 0; i < 8; ++i)
      dirs.push_back(make(kRootIno, fmt::format("{:02x}", i), S_IFDIR | 0755));
    std::vector<Named> live;
    std::vector<Ino> open_orphans;  // unlinked, purged later (as after a close)
    auto gone = [&](std::optional<Ino> ino) {
      if (!ino) return;
      if (rng() % 2) {
        EXPECT_TRUE(store_->purge(ns_, *ino));
      } else {
        open_orphans.push_back(*ino);
      }
    };
    for (int op = 0; op < ops; ++op) {
      const Timespec now{1'700'000'000 + op, 0};
      const unsigned what = rng() % 20;
      if (what < 8 || live.size() < 30) {  // create, write, commit
        const Ino dir = dirs[rng() % dirs.size()];
        const std::string name = fmt::format("{:016x}-{}", rng(), rng() % 2 ? 'a' : 'd');
        auto a = store_->mknode(ns_, dir, name, S_IFREG | 0644, {}, now);
        if (!a) continue;
        auto pw = store_->begin_write(ns_, a->ino);
        ASSERT_TRUE(pw);
        const size_t size = rng() % 4 == 0 ? rng() % 30000 : rng() % 1500;
        ASSERT_TRUE((*pw)->write(0, test::text_bytes(size, rng())));
        ASSERT_TRUE(store_->commit(**pw, now));
        live.push_back({dir, name, a->ino});
      } else if (what < 13) {  // unlink (eviction, trim, go clean)
        const size_t i = rng() % live.size();
        auto ino = store_->unlink(ns_, live[i].dir, live[i].name, now);
        ASSERT_TRUE(ino) << ino.error().message();
        live.erase(live.begin() + static_cast<std::ptrdiff_t>(i));
        gone(*ino);
      } else if (what < 15 && !open_orphans.empty()) {  // a last close
        EXPECT_TRUE(store_->purge(ns_, open_orphans.front()));
        open_orphans.erase(open_orphans.begin());
      } else if (what < 16) {  // truncate (the Go command's ftruncate)
        SetAttr sa;
        sa.size = rng() % 9000;
        sa.now = now;
        ASSERT_TRUE(store_->setattr(ns_, live[rng() % live.size()].ino, sa));
      } else if (what < 18) {  // uses, as the daemon records them every 2 s
        std::vector<FileUse> uses;
        for (int k = 0; k < 5; ++k) {
          const Named& n = live[rng() % live.size()];
          uses.push_back({n.ino, n.dir, n.name, now.sec * 1'000'000'000 + k, false});
        }
        ASSERT_TRUE(store_->record_uses(ns_, uses));
      } else {  // rename, possibly over another file
        const size_t i = rng() % live.size();
        const size_t j = rng() % live.size();
        if (i == j) continue;
        auto r = store_->rename(ns_, live[i].dir, live[i].name, live[j].dir, live[j].name, 0, now);
        ASSERT_TRUE(r) << r.error().message();
        live[i].dir = live[j].dir;
        live[i].name = live[j].name;
        live.erase(live.begin() + static_cast<std::ptrdiff_t>(j));
        gone(*r);
      }
    }
    for (Ino ino : open_orphans) EXPECT_TRUE(store_->purge(ns_, ino));
  }
};

TEST_F(LiveCheckTest, ChecksDuringThousandsOfMutationsAreClean) {
  constexpr int kOps = 6000;
  std::atomic<bool> done{false};
  std::thread w([&] {
    writer(kOps);
    done = true;
  });
  std::atomic<size_t> old_walks{0}, old_problems{0};
  std::thread old([&] {
    while (!done) {
      old_problems += old_walk_problems(*store_, ns_);
      ++old_walks;
    }
  });
  size_t checks = 0, dirty = 0;
  while (!done) {
    auto r = store_->check(ns_);
    if (!r) {
      ADD_FAILURE() << r.error().message();
      break;
    }
    ++checks;
    if (!r->problems.empty()) {
      ++dirty;
      ADD_FAILURE() << "check " << checks << ":" << describe(r->problems);
    }
  }
  w.join();
  old.join();
  EXPECT_EQ(dirty, 0u);
  EXPECT_GE(checks, 5u) << "the writer finished before the checks overlapped it";
  auto last = store_->check(ns_);
  ASSERT_TRUE(last);
  EXPECT_TRUE(last->problems.empty()) << describe(last->problems);
  std::printf(
      "%zu checks during %d mutations: all clean. The old walk, meanwhile: %zu false "
      "problem(s) in %zu walks.\n",
      checks, kOps, old_problems.load(), old_walks.load());
}

}  // namespace
}  // namespace gcfs
