// Helpers for the integrity check tests: a small namespace, raw damage that
// keeps the counters right (so a check reports exactly the damage made), and
// readable problem lists for failure messages.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "store/local/check_scan.hpp"
#include "store/local/keys.hpp"
#include "store/testing/testing.hpp"
#include "store_fixture.hpp"

namespace gcfs::test {

inline std::string describe(const std::vector<CheckProblem>& problems) {
  std::string out;
  for (const auto& p : problems) {
    out +=
        fmt::format("\n  [{}] inode {} '{}': {} -> {}", p.kind, p.ino, p.path, p.reason, p.repair);
  }
  return out.empty() ? " (none)" : out;
}

// A clean check of namespace `ns` and counters equal to a recount.
inline void expect_clean_namespace(Store& store, NsId ns) {
  auto r = store.check(ns);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(r->problems.empty()) << describe(r->problems);
  auto st = store.stats(ns);
  auto rc = store.recount(ns);
  ASSERT_TRUE(st && rc);
  EXPECT_EQ(*st, *rc);
}

using Records = std::map<std::string, std::string>;

// The keys two dumps disagree on, or "" when they are the same.
inline std::string record_diff(const Records& a, const Records& b) {
  std::string out;
  auto show = [](std::string_view k) {
    std::string s;
    for (unsigned char c : k)
      s += c >= 0x21 && c <= 0x7e ? std::string(1, c) : fmt::format("\\x{:02x}", c);
    return s;
  };
  for (const auto& [k, v] : a) {
    auto it = b.find(k);
    if (it == b.end())
      out += "\n  only before: " + show(k);
    else if (it->second != v)
      out += "\n  changed: " + show(k);
  }
  for (const auto& [k, v] : b) {
    if (!a.contains(k)) out += "\n  only after: " + show(k);
  }
  return out;
}

class CheckTest : public StoreTest {
 protected:
  // /ab/x-a (175 bytes, inline), /ab/y-d (5 chunks), /cd (empty dir).
  void SetUp() override {
    StoreTest::SetUp();
    ab_ = make(kRootIno, "ab", S_IFDIR | 0755);
    cd_ = make(kRootIno, "cd", S_IFDIR | 0755);
    x_ = make(ab_, "x-a");
    y_ = make(ab_, "y-d");
    x_data_ = "v1 " + std::string(172, 'a');
    y_data_ = random_bytes(5 * 4096 - 100, 7);
    write(x_, 0, x_data_);
    write(y_, 0, y_data_);
  }

  CheckReport check() {
    auto r = store_->check(ns_);
    EXPECT_TRUE(r) << r.error().message();
    return r ? *r : CheckReport{};
  }
  CheckReport repair() {
    auto r = store_->repair(ns_);
    EXPECT_TRUE(r) << r.error().message();
    return r ? *r : CheckReport{};
  }
  void expect_clean() {
    auto r = check();
    EXPECT_TRUE(r.problems.empty()) << describe(r.problems);
  }
  // Repairs, expects nothing left, and a clean check afterwards.
  CheckReport repair_all() {
    auto r = repair();
    EXPECT_TRUE(r.wrote);
    EXPECT_TRUE(r.remaining.empty()) << describe(r.remaining);
    expect_clean();
    return r;
  }

  // Raw edits: bypass every check, then set the counters to a recount so
  // that only the damage itself is left to find.
  void put(std::string_view key, std::string_view value) {
    ASSERT_TRUE(testing::put_raw(*store_, ns_, key, value));
    settle();
  }
  void del(std::string_view key) {
    ASSERT_TRUE(testing::delete_raw(*store_, ns_, key));
    settle();
  }
  std::string get(std::string_view key) {
    auto v = testing::get_raw(*store_, ns_, key);
    EXPECT_TRUE(v && v->has_value()) << "no record";
    return v && v->has_value() ? **v : std::string();
  }
  void settle() {
    auto rc = store_->recount(ns_);
    auto st = store_->stats(ns_);
    ASSERT_TRUE(rc && st);
    const auto fields = counter_fields(*rc);
    const auto now = counter_fields(*st);
    for (size_t i = 0; i < kCounterNames.size(); ++i) {
      if (*now[i] == *fields[i]) continue;  // keep records that were never written absent
      std::string v;
      keys::put_u64le(v, *fields[i]);
      ASSERT_TRUE(testing::put_raw(*store_, ns_, keys::counter(kCounterNames[i]), v));
    }
  }
  std::string dentry_key(Ino parent, std::string_view name) {
    return keys::dentry(parent, keys::dentry_cookie(name), name);
  }
  // The `L` key of an indexed file.
  std::string lru_key(Ino ino) {
    const std::string u = get(keys::use(ino));
    return keys::lru(static_cast<int64_t>(keys::get_u64be(u.data())), ino);
  }

  Records dump() {
    auto d = testing::dump_raw(*store_, ns_);
    EXPECT_TRUE(d) << d.error().message();
    return d ? *d : Records{};
  }
  void expect_records(const Records& before) { EXPECT_EQ(record_diff(before, dump()), ""); }

  Ino ab_ = 0, cd_ = 0, x_ = 0, y_ = 0;
  std::string x_data_, y_data_;
};

}  // namespace gcfs::test
