// File data through PendingWrite and commit: inline and chunked files, the
// transitions between them, holes, overwrites, truncation, reopen, orphans.
#include <gtest/gtest.h>

#include "store/local/keys.hpp"
#include "store/testing/testing.hpp"
#include "store_fixture.hpp"

namespace gcfs {
namespace {

using test::kT1;
using test::kT2;
using test::StoreTest;

class FileTest : public StoreTest {
 protected:
  bool has_key(const std::string& key) {
    auto v = testing::get_raw(*store_, ns_, key);
    EXPECT_TRUE(v);
    return v && v->has_value();
  }
  bool has_chunk(Ino ino, uint64_t idx) { return has_key(keys::chunk(ino, idx)); }
  std::string pw_read_all(PendingWrite& pw) {
    std::string out(pw.size(), '\x55');
    auto n = pw.read(0, std::span<char>(out.data(), out.size()));
    EXPECT_TRUE(n);
    EXPECT_EQ(*n, out.size());
    return out;
  }
  void truncate(Ino ino, uint64_t size) {
    SetAttr sa;
    sa.size = size;
    sa.now = kT2;
    auto a = store_->setattr(ns_, ino, sa);
    ASSERT_TRUE(a) << a.error().message();
    EXPECT_EQ(a->size, size);
  }
};

TEST_F(FileTest, InlineFile) {
  const Ino f = make(kRootIno, "a");
  auto pw = store_->begin_write(ns_, f).value();
  ASSERT_TRUE(pw->write(0, "hello, "));
  ASSERT_TRUE(pw->write(7, "world"));
  EXPECT_TRUE(pw->dirty());
  EXPECT_EQ(pw_read_all(*pw), "hello, world");
  EXPECT_EQ(read_all(f), "");  // nothing committed yet
  auto a = store_->commit(*pw, kT2);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->size, 12u);
  EXPECT_EQ(a->mtime, kT2);
  EXPECT_EQ(a->ctime, kT2);
  EXPECT_FALSE(pw->dirty());
  EXPECT_EQ(pw->buffered_bytes(), 0u);
  EXPECT_EQ(read_all(f), "hello, world");
  EXPECT_FALSE(has_chunk(f, 0));  // inline: no chunk key
  EXPECT_GT(a->stored, 12u);      // header + raw payload
  // Reads clip at the end and past it.
  char buf[100];
  EXPECT_EQ(store_->read(ns_, f, 7, std::span<char>(buf, 100)).value(), 5u);
  EXPECT_EQ(std::string_view(buf, 5), "world");
  EXPECT_EQ(store_->read(ns_, f, 12, std::span<char>(buf, 100)).value(), 0u);
  EXPECT_EQ(store_->read(ns_, f, 1000, std::span<char>(buf, 100)).value(), 0u);
  expect_consistent();
}

TEST_F(FileTest, ChunkedFileAndReopen) {
  const Ino f = make(kRootIno, "big");
  const std::string data = test::text_bytes(50000, 7);
  write(f, 0, data);
  EXPECT_EQ(read_all(f), data);
  for (uint64_t i = 0; i < 13; ++i) EXPECT_TRUE(has_chunk(f, i)) << i;
  EXPECT_FALSE(has_chunk(f, 13));
  auto a = store_->getattr(ns_, f).value();
  EXPECT_LT(a.stored, data.size());  // compressed
  reopen();
  EXPECT_EQ(read_all(f), data);
  // Partial reads across chunk boundaries.
  std::string part(5000, '\0');
  ASSERT_EQ(store_->read(ns_, f, 4000, std::span<char>(part.data(), part.size())).value(), 5000u);
  EXPECT_EQ(part, data.substr(4000, 5000));
  expect_consistent();
}

TEST_F(FileTest, InlineToChunkedAndBack) {
  const Ino f = make(kRootIno, "t");
  write(f, 0, "small");
  EXPECT_FALSE(has_chunk(f, 0));
  // Growing past inline_max moves the inline bytes into chunk 0.
  write(f, 10000, "tail");
  std::string expect = "small" + std::string(10000 - 5, '\0') + "tail";
  EXPECT_EQ(read_all(f), expect);
  EXPECT_TRUE(has_chunk(f, 0));
  EXPECT_FALSE(has_chunk(f, 1));  // a hole
  EXPECT_TRUE(has_chunk(f, 2));
  EXPECT_TRUE(has_key(keys::chunk_map(f)));
  expect_consistent();
  // Shrinking to inline size drops every chunk and the map.
  truncate(f, 3);
  EXPECT_EQ(read_all(f), "sma");
  EXPECT_FALSE(has_chunk(f, 0));
  EXPECT_FALSE(has_chunk(f, 2));
  EXPECT_FALSE(has_key(keys::chunk_map(f)));
  expect_consistent();
  // Inline -> chunked by extension only: the kept bytes become chunk 0.
  truncate(f, 9000);
  EXPECT_EQ(read_all(f), "sma" + std::string(8997, '\0'));
  EXPECT_TRUE(has_chunk(f, 0));
  expect_consistent();
  // Chunked -> inline through a commit.
  auto pw = store_->begin_write(ns_, f).value();
  ASSERT_TRUE(pw->truncate(2));
  ASSERT_TRUE(pw->write(2, "XY"));
  ASSERT_TRUE(store_->commit(*pw, kT2));
  EXPECT_EQ(read_all(f), "smXY");
  EXPECT_FALSE(has_chunk(f, 0));
  expect_consistent();
  // To empty and back.
  truncate(f, 0);
  EXPECT_EQ(store_->getattr(ns_, f)->stored, 0u);
  write(f, 0, std::string(3000, 'q'));
  EXPECT_EQ(read_all(f), std::string(3000, 'q'));
  expect_consistent();
}

TEST_F(FileTest, SparseHoles) {
  const Ino f = make(kRootIno, "sparse");
  write(f, 1 << 20, "end");
  auto a = store_->getattr(ns_, f).value();
  EXPECT_EQ(a.size, (1u << 20) + 3);
  EXPECT_LT(a.stored, 200u);  // one chunk holding 3 bytes
  const std::string all = read_all(f);
  EXPECT_EQ(all, std::string(1 << 20, '\0') + "end");
  EXPECT_TRUE(has_chunk(f, 256));
  EXPECT_FALSE(has_chunk(f, 0));
  // A written all-zero chunk is kept as a hole.
  write(f, 0, std::string(4096, '\0'));
  EXPECT_FALSE(has_chunk(f, 0));
  // Extension by truncate reads zeros, even in the tail of the last chunk.
  truncate(f, (1 << 20) + 4000);
  EXPECT_EQ(read_all(f), std::string(1 << 20, '\0') + "end" + std::string(3997, '\0'));
  expect_consistent();
}

TEST_F(FileTest, OverwriteInTheMiddle) {
  const Ino f = make(kRootIno, "f");
  std::string model = test::random_bytes(30000, 3);
  write(f, 0, model);
  const std::string patch = test::text_bytes(300, 4);
  write(f, 4000, patch);  // straddles the 4096 boundary
  model.replace(4000, patch.size(), patch);
  EXPECT_EQ(read_all(f), model);
  write(f, 29990, "0123456789abcdef");  // extends
  model.replace(29990, 10, "0123456789");
  model += "abcdef";
  EXPECT_EQ(read_all(f), model);
  expect_consistent();
}

TEST_F(FileTest, ManySmallAppendsOfFiveMegabytes) {
  const Ino f = make(kRootIno, "out-d");
  const std::string data = test::random_bytes(5 * 1000 * 1000, 11);
  auto pw = store_->begin_write(ns_, f).value();
  // Like Go: everything but the last byte, then the last byte, via io.Copy.
  for (size_t off = 0; off < data.size() - 1; off += 32768) {
    const size_t n = std::min<size_t>(32768, data.size() - 1 - off);
    ASSERT_TRUE(pw->write(off, std::string_view(data).substr(off, n)));
  }
  ASSERT_TRUE(pw->write(data.size() - 1, std::string_view(data).substr(data.size() - 1)));
  EXPECT_EQ(pw->size(), data.size());
  auto a = store_->commit(*pw, kT2);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->size, data.size());
  EXPECT_EQ(read_all(f), data);
  // The same with a commit after each append (a flush per write).
  const Ino g = make(kRootIno, "out2-d");
  auto pw2 = store_->begin_write(ns_, g).value();
  for (size_t off = 0; off < data.size(); off += 32768) {
    const size_t n = std::min<size_t>(32768, data.size() - off);
    ASSERT_TRUE(pw2->write(off, std::string_view(data).substr(off, n)));
    if ((off / 32768) % 7 == 0) {
      ASSERT_TRUE(store_->commit(*pw2, kT2));
    }
  }
  ASSERT_TRUE(store_->commit(*pw2, kT2));
  reopen();
  EXPECT_EQ(read_all(f), data);
  EXPECT_EQ(read_all(g), data);
  expect_consistent();
}

TEST_F(FileTest, PendingTruncateKeepsStraddlingChunk) {
  const Ino f = make(kRootIno, "f");
  const std::string data = test::random_bytes(20000, 5);
  write(f, 0, data);
  auto pw = store_->begin_write(ns_, f).value();
  ASSERT_TRUE(pw->truncate(5000));  // through chunk 1
  EXPECT_EQ(pw->base_valid(), 5000u);
  EXPECT_EQ(pw->chunks().size(), 1u);
  EXPECT_EQ(pw->chunks().at(1).size(), 5000u - 4096u);
  ASSERT_TRUE(pw->truncate(12000));  // extend: zeros, not the old bytes
  EXPECT_EQ(pw_read_all(*pw), data.substr(0, 5000) + std::string(7000, '\0'));
  ASSERT_TRUE(pw->write(11000, "zz"));
  ASSERT_TRUE(pw->truncate(11001));  // trims the dirty chunk 2
  EXPECT_EQ(pw->chunks().at(2).size(), 11001u - 8192u);
  ASSERT_TRUE(store_->commit(*pw, kT2));
  EXPECT_EQ(read_all(f), data.substr(0, 5000) + std::string(6000, '\0') + "z");
  EXPECT_FALSE(has_chunk(f, 3));
  EXPECT_FALSE(has_chunk(f, 4));
  // pw is now based on the new content.
  EXPECT_EQ(pw->base_valid(), 11001u);
  EXPECT_TRUE(pw->chunks().empty());
  expect_consistent();
}

// The Go command's -a write: overwrite in place, cut to size, close. Until the
// commit the store holds the old version whole; then the new one whole.
TEST_F(FileTest, RewriteInPlaceAndTruncateCommitTogether) {
  const Ino f = make(kRootIno, "f");
  const std::string v1 = test::random_bytes(30000, 11), v2 = test::random_bytes(175, 12);
  write(f, 0, v1);
  auto pw = store_->begin_write(ns_, f).value();
  ASSERT_TRUE(pw->write(0, v2));
  ASSERT_TRUE(pw->truncate(v2.size()));
  EXPECT_EQ(pw_read_all(*pw), v2);
  EXPECT_EQ(read_all(f), v1);
  EXPECT_EQ(store_->getattr(ns_, f)->size, v1.size());
  ASSERT_TRUE(store_->commit(*pw, kT2));
  EXPECT_EQ(read_all(f), v2);
  EXPECT_FALSE(has_chunk(f, 1));
  expect_consistent();
}

// An mtime set while the file is being written (utimensat before close) is
// the one the commit records, unless the content changes after it.
TEST_F(FileTest, ExplicitMtimeOfAPendingWriteSurvivesItsCommit) {
  const Ino f = make(kRootIno, "f");
  auto pw = store_->begin_write(ns_, f).value();
  ASSERT_TRUE(pw->write(0, "abc"));
  pw->set_mtime(kT1);
  auto a = store_->commit(*pw, kT2);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->mtime, kT1);
  EXPECT_EQ(a->ctime, kT2);
  EXPECT_FALSE(pw->mtime());  // used up
  pw->set_mtime(kT1);
  ASSERT_TRUE(pw->write(3, "d"));  // written after: the commit's time
  a = store_->commit(*pw, kT2);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->mtime, kT2);
  EXPECT_EQ(read_all(f), "abcd");
}

// PendingWrite and commit against a plain string model, random operations.
TEST_F(FileTest, RandomOperationsMatchModel) {
  std::mt19937 rng(1234);
  const Ino f = make(kRootIno, "model");
  std::string model;
  auto pw = store_->begin_write(ns_, f).value();
  for (int step = 0; step < 600; ++step) {
    const int op = static_cast<int>(rng() % 10);
    if (op < 5) {
      const uint64_t off = rng() % 40000;
      const std::string data = test::text_bytes(1 + rng() % 9000, rng());
      ASSERT_TRUE(pw->write(off, data));
      if (model.size() < off + data.size()) model.resize(off + data.size(), '\0');
      model.replace(off, data.size(), data);
    } else if (op < 7) {
      const uint64_t size = rng() % 45000;
      ASSERT_TRUE(pw->truncate(size));
      model.resize(size, '\0');
    } else if (op < 9) {
      ASSERT_TRUE(store_->commit(*pw, kT2));
      ASSERT_EQ(read_all(f), model) << "step " << step;
    } else {
      // A random slice read through the pending view.
      const uint64_t off = rng() % 45000;
      std::string out(rng() % 10000, '\x77');
      auto n = pw->read(off, std::span<char>(out.data(), out.size()));
      ASSERT_TRUE(n);
      const std::string want = off < model.size() ? model.substr(off, out.size()) : "";
      ASSERT_EQ(out.substr(0, *n), want) << "step " << step;
    }
    ASSERT_EQ(pw->size(), model.size());
  }
  ASSERT_TRUE(store_->commit(*pw, kT2));
  EXPECT_EQ(read_all(f), model);
  expect_consistent();
}

TEST_F(FileTest, OrphansStayReadableUntilPurged) {
  const Ino f = make(kRootIno, "gone");
  const std::string data = test::text_bytes(20000, 9);
  write(f, 0, data);
  auto pw = store_->begin_write(ns_, f).value();  // an open handle
  ASSERT_EQ(store_->unlink(ns_, kRootIno, "gone", kT2).value(), f);
  EXPECT_EQ(store_->lookup(ns_, kRootIno, "gone").code(), Errc::not_found);
  EXPECT_EQ(store_->getattr(ns_, f)->nlink, 0u);
  EXPECT_EQ(read_all(f), data);
  auto st = store_->stats(ns_).value();
  EXPECT_EQ(st.files, 0u);
  EXPECT_EQ(st.orphans, 1u);
  EXPECT_EQ(st.logical_bytes, data.size());
  // Writes through the open handle still commit.
  ASSERT_TRUE(pw->write(0, "XX"));
  ASSERT_TRUE(store_->commit(*pw, kT2));
  EXPECT_EQ(read_all(f).substr(0, 2), "XX");
  expect_consistent();
  ASSERT_TRUE(store_->purge(ns_, f));
  EXPECT_EQ(store_->getattr(ns_, f).code(), Errc::not_found);
  for (uint64_t i = 0; i < 5; ++i) EXPECT_FALSE(has_chunk(f, i));
  EXPECT_FALSE(has_key(keys::chunk_map(f)));
  EXPECT_FALSE(has_key(keys::orphan(f)));
  EXPECT_EQ(store_->stats(ns_).value(), (NsStats{0, 1, 0, 0, 0, 0, test::kEmptyNsLive}));
  // The handle now refers to nothing.
  EXPECT_EQ(store_->commit(*pw, kT2).code(), Errc::not_found);
  EXPECT_EQ(pw->write(0, "again").code(), Errc::not_found);
  // Purging a named file or a missing inode does nothing.
  const Ino named = make(kRootIno, "named");
  ASSERT_TRUE(store_->purge(ns_, named));
  EXPECT_TRUE(store_->getattr(ns_, named));
  ASSERT_TRUE(store_->purge(ns_, 424242));
  expect_consistent();
}

TEST_F(FileTest, ReopenPurgesLeftoverOrphans) {
  const Ino f = make(kRootIno, "f");
  write(f, 0, test::text_bytes(30000, 1));
  const Ino g = make(kRootIno, "g");
  write(g, 0, "tiny");
  ASSERT_TRUE(store_->unlink(ns_, kRootIno, "f", kT2));
  ASSERT_TRUE(store_->unlink(ns_, kRootIno, "g", kT2));
  EXPECT_EQ(store_->stats(ns_)->orphans, 2u);
  reopen();
  EXPECT_EQ(store_->getattr(ns_, f).code(), Errc::not_found);
  EXPECT_EQ(store_->getattr(ns_, g).code(), Errc::not_found);
  EXPECT_FALSE(has_chunk(f, 0));
  EXPECT_EQ(store_->stats(ns_).value(), (NsStats{0, 1, 0, 0, 0, 0, test::kEmptyNsLive}));
  expect_consistent();
}

TEST_F(FileTest, SetattrFields) {
  const Ino f = make(kRootIno, "f");
  SetAttr sa;
  sa.mode = 0600 | S_IFDIR;  // type bits are ignored
  sa.uid = 7;
  sa.gid = 8;
  sa.atime = Timespec{5, 6};
  sa.mtime = Timespec{7, 8};
  sa.now = kT2;
  auto a = store_->setattr(ns_, f, sa);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->mode, static_cast<uint32_t>(S_IFREG | 0600));
  EXPECT_EQ(a->uid, 7u);
  EXPECT_EQ(a->gid, 8u);
  EXPECT_EQ(a->atime, (Timespec{5, 6}));
  EXPECT_EQ(a->mtime, (Timespec{7, 8}));
  EXPECT_EQ(a->ctime, kT2);
  EXPECT_EQ(store_->getattr(ns_, f).value().mode, a->mode);
  // An empty setattr changes nothing, not even ctime.
  SetAttr none;
  none.now = Timespec{9999, 0};
  EXPECT_EQ(store_->setattr(ns_, f, none)->ctime, kT2);

  SetAttr size;
  size.size = 10;
  size.now = kT2;
  EXPECT_EQ(store_->setattr(ns_, kRootIno, size).code(), Errc::is_dir);
  auto l = store_->mknode(ns_, kRootIno, "l", S_IFLNK | 0777, {}, kT1, "target");
  EXPECT_EQ(store_->setattr(ns_, l->ino, size).code(), Errc::invalid);
  EXPECT_EQ(store_->setattr(ns_, 5555, size).code(), Errc::not_found);
  // Directories and symlinks refuse data operations.
  char buf[4];
  EXPECT_EQ(store_->read(ns_, kRootIno, 0, std::span<char>(buf, 4)).code(), Errc::is_dir);
  EXPECT_EQ(store_->begin_write(ns_, kRootIno).code(), Errc::is_dir);
  EXPECT_EQ(store_->begin_write(ns_, l->ino).code(), Errc::invalid);
}

TEST_F(FileTest, TooBig) {
  options_.max_file_size = 100000;
  reopen();
  const Ino f = make(kRootIno, "f");
  auto pw = store_->begin_write(ns_, f).value();
  ASSERT_TRUE(pw->write(100000, "x"));
  EXPECT_EQ(store_->commit(*pw, kT2).code(), Errc::too_big);
  SetAttr sa;
  sa.size = 100001;
  sa.now = kT2;
  EXPECT_EQ(store_->setattr(ns_, f, sa).code(), Errc::too_big);
  sa.size = 100000;
  EXPECT_TRUE(store_->setattr(ns_, f, sa));
}

// create_files: a fetched entry and its output appear in one batch, with
// exact accounting; names already taken keep their file.
TEST_F(FileTest, CreateFilesInOneBatch) {
  const Ino d1 = make(kRootIno, "ab", S_IFDIR | 0755);
  const Ino d2 = make(kRootIno, "cd", S_IFDIR | 0755);
  std::string big(3 * store_->chunk_size() + 17, 'x');
  for (size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>(i / 4096);
  const std::string small = "v1 small entry";
  const NewFile files[] = {{d2, "out-d", 0644, big}, {d1, "act-a", 0600, small}};
  auto made = store_->create_files(ns_, files, Credentials{7, 8}, kT1);
  ASSERT_TRUE(made) << made.error().message();
  ASSERT_EQ(made->size(), 2u);
  EXPECT_EQ((*made)[0].size, big.size());
  EXPECT_EQ((*made)[1].size, small.size());
  EXPECT_EQ((*made)[1].mode, S_IFREG | 0600);
  EXPECT_EQ((*made)[1].uid, 7u);
  EXPECT_EQ(read_all((*made)[0].ino), big);
  EXPECT_EQ(read_all((*made)[1].ino), small);
  auto found = store_->lookup(ns_, d1, "act-a");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->ino, (*made)[1].ino);
  expect_consistent();
  // Taken names keep their file; a new one beside them is made.
  const std::string other = "other";
  const NewFile again[] = {{d2, "out-d", 0644, other}, {d1, "new-a", 0644, other}};
  auto second = store_->create_files(ns_, again, Credentials{}, kT2);
  ASSERT_TRUE(second);
  EXPECT_EQ((*second)[0].ino, (*made)[0].ino);
  EXPECT_EQ(read_all((*second)[0].ino), big);
  EXPECT_EQ(read_all((*second)[1].ino), other);
  expect_consistent();
  // A bad name or a missing directory writes nothing.
  const NewFile bad[] = {{d1, "fine", 0644, other}, {999, "x", 0644, other}};
  EXPECT_FALSE(store_->create_files(ns_, bad, Credentials{}, kT2));
  EXPECT_EQ(store_->lookup(ns_, d1, "fine").code(), Errc::not_found);
  expect_consistent();
  // Every record agrees with the others (LRU index, chunk maps, links).
  auto report = store_->check(ns_);
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->problems.empty()) << report->problems.size() << " problems";
  EXPECT_EQ(report->files, 3u);
}

}  // namespace
}  // namespace gcfs
