// Store-level behaviour: corruption is reported (never served), a second
// open is busy, a full disk is no_space, read-only opens, recorded format,
// usage and sync.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <atomic>
#include <thread>

#include "store/codec/chunk.hpp"
#include "store/local/keys.hpp"
#include "store/testing/testing.hpp"
#include "store_fixture.hpp"

namespace gcfs {
namespace {

using test::kT1;
using test::kT2;
using test::StoreTest;

TEST_F(StoreTest, CorruptChunkIsReported) {
  const Ino f = make(kRootIno, "f");
  const std::string data = test::text_bytes(20000, 1);
  write(f, 0, data);
  auto v = testing::get_raw(*store_, ns_, keys::chunk(f, 1)).value();
  ASSERT_TRUE(v);
  std::string bad = *v;
  bad[bad.size() / 2] ^= 0x40;  // a flipped payload bit
  ASSERT_TRUE(testing::put_raw(*store_, ns_, keys::chunk(f, 1), bad));
  std::string out(20000, '\0');
  auto r = store_->read(ns_, f, 0, std::span<char>(out.data(), out.size()));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.code(), Errc::corrupt);
  // Reads that do not touch the damaged chunk still work.
  auto ok = store_->read(ns_, f, 0, std::span<char>(out.data(), 4096));
  ASSERT_TRUE(ok);
  EXPECT_EQ(out.substr(0, 4096), data.substr(0, 4096));
  EXPECT_EQ(store_->read(ns_, f, 8192, std::span<char>(out.data(), 100)).code(), Errc::ok);
  EXPECT_EQ(store_->read(ns_, f, 4000, std::span<char>(out.data(), 100)).code(), Errc::corrupt);
}

TEST_F(StoreTest, ChunkOfAnotherFileIsNotServed) {
  const Ino a = make(kRootIno, "a");
  const Ino b = make(kRootIno, "b");
  write(a, 0, test::text_bytes(9000, 1));
  write(b, 0, test::text_bytes(9000, 2));
  // Put a's (valid) chunk 0 under b's key, and a's chunk 0 in a's chunk 1 slot.
  auto va = testing::get_raw(*store_, ns_, keys::chunk(a, 0)).value();
  ASSERT_TRUE(va);
  ASSERT_TRUE(testing::put_raw(*store_, ns_, keys::chunk(b, 0), *va));
  ASSERT_TRUE(testing::put_raw(*store_, ns_, keys::chunk(a, 1), *va));
  char buf[100];
  EXPECT_EQ(store_->read(ns_, b, 0, std::span<char>(buf, 100)).code(), Errc::corrupt);
  EXPECT_EQ(store_->read(ns_, a, 5000, std::span<char>(buf, 100)).code(), Errc::corrupt);
  EXPECT_EQ(store_->read(ns_, a, 0, std::span<char>(buf, 100)).code(), Errc::ok);
}

TEST_F(StoreTest, CorruptInodeAndInlineData) {
  const Ino f = make(kRootIno, "small");
  write(f, 0, "inline bytes");
  auto rec = testing::get_raw(*store_, ns_, keys::inode(f)).value();
  ASSERT_TRUE(rec);
  // Truncated record: getattr and lookup report corrupt.
  ASSERT_TRUE(testing::put_raw(*store_, ns_, keys::inode(f), rec->substr(0, rec->size() - 3)));
  EXPECT_EQ(store_->getattr(ns_, f).code(), Errc::corrupt);
  EXPECT_EQ(store_->lookup(ns_, kRootIno, "small").code(), Errc::corrupt);
  char buf[20];
  EXPECT_EQ(store_->read(ns_, f, 0, std::span<char>(buf, 20)).code(), Errc::corrupt);
  EXPECT_EQ(store_->unlink(ns_, kRootIno, "small", kT2).code(), Errc::corrupt);
  // The parent is fine and other entries keep working.
  EXPECT_TRUE(store_->getattr(ns_, kRootIno));
  const Ino g = make(kRootIno, "other");
  EXPECT_TRUE(store_->getattr(ns_, g));
  // A recount of a namespace with a damaged record fails loudly.
  EXPECT_EQ(store_->recount(ns_).code(), Errc::corrupt);
}

// Removing an inode whose record is damaged takes its stored size out of the
// live bytes all the same (it was counted as 0, and live bytes drifted).
TEST_F(StoreTest, RemovingADamagedDirectoryKeepsLiveBytesExact) {
  for (const char* how : {"rmdir", "rename over"}) {
    SCOPED_TRACE(how);
    auto d = store_->mknode(ns_, kRootIno, "d", S_IFDIR | 0755, {0, 0}, kT1);
    ASSERT_TRUE(d);
    auto rec = testing::get_raw(*store_, ns_, keys::inode(d->ino)).value();
    ASSERT_TRUE(rec);
    std::string bad = *rec;
    bad[20] ^= 0x40;  // same length, fails its check
    ASSERT_TRUE(testing::put_raw(*store_, ns_, keys::inode(d->ino), bad));
    ASSERT_EQ(store_->getattr(ns_, d->ino).code(), Errc::corrupt);
    if (std::string_view(how) == "rmdir") {
      ASSERT_TRUE(store_->rmdir(ns_, kRootIno, "d", kT2));
    } else {
      ASSERT_TRUE(store_->mknode(ns_, kRootIno, "e", S_IFDIR | 0755, {0, 0}, kT1));
      auto r = store_->rename(ns_, kRootIno, "e", kRootIno, "d", 0, kT2);
      ASSERT_TRUE(r) << r.error().message();
      ASSERT_TRUE(store_->rmdir(ns_, kRootIno, "d", kT2));
    }
    expect_consistent();
  }
}

TEST(StoreOpen, SecondOpenIsBusy) {
  test::TempDir dir;
  StoreOptions o;
  o.path = dir.path() + "/s";
  auto first = open_rocks_store(o);
  ASSERT_TRUE(first) << first.error().message();
  auto second = open_rocks_store(o);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.code(), Errc::busy) << second.error().message();
  EXPECT_NE(second.error().message().find("locked by another process"), std::string::npos);
  first.value().reset();
  EXPECT_TRUE(open_rocks_store(o));  // free again once closed
}

TEST(StoreOpen, MissingStoreWithoutCreate) {
  test::TempDir dir;
  StoreOptions o;
  o.path = dir.path() + "/absent";
  o.create_if_missing = false;
  EXPECT_EQ(open_rocks_store(o).code(), Errc::not_found);
  o.path = "";
  EXPECT_EQ(open_rocks_store(o).code(), Errc::invalid);
  o.path = dir.path() + "/file";
  {
    std::FILE* f = std::fopen(o.path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fclose(f);
  }
  o.create_if_missing = true;
  auto r = open_rocks_store(o);  // a plain file where the directory should be
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.code() == Errc::io || r.code() == Errc::permission) << r.error().message();
}

TEST(StoreOpen, ChunkSizeIsRecorded) {
  test::TempDir dir;
  StoreOptions o;
  o.path = dir.path() + "/s";
  o.chunk_size = 8192;
  NsId ns = 0;
  Ino f = 0;
  const std::string data = test::random_bytes(30000, 1);
  {
    auto s = open_rocks_store(o).value();
    EXPECT_EQ(s->chunk_size(), 8192u);
    ns = s->create_namespace("n", 0755, {}).value().id;
    f = s->mknode(ns, kRootIno, "f", S_IFREG | 0644, {}, kT1).value().ino;
    auto pw = s->begin_write(ns, f).value();
    ASSERT_TRUE(pw->write(0, data));
    ASSERT_TRUE(s->commit(*pw, kT2));
  }
  o.chunk_size = 65536;
  auto s = open_rocks_store(o).value();
  EXPECT_EQ(s->chunk_size(), 8192u);
  std::string out(data.size(), '\0');
  ASSERT_EQ(s->read(ns, f, 0, std::span<char>(out.data(), out.size())).value(), data.size());
  EXPECT_EQ(out, data);
  o.chunk_size = 100;
  o.path = dir.path() + "/t";
  EXPECT_EQ(open_rocks_store(o).code(), Errc::invalid);
}

TEST_F(StoreTest, FullDiskIsNoSpace) {
  const Ino f = make(kRootIno, "f");
  write(f, 0, "before");
  options_.reserve_bytes = uint64_t{1} << 62;  // no disk is that large
  reopen();
  auto pw = store_->begin_write(ns_, f).value();
  ASSERT_TRUE(pw->write(0, test::random_bytes(10000, 1)));
  auto c = store_->commit(*pw, kT2);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.code(), Errc::no_space);
  EXPECT_EQ(read_all(f), "before");  // nothing half-written
  EXPECT_TRUE(pw->dirty());
  // Deletes and metadata still work, so space can be freed.
  EXPECT_TRUE(store_->mknode(ns_, kRootIno, "g", S_IFREG | 0644, {}, kT1));
  EXPECT_TRUE(store_->unlink(ns_, kRootIno, "g", kT2));
  options_.reserve_bytes = 0;
  reopen();
  auto pw2 = store_->begin_write(ns_, f).value();
  ASSERT_TRUE(pw2->write(0, "after!"));
  ASSERT_TRUE(store_->commit(*pw2, kT2));
  EXPECT_EQ(read_all(f), "after!");
  expect_consistent();
}

TEST_F(StoreTest, ReadOnlyOpen) {
  const Ino f = make(kRootIno, "f");
  write(f, 0, test::text_bytes(10000, 3));
  const std::string data = read_all(f);
  options_.read_only = true;
  reopen();
  EXPECT_EQ(read_all(f), data);
  EXPECT_EQ(store_->mknode(ns_, kRootIno, "g", S_IFREG, {}, kT1).code(), Errc::read_only);
  EXPECT_EQ(store_->unlink(ns_, kRootIno, "f", kT2).code(), Errc::read_only);
  EXPECT_EQ(store_->create_namespace("x", 0755, {}).code(), Errc::read_only);
  EXPECT_EQ(store_->drop_namespace("go1.19").code(), Errc::read_only);
  auto pw = store_->begin_write(ns_, f).value();
  ASSERT_TRUE(pw->write(0, "x"));
  EXPECT_EQ(store_->commit(*pw, kT2).code(), Errc::read_only);
  expect_consistent();
}

// A create that died between CreateColumnFamily and its registry batch leaves
// an unregistered family: the next open drops it and never reuses its id.
TEST(StoreOpen, UnregisteredFamilyIsDroppedAtOpen) {
  test::TempDir dir;
  StoreOptions o;
  o.path = dir.path() + "/s";
  ASSERT_TRUE(open_rocks_store(o));
  {
    rocksdb::DBOptions dbo;
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(dbo, o.path, &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> descs;
    for (const auto& n : names) descs.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(dbo, o.path, descs, &handles, &db).ok());
    rocksdb::ColumnFamilyHandle* cf = nullptr;
    ASSERT_TRUE(db->CreateColumnFamily(rocksdb::ColumnFamilyOptions(), "ns.7", &cf).ok());
    handles.push_back(cf);
    for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
    delete db;
  }
  auto s = open_rocks_store(o).value();
  EXPECT_TRUE(s->list_namespaces()->empty());
  auto ns = s->create_namespace("n", 0755, {});
  ASSERT_TRUE(ns);
  EXPECT_EQ(ns->id, 8u);
  s.reset();
  std::vector<std::string> names;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), o.path, &names).ok());
  EXPECT_EQ(std::count(names.begin(), names.end(), "ns.7"), 0);
  EXPECT_EQ(std::count(names.begin(), names.end(), "ns.8"), 1);
}

// Dropping a namespace while other threads read and write it: they finish or
// fail with not_found, nothing else (and nothing crashes: see ASan builds).
TEST_F(StoreTest, DropDuringOperations) {
  std::vector<Ino> files;
  for (int i = 0; i < 8; ++i) {
    files.push_back(make(kRootIno, "f" + std::to_string(i)));
    write(files.back(), 0, test::text_bytes(10000, static_cast<uint32_t>(i)));
  }
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::string buf(10000, '\0');
      for (int i = 0; !stop; ++i) {
        const Ino f = files[static_cast<size_t>(i + t) % files.size()];
        auto r = store_->read(ns_, f, 0, std::span<char>(buf.data(), buf.size()));
        if (!r && r.code() != Errc::not_found) ++bad;
        auto pw = store_->begin_write(ns_, f);
        if (!pw) {
          if (pw.code() != Errc::not_found) ++bad;
          continue;
        }
        if (!(*pw)->write(5, "abc")) continue;  // base read may see the drop
        auto c = store_->commit(**pw, kT2);
        if (!c && c.code() != Errc::not_found) ++bad;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(store_->drop_namespace("go1.19"));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  stop = true;
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad, 0);
  EXPECT_EQ(store_->getattr(ns_, files[0]).code(), Errc::not_found);
}

TEST_F(StoreTest, UsageAndSync) {
  const Ino f = make(kRootIno, "f");
  write(f, 0, test::random_bytes(100000, 3));
  ASSERT_TRUE(store_->sync());
  const StoreUsage u = store_->usage();
  EXPECT_GT(u.physical_bytes, 100000u);  // at least the WAL holds the data
  EXPECT_GT(u.disk_total_bytes, 0u);
  EXPECT_GT(u.disk_free_bytes, 0u);
  EXPECT_LE(u.disk_free_bytes, u.disk_total_bytes);
  EXPECT_EQ(u.inodes, 2u);  // root + f
}

}  // namespace
}  // namespace gcfs
