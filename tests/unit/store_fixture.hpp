// Shared helpers for the store unit tests: a temporary directory removed at
// the end of the test, a store opened in it, and small file helpers.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include "store/pending_write.hpp"
#include "store/store.hpp"

namespace gcfs::test {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "gcfs-unit-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::string random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

// Compressible bytes (text-like), so LZ4 paths are exercised.
inline std::string text_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  static const char* words[] = {"package ", "func ", "return ", "nil", "err ", "{\n", "}\n", "x"};
  std::string s;
  while (s.size() < n) s += words[rng() % 8];
  s.resize(n);
  return s;
}

// Live bytes of a namespace holding only its root directory: the inode
// record's 9-byte key and 86-byte value.
constexpr uint64_t kEmptyNsLive = 9 + 86;

constexpr Timespec kT1{1000, 1};
constexpr Timespec kT2{2000, 2};

// A store in a temp dir with one namespace "go1.19" and small sizes so that
// chunk boundaries are easy to reach.
class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.path = dir_.path() + "/store";
    options_.chunk_size = 4096;
    options_.inline_max = 1024;
    options_.min_blob_size = min_blob_size();
    options_.reserve_bytes = 0;
    reopen();
    auto ns = store_->create_namespace(namespace_name(), 0755, Credentials{1, 2});
    ASSERT_TRUE(ns) << ns.error().message();
    ns_ = ns->id;
  }
  // What a derived fixture may change.
  virtual std::string namespace_name() const { return "go1.19"; }
  virtual uint32_t min_blob_size() const { return 2048; }

  void reopen() {
    store_.reset();
    auto s = open_rocks_store(options_);
    ASSERT_TRUE(s) << s.error().message();
    store_ = std::move(s).value();
  }

  Ino make(Ino parent, std::string_view name, uint32_t mode = S_IFREG | 0644) {
    auto a = store_->mknode(ns_, parent, name, mode, Credentials{1, 2}, kT1);
    EXPECT_TRUE(a) << name << ": " << a.error().message();
    return a ? a->ino : 0;
  }

  // Writes `data` at `off` and commits.
  void write(Ino ino, uint64_t off, std::string_view data) {
    auto pw = store_->begin_write(ns_, ino);
    ASSERT_TRUE(pw) << pw.error().message();
    ASSERT_TRUE((*pw)->write(off, data));
    auto a = store_->commit(**pw, kT2);
    ASSERT_TRUE(a) << a.error().message();
  }

  std::string read_all(Ino ino) {
    auto a = store_->getattr(ns_, ino);
    EXPECT_TRUE(a);
    if (!a) return {};
    std::string out(a->size, '\0');
    auto n = store_->read(ns_, ino, 0, std::span<char>(out.data(), out.size()));
    EXPECT_TRUE(n) << n.error().message();
    if (!n) return {};
    out.resize(*n);
    return out;
  }

  void expect_consistent() {
    auto st = store_->stats(ns_);
    auto rc = store_->recount(ns_);
    ASSERT_TRUE(st && rc);
    EXPECT_EQ(st->files, rc->files);
    EXPECT_EQ(st->dirs, rc->dirs);
    EXPECT_EQ(st->symlinks, rc->symlinks);
    EXPECT_EQ(st->logical_bytes, rc->logical_bytes);
    EXPECT_EQ(st->stored_bytes, rc->stored_bytes);
    EXPECT_EQ(st->orphans, rc->orphans);
    EXPECT_EQ(st->live_bytes, rc->live_bytes);
  }

  TempDir dir_;
  StoreOptions options_;
  std::unique_ptr<Store> store_;
  NsId ns_ = 0;
};

}  // namespace gcfs::test
