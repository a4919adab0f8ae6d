// A store with one namespace "go1.19.8" filled with a small tree of files
// (inline, chunked, compressible, incompressible), for the snapshot and
// archive tests. Blob files stay off: snapshots hard-link SST files.
#pragma once

#include <map>

#include "store/snapshots.hpp"
#include "store_fixture.hpp"

namespace gcfs::test {

class SnapshotTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure()) return;
    fill();
  }
  std::string namespace_name() const override { return "go1.19.8"; }
  uint32_t min_blob_size() const override { return 0; }

  void fill() {
    Ino d = make(kRootIno, "ab", S_IFDIR | 0755);
    write(make(d, "small-a"), 0, text_bytes(175, 1));
    // Go's cache names are 66 characters: longer than archive header names.
    write(make(d, std::string(64, 'a') + "-d"), 0, text_bytes(3000, 4));
    write(make(d, "big-d"), 0, text_bytes(30000, 2));
    write(make(d, "rand-d"), 0, random_bytes(20000, 3));
    write(make(kRootIno, "trim.txt"), 0, "1700000000");
    make(kRootIno, "empty");
  }

  // name path -> content of every regular file in namespace `ns`.
  std::map<std::string, std::string> tree(NsId ns, Ino dir = kRootIno, std::string prefix = "") {
    std::map<std::string, std::string> out;
    std::vector<DirEntry> entries;
    EXPECT_TRUE(store_->readdir(ns, dir, 0, [&](const DirEntry& e) {
      entries.push_back(e);
      return true;
    }));
    for (const auto& e : entries) {
      const std::string path = prefix + e.name;
      if (S_ISDIR(e.mode)) {
        out[path + "/"] = "";
        auto sub = tree(ns, e.ino, path + "/");
        out.insert(sub.begin(), sub.end());
        continue;
      }
      auto a = store_->getattr(ns, e.ino);
      EXPECT_TRUE(a);
      std::string data(a->size, '\0');
      auto n = store_->read(ns, e.ino, 0, std::span<char>(data.data(), data.size()));
      EXPECT_TRUE(n) << n.error().message();
      out[path] = data;
    }
    return out;
  }

  NsId ns_id(std::string_view name) {
    auto info = store_->find_namespace(name);
    EXPECT_TRUE(info) << name;
    return info ? info->id : 0;
  }
};

}  // namespace gcfs::test
