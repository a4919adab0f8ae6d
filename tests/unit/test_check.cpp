// Store::check finds each kind of damage made with raw edits, and only it;
// Store::repair fixes it in one batch (a second check is clean), and leaves
// a clean namespace untouched.
#include <gtest/gtest.h>

#include <tuple>

#include "check_fixture.hpp"
#include "store/codec/chunk.hpp"
#include "store/local/inode_record.hpp"

namespace gcfs {
namespace {

using test::CheckTest;
using test::describe;

// Exactly one problem: of `kind`, about `ino`, with `reason` in its reason.
void expect_one(const std::vector<CheckProblem>& problems, std::string_view kind, Ino ino,
                std::string_view reason, std::string_view path = "") {
  ASSERT_EQ(problems.size(), 1u) << describe(problems);
  const CheckProblem& p = problems[0];
  EXPECT_EQ(p.kind, kind) << describe(problems);
  EXPECT_EQ(p.ino, ino) << describe(problems);
  EXPECT_NE(p.reason.find(reason), std::string::npos) << describe(problems);
  if (!path.empty()) {
    EXPECT_EQ(p.path, path) << describe(problems);
  }
}

size_t count(const std::vector<CheckProblem>& problems, std::string_view kind, Ino ino) {
  return std::count_if(problems.begin(), problems.end(),
                       [&](const CheckProblem& p) { return p.kind == kind && p.ino == ino; });
}

std::string u64be(uint64_t v) {
  std::string s;
  keys::put_u64be(s, v);
  return s;
}

TEST_F(CheckTest, CleanNamespaceIsCleanAndRepairWritesNothing) {
  ASSERT_TRUE(store_->mknode(ns_, cd_, "sym", S_IFLNK | 0777, {}, test::kT1, "../ab/x-a"));
  const Ino z = make(cd_, "z-d");
  write(z, 0, test::text_bytes(9000, 3));
  ASSERT_TRUE(store_->unlink(ns_, cd_, "z-d", test::kT2));  // an orphan, as if still open
  auto r = check();
  EXPECT_TRUE(r.problems.empty()) << describe(r.problems);
  EXPECT_EQ(r.files, 2u);
  EXPECT_EQ(r.bytes_read, x_data_.size() + y_data_.size());
  EXPECT_GT(r.bytes_checked, y_data_.size());

  const auto before = dump();
  auto rep = repair();
  EXPECT_FALSE(rep.wrote);
  EXPECT_TRUE(rep.problems.empty() && rep.remaining.empty()) << describe(rep.problems);
  expect_records(before);
}

TEST_F(CheckTest, DanglingEntry) {
  const auto clean = dump();
  put(dentry_key(ab_, "ghost-a"), keys::dentry_value(9999, S_IFREG));
  expect_one(check().problems, "entry", 9999, "names missing inode 9999", "/ab/ghost-a");
  auto r = repair_all();
  expect_one(r.problems, "entry", 9999, "names missing inode 9999");
  EXPECT_EQ(r.problems[0].repair, "entry deleted");
  expect_records(clean);  // back to the bytes it was
}

TEST_F(CheckTest, DanglingDirectoryEntryAndItsParentsLinkCount) {
  const Ino sub = make(cd_, "sub", S_IFDIR | 0755);
  del(keys::inode(sub));  // the subdirectory's record is lost; cd still counts it
  auto r = check();
  ASSERT_EQ(r.problems.size(), 2u) << describe(r.problems);
  EXPECT_EQ(count(r.problems, "entry", sub), 1u) << describe(r.problems);
  EXPECT_EQ(count(r.problems, "directory", cd_), 1u) << describe(r.problems);
  repair_all();
  EXPECT_EQ(store_->getattr(ns_, cd_)->nlink, 2u);
  EXPECT_EQ(store_->lookup(ns_, cd_, "sub").code(), Errc::not_found);
}

TEST_F(CheckTest, MissingInodeLeavesEntryChunksAndIndex) {
  del(keys::inode(y_));
  auto r = check();
  EXPECT_EQ(r.problems.size(), 3u) << describe(r.problems);
  EXPECT_EQ(count(r.problems, "entry", y_), 1u) << describe(r.problems);
  EXPECT_EQ(count(r.problems, "chunk", y_), 1u) << describe(r.problems);
  EXPECT_EQ(count(r.problems, "lru", y_), 1u) << describe(r.problems);
  repair_all();
  EXPECT_FALSE(testing::get_raw(*store_, ns_, keys::chunk(y_, 0))->has_value());
  EXPECT_FALSE(testing::get_raw(*store_, ns_, keys::chunk_map(y_))->has_value());
  EXPECT_FALSE(testing::get_raw(*store_, ns_, keys::use(y_))->has_value());
  EXPECT_EQ(read_all(x_), x_data_);
}

TEST_F(CheckTest, OrphanMarkerOnANamedInode) {
  auto clean = dump();
  put(keys::orphan(x_), "");
  expect_one(check().problems, "orphan", x_, "orphan marker on a named inode", "/ab/x-a");
  repair_all();
  clean.emplace(keys::counter("orphans"), std::string(8, '\0'));  // the damage counted 1
  expect_records(clean);
}

TEST_F(CheckTest, UnlinkedInodeWithoutItsMarker) {
  ASSERT_TRUE(store_->unlink(ns_, ab_, "x-a", test::kT2));
  del(keys::orphan(x_));
  expect_one(check().problems, "orphan", x_, "without its orphan marker");
  repair_all();
  reopen();  // orphans are purged at open: only with the marker
  EXPECT_EQ(store_->getattr(ns_, x_).code(), Errc::not_found);
  expect_clean();
}

TEST_F(CheckTest, InodeNamedNowhereBecomesAnOrphan) {
  del(dentry_key(ab_, "x-a"));
  expect_one(check().problems, "inode", x_, "no name");
  auto r = repair_all();
  EXPECT_NE(r.problems[0].repair.find("orphan"), std::string::npos);
  EXPECT_EQ(store_->getattr(ns_, x_)->nlink, 0u);
  EXPECT_EQ(store_->stats(ns_)->orphans, 1u);
  EXPECT_EQ(store_->last_use_ns(ns_, x_).code(), Errc::not_found);  // left the LRU index
  reopen();
  EXPECT_EQ(store_->getattr(ns_, x_).code(), Errc::not_found);
  expect_clean();
}

TEST_F(CheckTest, LinkCountOfAFile) {
  auto rec = parse_inode(get(keys::inode(x_)), x_);
  ASSERT_TRUE(rec);
  rec->nlink = 2;
  put(keys::inode(x_), serialize_inode(*rec));
  expect_one(check().problems, "inode", x_, "link count 2 but 1 entries name it", "/ab/x-a");
  repair_all();
  EXPECT_EQ(store_->getattr(ns_, x_)->nlink, 1u);
}

TEST_F(CheckTest, EntryTypeDisagreesWithItsInode) {
  put(dentry_key(ab_, "x-a"), keys::dentry_value(x_, S_IFDIR));
  expect_one(check().problems, "entry", x_, "entry says directory, its inode is a file");
  repair_all();
  auto a = store_->lookup(ns_, ab_, "x-a");
  ASSERT_TRUE(a);
  EXPECT_TRUE(S_ISREG(a->mode));
}

TEST_F(CheckTest, StrayChunk) {
  const auto clean = dump();
  put(keys::chunk(7777, 0), encode_chunk(7777, 0, "junk"));
  expect_one(check().problems, "chunk", 7777, "1 chunk(s) of missing inode 7777");
  repair_all();
  expect_records(clean);
}

TEST_F(CheckTest, ChunkOfAnInlineFile) {
  put(keys::chunk(x_, 3), encode_chunk(x_, 3, "stale"));
  expect_one(check().problems, "chunk", x_, "keeps its data inline");
  repair_all();
  EXPECT_EQ(read_all(x_), x_data_);
}

TEST_F(CheckTest, WrongChunkMapRemovesTheFile) {
  std::string map = get(keys::chunk_map(y_));
  map[4] = static_cast<char>(map[4] ^ 1);  // chunk 1's stored size
  put(keys::chunk_map(y_), map);
  expect_one(check().problems, "data", y_, "chunk 1 holds", "/ab/y-d");
  auto r = repair_all();
  EXPECT_NE(r.problems[0].repair.find("file removed"), std::string::npos);
  EXPECT_EQ(store_->lookup(ns_, ab_, "y-d").code(), Errc::not_found);
  EXPECT_FALSE(testing::get_raw(*store_, ns_, keys::chunk(y_, 0))->has_value());
  EXPECT_EQ(store_->stats(ns_)->files, 1u);
  EXPECT_EQ(read_all(x_), x_data_);
}

TEST_F(CheckTest, ChunkMapMissingAChunk) {
  std::string map = get(keys::chunk_map(y_));
  map.resize(3 * 4);
  put(keys::chunk_map(y_), map);
  expect_one(check().problems, "data", y_, "chunk 3 is not in the chunk map");
}

TEST_F(CheckTest, MissingChunk) {
  del(keys::chunk(y_, 2));
  expect_one(check().problems, "data", y_, "chunk 2 is missing");
  repair_all();
}

TEST_F(CheckTest, CorruptChunkRemovesTheFile) {
  std::string c = get(keys::chunk(y_, 2));
  c.back() = static_cast<char>(c.back() ^ 0x40);
  put(keys::chunk(y_, 2), c);
  expect_one(check().problems, "data", y_, "checksum mismatch", "/ab/y-d");
  std::string buf(4096, '\0');  // the store itself refuses to serve it
  EXPECT_EQ(store_->read(ns_, y_, 2 * 4096, std::span<char>(buf.data(), buf.size())).code(),
            Errc::corrupt);
  repair_all();
  EXPECT_EQ(store_->lookup(ns_, ab_, "y-d").code(), Errc::not_found);
  EXPECT_EQ(read_all(x_), x_data_);
}

TEST_F(CheckTest, CorruptInlineData) {
  auto rec = parse_inode(get(keys::inode(x_)), x_);
  ASSERT_TRUE(rec);
  rec->data.back() = static_cast<char>(rec->data.back() ^ 0x40);
  put(keys::inode(x_), serialize_inode(*rec));  // the record's own check passes
  expect_one(check().problems, "data", x_, fmt::format("chunk 0 of inode {}", x_));
  repair_all();
  EXPECT_EQ(store_->lookup(ns_, ab_, "x-a").code(), Errc::not_found);
}

TEST_F(CheckTest, UnreadableInodeRecord) {
  std::string rec = get(keys::inode(x_));
  rec[20] = static_cast<char>(rec[20] ^ 1);
  ASSERT_TRUE(testing::put_raw(*store_, ns_, keys::inode(x_), rec));
  auto r = check();
  EXPECT_EQ(count(r.problems, "inode", x_), 1u) << describe(r.problems);
  EXPECT_EQ(count(r.problems, "entry", x_), 1u) << describe(r.problems);
  EXPECT_EQ(count(r.problems, "lru", x_), 1u) << describe(r.problems);
  repair_all();
  EXPECT_EQ(store_->lookup(ns_, ab_, "x-a").code(), Errc::not_found);
  EXPECT_EQ(read_all(y_), y_data_);
}

TEST_F(CheckTest, StaleLruRecord) {
  const auto clean = dump();
  put(keys::lru(5, x_), u64be(ab_) + "x-a");
  expect_one(check().problems, "lru", x_, "1 stale LRU index record", "/ab/x-a");
  repair_all();
  expect_records(clean);
}

TEST_F(CheckTest, LruEntryWithoutUseRecord) {
  const auto clean = dump();
  del(keys::use(x_));
  expect_one(check().problems, "lru", x_, "LRU index entry without its use record");
  repair_all();
  expect_records(clean);
}

TEST_F(CheckTest, UseRecordWithoutLruEntry) {
  const auto clean = dump();
  del(lru_key(x_));
  expect_one(check().problems, "lru", x_, "use record without its LRU index entry");
  repair_all();
  expect_records(clean);
}

TEST_F(CheckTest, NamedFileMissingFromTheLruIndex) {
  ASSERT_TRUE(testing::delete_raw(*store_, ns_, lru_key(x_)));
  del(keys::use(x_));
  expect_one(check().problems, "lru", x_, "missing from the LRU index");
  repair_all();
  auto lru = store_->lru_oldest(ns_, 10);
  ASSERT_TRUE(lru);
  auto it = std::find_if(lru->begin(), lru->end(), [&](const LruEntry& e) { return e.ino == x_; });
  ASSERT_NE(it, lru->end());
  EXPECT_EQ(it->parent, ab_);
  EXPECT_EQ(it->name, "x-a");
}

TEST_F(CheckTest, LruRecordsOfADirectory) {
  put(keys::use(cd_), u64be(5));
  put(keys::lru(5, cd_), u64be(kRootIno) + "cd");
  expect_one(check().problems, "lru", cd_, "LRU index records of a directory");
  repair_all();
}

TEST_F(CheckTest, CounterDrift) {
  const auto clean = dump();
  std::string v;
  keys::put_u64le(v, 42);
  ASSERT_TRUE(testing::put_raw(*store_, ns_, keys::counter("files"), v));
  expect_one(check().problems, "counter", 0, "counter files is 42, the records give 2");
  repair_all();
  expect_records(clean);
  make(cd_, "more");  // later deltas merge onto the value repair put
  EXPECT_EQ(store_->stats(ns_)->files, 3u);
  expect_clean();
}

TEST_F(CheckTest, UnknownRecord) {
  const auto clean = dump();
  put("Zjunk", "x");
  expect_one(check().problems, "key", 0, "not a record of the namespace schema");
  repair_all();
  expect_records(clean);
}

TEST_F(CheckTest, InodeCounterBehindTheInodes) {
  put(keys::kNextIno, u64be(3));
  expect_one(check().problems, "inode", y_, "not below the inode counter 3");
  repair_all();
  EXPECT_EQ(get(keys::kNextIno), u64be(y_ + 1));
}

TEST_F(CheckTest, DirectoryCycleGoesWithWhatItHeld) {
  const Ino a = make(cd_, "a", S_IFDIR | 0755);
  const Ino b = make(a, "b", S_IFDIR | 0755);
  const Ino f = make(b, "f");
  write(f, 0, "hello");
  // Move a's entry from cd into b, consistently: a -> b -> a, off the tree.
  del(dentry_key(cd_, "a"));
  put(dentry_key(b, "a"), keys::dentry_value(a, S_IFDIR));
  using Change = std::tuple<Ino, Ino, uint32_t>;  // inode, parent, nlink
  for (auto [ino, parent, nlink] : std::vector<Change>{{a, b, 3}, {b, a, 3}, {cd_, kRootIno, 2}}) {
    auto rec = parse_inode(get(keys::inode(ino)), ino);
    ASSERT_TRUE(rec);
    rec->parent = parent;
    rec->nlink = nlink;
    put(keys::inode(ino), serialize_inode(*rec));
  }
  auto r = check();
  EXPECT_EQ(r.problems.size(), 2u) << describe(r.problems);
  EXPECT_EQ(count(r.problems, "directory", a), 1u) << describe(r.problems);
  EXPECT_EQ(count(r.problems, "directory", b), 1u) << describe(r.problems);
  repair_all();  // the directories, then their entries, then f (an orphan)
  EXPECT_EQ(store_->getattr(ns_, a).code(), Errc::not_found);
  EXPECT_EQ(store_->getattr(ns_, f)->nlink, 0u);
  reopen();
  EXPECT_EQ(store_->getattr(ns_, f).code(), Errc::not_found);
  expect_clean();
}

TEST_F(CheckTest, UnreadableRootIsRecreated) {
  std::string rec = get(keys::inode(kRootIno));
  rec[20] = static_cast<char>(rec[20] ^ 1);
  ASSERT_TRUE(testing::put_raw(*store_, ns_, keys::inode(kRootIno), rec));
  auto r = check();
  EXPECT_EQ(count(r.problems, "directory", kRootIno), 1u) << describe(r.problems);
  repair_all();
  EXPECT_EQ(store_->getattr(ns_, kRootIno)->nlink, 4u);  // ab, cd
  EXPECT_EQ(read_all(y_), y_data_);
}

TEST_F(CheckTest, ManyKindsAtOnceInOneRepair) {
  put(dentry_key(ab_, "ghost-a"), keys::dentry_value(9999, S_IFREG));
  put(keys::chunk(7777, 0), encode_chunk(7777, 0, "junk"));
  del(keys::use(x_));
  std::string c = get(keys::chunk(y_, 0));
  c.back() = static_cast<char>(c.back() ^ 1);
  put(keys::chunk(y_, 0), c);
  std::string v;
  keys::put_u64le(v, 7);
  ASSERT_TRUE(testing::put_raw(*store_, ns_, keys::counter("dirs"), v));
  EXPECT_EQ(check().problems.size(), 5u) << describe(check().problems);
  auto r = repair_all();
  EXPECT_EQ(r.problems.size(), 5u) << describe(r.problems);
  EXPECT_EQ(read_all(x_), x_data_);
}

}  // namespace
}  // namespace gcfs
