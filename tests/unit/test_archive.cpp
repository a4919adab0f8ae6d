// Snapshot archives: byte-identical round trips, and every damaged or
// hostile archive refused with a one-line reason and the store unchanged.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>
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

using Records = std::vector<std::pair<std::string, std::string>>;

class ArchiveTest : public SnapshotTest {
 protected:
  void SetUp() override {
    SnapshotTest::SetUp();
    ASSERT_TRUE(store_->create_snapshot("s1", "go1.19.8"));
    good_ = dir_.path() + "/good.gcfsarc";
    auto sum = store_->export_snapshot("s1", good_);
    ASSERT_TRUE(sum) << sum.error().message();
    bytes_ = slurp(good_);
  }

  // Namespaces and snapshots by name: what must not change on a refusal.
  std::string store_state() {
    std::string s;
    auto names = store_->list_namespaces();
    for (const auto& n : *names) s += "ns " + n.name + "\n";
    auto snaps = store_->list_snapshots();
    for (const auto& n : *snaps) s += "snap " + n.name + "\n";
    return s;
  }

  // Imports `bytes`; expects a refusal with a one-line reason, no change,
  // and no family left behind (also after a reopen).
  void expect_refused(std::string_view bytes, std::string_view why = "") {
    const std::string path = dir_.path() + "/bad.gcfsarc";
    spit(path, bytes);
    const std::string before = store_state();
    auto r = store_->import_archive(path, "imported", false);
    ASSERT_FALSE(r) << "accepted a bad archive (" << why << ")";
    EXPECT_EQ(r.error().message().find('\n'), std::string::npos);
    EXPECT_NE(r.error().message(), "");
    if (!why.empty()) {
      EXPECT_NE(r.error().message().find(why), std::string::npos) << r.error().message();
    }
    auto as_ns = store_->import_archive(path, "imported", true);
    EXPECT_FALSE(as_ns);
    EXPECT_EQ(store_state(), before);
    reopen();
    EXPECT_EQ(store_state(), before);
  }

  Records records() {
    Records out;
    auto r = archive::Reader::open(good_);
    EXPECT_TRUE(r);
    std::string raw;
    uint32_t n = 0;
    while (*(*r)->next(&raw, &n)) {
      EXPECT_TRUE(archive::for_each_record(raw, n, [&](const archive::Record& rec) {
        out.emplace_back(std::string(rec.key), std::string(rec.value));
        return Status::ok();
      }));
    }
    return out;
  }

  // A well-framed archive holding `recs` (checksums all valid).
  std::string build(const Records& recs, std::function<void(archive::Header&)> edit = {}) {
    auto r = archive::Reader::open(good_);
    archive::Header h = (*r)->header();
    h.entries = recs.size();
    archive::ContentDigest digest;
    for (const auto& [k, v] : recs) digest.add(k, v);
    h.content = digest.id();
    if (edit) edit(h);
    std::string raw, checks, out = archive::encode_header(h);
    for (const auto& [k, v] : recs) archive::append_record(raw, k, v);
    uint64_t check = 0;
    out += archive::encode_part(0, raw, static_cast<uint32_t>(recs.size()), &check);
    keys::put_u64be(checks, check);
    archive::Trailer t{1, recs.size(), raw.size(), XXH3_64bits(checks.data(), checks.size())};
    return out + archive::encode_trailer(t);
  }

  std::string good_;
  std::string bytes_;
};

TEST_F(ArchiveTest, RoundTripIsByteIdentical) {
  auto source = tree(ns_);
  auto sum = store_->import_archive(good_, "copy", true);
  ASSERT_TRUE(sum) << sum.error().message();
  EXPECT_EQ(sum->ns, "go1.19.8");
  EXPECT_EQ(sum->go_version, "go1.19.8");
  EXPECT_EQ(tree(ns_id("copy")), source);
  EXPECT_EQ(*store_->stats(ns_id("copy")), *store_->recount(ns_id("copy")));
  // Imported as a snapshot and exported again: the same archive bytes.
  ASSERT_TRUE(store_->import_archive(good_, "s2", false));
  const std::string again = dir_.path() + "/again.gcfsarc";
  ASSERT_TRUE(store_->export_snapshot("s2", again));
  EXPECT_EQ(slurp(again), bytes_);
  // Survives a reopen, and the copy is a normal writable namespace.
  reopen();
  ns_ = ns_id("copy");
  EXPECT_EQ(tree(ns_), source);
  write(make(kRootIno, "more"), 0, "x");
  expect_consistent();
}

// Two exports to one FILE (two CI jobs saving the same cache path): the
// second is refused while the first holds FILE.tmp, never interleaved.
TEST_F(ArchiveTest, ASecondExportToTheSameFileIsRefusedWhileTheFirstWrites) {
  const std::string out = dir_.path() + "/busy.gcfsarc";
  const int held = ::open((out + ".tmp").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(held, 0);
  ASSERT_EQ(::write(held, "partial", 7), 7);
  ASSERT_EQ(::flock(held, LOCK_EX), 0);  // as a running export holds it
  auto r = store_->export_snapshot("s1", out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.code(), Errc::busy);
  EXPECT_NE(r.error().message().find("another export is writing " + out + ".tmp"),
            std::string::npos)
      << r.error().message();
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_EQ(slurp(out + ".tmp"), "partial");  // the first one's bytes untouched
  // That export died: its lock went with it, and its leftover is reused.
  ::close(held);
  auto again = store_->export_snapshot("s1", out);
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(slurp(out), bytes_);
  EXPECT_FALSE(std::filesystem::exists(out + ".tmp"));
}

TEST_F(ArchiveTest, CheckArchiveReportsSummary) {
  auto sum = check_archive(good_, 4096);
  ASSERT_TRUE(sum) << sum.error().message();
  EXPECT_EQ(sum->files, store_->stats(ns_)->files);
  EXPECT_EQ(sum->archive_bytes, bytes_.size());
  EXPECT_FALSE(check_archive(good_, 8192));  // another store's chunk size
}

TEST_F(ArchiveTest, NameClashRefused) {
  ASSERT_TRUE(store_->import_archive(good_, "x", false));
  EXPECT_EQ(store_->import_archive(good_, "x", false).code(), Errc::exists);
  EXPECT_EQ(store_->import_archive(good_, "go1.19.8", true).code(), Errc::exists);
  EXPECT_EQ(store_->import_archive(dir_.path() + "/missing", "y", false).code(), Errc::not_found);
}

TEST_F(ArchiveTest, TruncatedRefused) {
  const size_t n = bytes_.size();
  for (size_t cut :
       {size_t{0}, size_t{5}, size_t{100}, archive::kHeaderSize, archive::kHeaderSize + 10,
        archive::kHeaderSize + 40, n / 2, n - archive::kTrailerSize, n - 20, n - 1}) {
    SCOPED_TRACE(cut);
    expect_refused(std::string_view(bytes_).substr(0, cut));
  }
}

TEST_F(ArchiveTest, FlippedBytesRefused) {
  const size_t n = bytes_.size();
  for (size_t at : {size_t{3}, size_t{20}, size_t{60}, size_t{150}, archive::kHeaderSize + 2,
                    archive::kHeaderSize + 9, archive::kHeaderSize + 17, archive::kHeaderSize + 25,
                    archive::kHeaderSize + 100, n / 2, n - 30, n - 10, n - 1}) {
    SCOPED_TRACE(at);
    std::string bad = bytes_;
    bad[at] = static_cast<char>(bad[at] ^ 0x10);
    expect_refused(bad);
  }
}

TEST_F(ArchiveTest, WrongMagicVersionAndTrailingDataRefused) {
  std::string bad = bytes_;
  bad[0] = 'X';
  expect_refused(bad, "magic");
  bad = bytes_;
  bad[11] = 3;  // version 3
  expect_refused(bad, "version 3");
  expect_refused(bytes_ + "extra", "after the end");
}

TEST_F(ArchiveTest, RebuiltArchiveIsAccepted) {
  // The builder itself produces valid archives: the hostile cases below
  // fail for their one defect only.
  const std::string path = dir_.path() + "/rebuilt.gcfsarc";
  spit(path, build(records()));
  auto r = store_->import_archive(path, "rebuilt", true);
  ASSERT_TRUE(r) << r.error().message();
}

TEST_F(ArchiveTest, HostileRecordsRefused) {
  const Records good = records();
  auto with = [&](std::function<void(Records&)> edit) {
    Records r = good;
    edit(r);
    std::sort(r.begin(), r.end());
    return build(r);
  };
  expect_refused(with([](Records& r) { r.emplace_back("Z../../etc/passwd", "x"); }), "unknown key");
  // Extended attributes: a short key, a value over the limit.
  expect_refused(with([](Records& r) { r.emplace_back("X../", "x"); }),
                 "malformed extended attribute");
  expect_refused(with([](Records& r) {
                   r.emplace_back(keys::xattr(2, "user.x"),
                                  std::string(kMaxXattrValueLen + 1, 'v'));
                 }),
                 "malformed extended attribute");
  expect_refused(with([](Records& r) {
                   r.emplace_back(keys::xattr(kRootIno, std::string("user.a\0b", 8)), "v");
                 }),
                 "malformed extended attribute");
  // The root's record has no attributes flag: its `X` record is refused.
  expect_refused(with([](Records& r) { r.emplace_back(keys::xattr(kRootIno, "user.x"), "v"); }),
                 "inode without attributes");
  expect_refused(with([](Records& r) {
                   r.emplace_back(keys::dentry(kRootIno, keys::dentry_cookie(".."), ".."),
                                  keys::dentry_value(1, S_IFDIR));
                 }),
                 "illegal name");
  expect_refused(with([](Records& r) {
                   r.emplace_back(keys::dentry(kRootIno, 77, "evil"),
                                  keys::dentry_value(2, S_IFREG));
                 }),
                 "cookie");
  expect_refused(with([](Records& r) {
    for (auto& [k, v] : r) {
      if (k[0] == keys::kChunkTag) {
        k = keys::chunk(3, 0);  // another file's chunk
        break;
      }
    }
  }));
  expect_refused(with([](Records& r) {
                   for (auto& [k, v] : r) {
                     if (k == keys::counter("files")) v[0] = static_cast<char>(v[0] + 1);
                   }
                 }),
                 "counters");
  expect_refused(with([](Records& r) {
                   for (auto& [k, v] : r) {
                     if (k == keys::kNextIno) v = std::string(8, '\0');
                   }
                 }),
                 "inode counter");
  expect_refused(with([](Records& r) { r.erase(r.begin()); }));  // part of the tree gone
  // Keys out of order and duplicates.
  Records dup = good;
  dup.push_back(dup.back());
  expect_refused(build(dup), "order");
  // Header totals that lie.
  expect_refused(build(good, [](archive::Header& h) { h.logical += 1; }), "header totals");
  expect_refused(build(good, [](archive::Header& h) { h.entries += 1; }), "entry count");
  expect_refused(build(good, [](archive::Header& h) { h.chunk_size = 1 << 20; }), "chunk size");
}

TEST_F(ArchiveTest, AbsurdSizesRefused) {
  // A part header claiming 1 GiB of records, with a matching check.
  std::string bad = bytes_.substr(0, archive::kHeaderSize);
  std::string frame = "PART";
  keys::put_u32be(frame, archive::kFlagRaw);
  keys::put_u32be(frame, 1u << 30);
  keys::put_u32be(frame, 1u << 30);
  keys::put_u32be(frame, 1);
  keys::put_u64be(frame, 0);
  expect_refused(bad + frame, "out of range");
}

}  // namespace
}  // namespace gcfs::test
