// Incremental archives: `snapshot export NAME --since BASE` writes what
// changed since snapshot BASE; a restore applies a full archive and then its
// deltas in order, refusing a chain whose links do not match, before
// anything changes.
#include <gtest/gtest.h>
#include <xxhash.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>

#include "file_bytes.hpp"
#include "snapshot_fixture.hpp"
#include "store/archive/format.hpp"
#include "store/archive/reader.hpp"
#include "store/local/keys.hpp"

namespace gcfs::test {
namespace {

class DeltaTest : public SnapshotTest {
 protected:
  void SetUp() override {
    SnapshotTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(store_->create_snapshot("s1", "go1.19.8"));
    full_ = path("full");
    auto f = store_->export_snapshot("s1", full_);
    ASSERT_TRUE(f) << f.error().message();
    full_sum_ = *f;

    // s2: one entry added, one rewritten, one removed (a build's churn).
    auto ab = store_->lookup(ns_, kRootIno, "ab");
    ASSERT_TRUE(ab);
    write(make(ab->ino, "new-a"), 0, text_bytes(175, 9));
    auto big = store_->lookup(ns_, ab->ino, "big-d");
    ASSERT_TRUE(big);
    write(big->ino, 100, "changed");
    ASSERT_TRUE(store_->unlink(ns_, ab->ino, "rand-d", kT2));
    tree2_ = tree(ns_);
    ASSERT_TRUE(store_->create_snapshot("s2", "go1.19.8"));
    d1_ = path("d1");
    auto d = store_->export_snapshot("s2", d1_, {}, {"s1"});
    ASSERT_TRUE(d) << d.error().message();
    d1_sum_ = *d;

    // s3: more of the same on top of s2.
    write(make(kRootIno, "later"), 0, random_bytes(9000, 5));
    ASSERT_TRUE(store_->unlink(ns_, kRootIno, "trim.txt", kT2));
    tree3_ = tree(ns_);
    ASSERT_TRUE(store_->create_snapshot("s3", "go1.19.8"));
    d2_ = path("d2");
    auto d2 = store_->export_snapshot("s3", d2_, {}, {"s2"});
    ASSERT_TRUE(d2) << d2.error().message();
  }

  std::string path(std::string_view name) {
    return dir_.path() + "/" + std::string(name) + ".gcfsarc";
  }

  std::string store_state() {
    std::string s;
    auto names = store_->list_namespaces();
    auto snaps = store_->list_snapshots();
    for (const auto& n : *names) s += "ns " + n.name + "\n";
    for (const auto& n : *snaps) s += "snap " + n.name + "\n";
    return s;
  }

  // The chain is refused with `why` in a one-line reason; nothing changes.
  void expect_refused(const std::vector<std::string>& chain, std::string_view why) {
    const std::string before = store_state();
    for (bool as_ns : {true, false}) {
      auto r = store_->import_archives(chain, "restored", as_ns);
      ASSERT_FALSE(r) << "accepted (" << why << ")";
      EXPECT_NE(r.error().message().find(why), std::string::npos) << r.error().message();
      EXPECT_EQ(r.error().message().find('\n'), std::string::npos);
      EXPECT_EQ(store_state(), before);
    }
  }

  std::string full_, d1_, d2_;
  ArchiveSummary full_sum_, d1_sum_;
  std::map<std::string, std::string> tree2_, tree3_;
};

TEST_F(DeltaTest, ADeltaHoldsOnlyWhatChangedAndNamesItsBase) {
  EXPECT_EQ(full_sum_.base_id, "");
  EXPECT_EQ(full_sum_.content_id.size(), 32u);
  EXPECT_EQ(d1_sum_.base_id, full_sum_.content_id);
  EXPECT_NE(d1_sum_.content_id, full_sum_.content_id);
  EXPECT_LT(d1_sum_.entries, full_sum_.entries);
  EXPECT_LT(d1_sum_.archive_bytes, full_sum_.archive_bytes);
  // The totals are the snapshot's, not the delta's.
  auto s2 = store_->find_snapshot("s2");
  ASSERT_TRUE(s2);
  EXPECT_EQ(d1_sum_.files, s2->stats.files);
  EXPECT_EQ(d1_sum_.logical_bytes, s2->stats.logical_bytes);
  // A delta checks alone (its form) and says what it applies to.
  auto c = check_archive(d1_, 4096);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->base_id, full_sum_.content_id);
  // The removed file is a deletion: its records are not carried.
  auto r = archive::Reader::open(d1_);
  ASSERT_TRUE(r);
  std::string raw;
  uint32_t n = 0;
  size_t deletions = 0;
  while (*(*r)->next(&raw, &n)) {
    ASSERT_TRUE(archive::for_each_record(raw, n, [&](const archive::Record& rec) {
      deletions += rec.deleted;
      return Status::ok();
    }));
  }
  EXPECT_GE(deletions, 2u);  // at least rand-d's dentry and inode record
}

TEST_F(DeltaTest, BaseAndDeltasComposeTheLaterSnapshots) {
  auto two = store_->import_archives({full_, d1_}, "two", true);
  ASSERT_TRUE(two) << two.error().message();
  EXPECT_EQ(two->deltas, 1u);
  EXPECT_EQ(two->content_id, d1_sum_.content_id);
  EXPECT_EQ(tree(ns_id("two")), tree2_);
  EXPECT_EQ(*store_->stats(ns_id("two")), *store_->recount(ns_id("two")));

  auto three = store_->import_archives({full_, d1_, d2_}, "three", true);
  ASSERT_TRUE(three) << three.error().message();
  EXPECT_EQ(three->deltas, 2u);
  EXPECT_EQ(tree(ns_id("three")), tree3_);
  EXPECT_EQ(tree(ns_id("three")).count("trim.txt"), 0u);
  EXPECT_EQ(*store_->stats(ns_id("three")), *store_->recount(ns_id("three")));
  // The composed content is byte for byte s3's: its full export has the
  // same content id as the last delta.
  ASSERT_TRUE(store_->import_archives({full_, d1_, d2_}, "as-snap", false));
  auto again = store_->export_snapshot("as-snap", path("again"));
  auto s3 = store_->export_snapshot("s3", path("s3full"));
  ASSERT_TRUE(again && s3);
  EXPECT_EQ(again->content_id, three->content_id);
  EXPECT_EQ(slurp(path("again")), slurp(path("s3full")));
  // And the composed namespace is an ordinary writable one after a reopen.
  reopen();
  ns_ = ns_id("three");
  write(make(kRootIno, "more"), 0, "x");
  expect_consistent();
}

TEST_F(DeltaTest, ChainsThatDoNotLinkAreRefusedBeforeAnythingChanges) {
  expect_refused({d1_}, "is a delta");
  expect_refused({full_, d2_}, "not of full.gcfsarc");
  expect_refused({full_, d1_, full_}, "only deltas may follow");
  expect_refused({full_, d2_, d1_}, "not of");
  // A delta of s3 against s1 is fine with s1's archive, not after d1.
  ASSERT_TRUE(store_->export_snapshot("s3", path("d13"), {}, {"s1"}));
  expect_refused({full_, d1_, path("d13")}, "not of d1.gcfsarc");
  auto ok = store_->import_archives({full_, path("d13")}, "skip", true);
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(tree(ns_id("skip")), tree3_);
}

TEST_F(DeltaTest, ADamagedDeltaIsRefusedAndTheStoreUnchanged) {
  std::string bytes = slurp(d1_);
  bytes[bytes.size() / 2] ^= 0x40;
  spit(path("bad"), bytes);
  expect_refused({full_, path("bad")}, "archive refused");
  bytes = slurp(d1_);
  spit(path("short"), bytes.substr(0, bytes.size() - 9));
  expect_refused({full_, path("short")}, "truncated");
}

// A delta re-framed with one record edited (checksums valid, ids unchanged)
// no longer composes the content it names: refused, whether the record
// checks catch it or only the content id does.
std::string reframed(const std::string& from,
                     const std::function<bool(archive::Record&, std::string&)>& edit) {
  auto r = archive::Reader::open(from);
  EXPECT_TRUE(r);
  archive::Header h = (*r)->header();
  std::string raw, part, scratch;
  uint32_t n = 0, kept = 0;
  while (*(*r)->next(&raw, &n)) {
    EXPECT_TRUE(archive::for_each_record(raw, n, [&](const archive::Record& in) {
      archive::Record rec = in;
      if (!edit(rec, scratch)) return Status::ok();  // dropped
      if (rec.deleted) {
        archive::append_deletion(part, rec.key);
      } else {
        archive::append_record(part, rec.key, rec.value);
      }
      ++kept;
      return Status::ok();
    }));
  }
  h.entries = kept;
  uint64_t check = 0;
  std::string out = archive::encode_header(h) + archive::encode_part(0, part, kept, &check);
  std::string checks;
  keys::put_u64be(checks, check);
  return out + archive::encode_trailer(archive::Trailer{1, kept, part.size(),
                                                        XXH3_64bits(checks.data(), checks.size())});
}

TEST_F(DeltaTest, AnEditedDeltaDoesNotComposeAndIsRefused) {
  // One deletion left out: the removed file's records stay (the counters
  // catch it).
  bool dropped = false;
  spit(path("dropped"), reframed(d1_, [&](archive::Record& rec, std::string&) {
         if (!rec.deleted || dropped) return true;
         dropped = true;
         return false;
       }));
  ASSERT_TRUE(dropped);
  ASSERT_TRUE(check_archive(path("dropped"), 4096));  // well-formed alone
  expect_refused({full_, path("dropped")}, "archive refused");
  // The inode counter moved on, a value no record check can fault: only the
  // content id tells.
  bool edited = false;
  spit(path("edited"), reframed(d1_, [&](archive::Record& rec, std::string& scratch) {
         if (rec.key != "N") return true;
         scratch.clear();
         keys::put_u64be(scratch, keys::get_u64be(rec.value.data()) + 1000);
         rec.value = scratch;
         edited = true;
         return true;
       }));
  ASSERT_TRUE(edited);
  expect_refused({full_, path("edited")}, "do not compose the content they name");
}

// The base as an archive file (what a CI job restored): the same delta as
// against the snapshot that archive was written from.
TEST_F(DeltaTest, AnArchiveFileCanBeTheBase) {
  DeltaBase from_file;
  from_file.archive = full_;
  auto d = store_->export_snapshot("s2", path("d1-file"), {}, from_file);
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(d->base_id, full_sum_.content_id);
  EXPECT_EQ(slurp(path("d1-file")), slurp(d1_));
  // A damaged base is refused, and no delta is left behind.
  std::string bytes = slurp(full_);
  bytes[bytes.size() / 2] ^= 0x08;
  spit(path("bad-base"), bytes);
  from_file.archive = path("bad-base");
  auto bad = store_->export_snapshot("s2", path("d-bad"), {}, from_file);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("base archive"), std::string::npos) << bad.error().message();
  EXPECT_FALSE(std::filesystem::exists(path("d-bad")));
  // A delta cannot be a base: it is not a content on its own.
  from_file.archive = d1_;
  auto of_delta = store_->export_snapshot("s3", path("d-x"), {}, from_file);
  ASSERT_FALSE(of_delta);
  EXPECT_NE(of_delta.error().message().find("is a delta"), std::string::npos)
      << of_delta.error().message();
  // Both kinds of base at once is a usage error.
  auto both = store_->export_snapshot("s3", path("d-y"), {}, DeltaBase{"s1", full_});
  ASSERT_FALSE(both);
  EXPECT_EQ(both.code(), Errc::invalid);
}

TEST_F(DeltaTest, ABaseMustBeAnotherExistingSnapshot) {
  auto self = store_->export_snapshot("s2", path("x"), {}, {"s2"});
  ASSERT_FALSE(self);
  EXPECT_EQ(self.code(), Errc::invalid);
  auto missing = store_->export_snapshot("s2", path("x"), {}, {"nope"});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.code(), Errc::not_found);
  EXPECT_NE(missing.error().message().find("base snapshot nope"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(path("x")));
}

}  // namespace
}  // namespace gcfs::test
