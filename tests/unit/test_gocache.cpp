// store/gocache: the Go action entry format and the cache over a store, as
// the cacheprog front end and the daemon's cache.get/cache.put use it.
#include <gtest/gtest.h>
#include <nettle/sha2.h>
#include <sys/stat.h>

#include <cstring>

#include "store/gocache/action_entry.hpp"
#include "store/gocache/layout.hpp"
#include "store/gocache/store_cache.hpp"
#include "store_fixture.hpp"

namespace gcfs::gocache {
namespace {

using test::TempDir;

GoHash sha(std::string_view bytes) {
  sha256_ctx c;
  sha256_init(&c);
  sha256_update(&c, bytes.size(), reinterpret_cast<const uint8_t*>(bytes.data()));
  GoHash h{};
  sha256_digest(&c, h.size(), h.data());
  return h;
}

class StringBody final : public BodyReader {
 public:
  explicit StringBody(std::string s, size_t piece = 7000) : s_(std::move(s)), piece_(piece) {}
  Result<size_t> read(std::span<char> out) override {
    const size_t n = std::min({out.size(), s_.size() - at_, piece_});
    std::memcpy(out.data(), s_.data() + at_, n);
    at_ += n;
    return n;
  }
  size_t consumed() const { return at_; }

 private:
  std::string s_;
  size_t piece_;
  size_t at_ = 0;
};

TEST(ActionEntry, FormatIsGosAndRoundTrips) {
  const ActionEntry e{sha("a"), sha("o"), 1234, 1700000000123456789};
  const std::string text = format_action_entry(e);
  ASSERT_EQ(text.size(), kActionEntrySize);
  // cmd/go/internal/cache: fmt.Sprintf("v1 %x %x %20d %20d\n", ...)
  EXPECT_EQ(text, "v1 " + to_hex(e.action) + " " + to_hex(e.output) + " " + std::string(16, ' ') +
                      "1234 " + " 1700000000123456789\n");
  auto back = parse_action_entry(text, e.action);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->output, e.output);
  EXPECT_EQ(back->size, 1234u);
  EXPECT_EQ(back->time_ns, e.time_ns);
}

TEST(ActionEntry, AnythingElseIsAMiss) {
  const ActionEntry e{sha("a"), sha("o"), 5, 7};
  const std::string text = format_action_entry(e);
  EXPECT_FALSE(parse_action_entry(text, sha("other")));        // another action's entry
  EXPECT_FALSE(parse_action_entry(text + "x", e.action));      // too long
  EXPECT_FALSE(parse_action_entry(text.substr(1), e.action));  // too short
  std::string bad = text;
  bad[0] = 'w';
  EXPECT_FALSE(parse_action_entry(bad, e.action));
  bad = text;
  bad[3 + 64 + 1 + 3] = 'g';  // not hex in the output ID
  EXPECT_FALSE(parse_action_entry(bad, e.action));
  bad = text;
  bad[150] = '-';  // a negative size
  EXPECT_FALSE(parse_action_entry(bad, e.action));
}

TEST(Layout, NamesAsTheGoCommand) {
  const GoHash h = sha("x");
  EXPECT_EQ(subdir_of(h), to_hex(h).substr(0, 2));
  EXPECT_EQ(output_path(h), to_hex(h).substr(0, 2) + "/" + to_hex(h) + "-d");
  EXPECT_EQ(hash_from_hex(to_hex(h)), h);
  EXPECT_FALSE(hash_from_hex(to_hex(h).substr(1)));
}

class StoreCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions so;
    so.path = dir_.path() + "/store";
    auto s = open_rocks_store(so);
    ASSERT_TRUE(s) << s.error().message();
    store_ = std::move(*s);
    auto ns = cache_namespace(*store_, "go1.23.5", true, {1000, 1000});
    ASSERT_TRUE(ns);
    ns_ = ns->id;
  }
  std::string read_all(Ino ino, size_t size) {
    std::string out(size, '\0');
    auto n = store_->read(ns_, ino, 0, std::span<char>(out.data(), out.size()));
    EXPECT_TRUE(n);
    out.resize(n ? *n : 0);
    return out;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  NsId ns_ = 0;
};

TEST_F(StoreCacheTest, PutThenGetInTheGoLayout) {
  StoreCache cache(*store_);
  const std::string body = test::text_bytes(300 * 1024, 1);
  const GoHash action = sha("action"), output = sha(body);
  auto miss = cache.get(ns_, action);
  ASSERT_TRUE(miss);
  EXPECT_FALSE(*miss);
  StringBody b(body);
  std::string teed;
  auto put = cache.put(ns_, action, output, body.size(), b, [&](std::string_view s) {
    teed += s;
    return Status::ok();
  });
  ASSERT_TRUE(put) << put.error().message();
  EXPECT_EQ(teed, body);
  // The names the go command uses, owned by the namespace's owner.
  auto dir = store_->lookup(ns_, kRootIno, subdir_of(output));
  ASSERT_TRUE(dir);
  EXPECT_TRUE(S_ISDIR(dir->mode));
  EXPECT_EQ(dir->uid, 1000u);
  auto d = store_->lookup(ns_, dir->ino, output_name(output));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->size, body.size());
  EXPECT_EQ(read_all(d->ino, body.size()), body);
  auto adir = store_->lookup(ns_, kRootIno, subdir_of(action));
  ASSERT_TRUE(adir);
  auto a = store_->lookup(ns_, adir->ino, action_name(action));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->size, kActionEntrySize);
  auto hit = cache.get(ns_, action);
  ASSERT_TRUE(hit);
  ASSERT_TRUE(*hit);
  EXPECT_EQ((*hit)->entry.output, output);
  EXPECT_EQ((*hit)->entry.size, body.size());
  EXPECT_EQ((*hit)->output_ino, d->ino);
  EXPECT_EQ((*hit)->action_ino, a->ino);
  auto report = store_->check(ns_);
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->problems.empty());
}

TEST_F(StoreCacheTest, AnEmptyOutput) {
  StoreCache cache(*store_);
  StringBody b("");
  auto put = cache.put(ns_, sha("a0"), sha(""), 0, b);
  ASSERT_TRUE(put) << put.error().message();
  auto hit = cache.get(ns_, sha("a0"));
  ASSERT_TRUE(hit && *hit);
  EXPECT_EQ((*hit)->entry.size, 0u);
}

TEST_F(StoreCacheTest, ABodyThatDoesNotHashToItsIdStoresNothing) {
  StoreCache cache(*store_);
  const GoHash action = sha("a1");
  StringBody b("not what the ID says");
  auto put = cache.put(ns_, action, sha("something else"), 20, b);
  ASSERT_FALSE(put);
  EXPECT_EQ(put.code(), Errc::invalid);
  auto hit = cache.get(ns_, action);
  ASSERT_TRUE(hit);
  EXPECT_FALSE(*hit);  // no entry
  auto dir = store_->lookup(ns_, kRootIno, subdir_of(sha("something else")));
  ASSERT_TRUE(dir);
  auto d = store_->lookup(ns_, dir->ino, output_name(sha("something else")));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->size, 0u);  // created, left empty: a miss to Go
}

TEST_F(StoreCacheTest, AShortBodyIsRefused) {
  StoreCache cache(*store_);
  const std::string body = "twelve bytes";
  StringBody b(body);
  auto put = cache.put(ns_, sha("a2"), sha(body + "x"), body.size() + 1, b);
  ASSERT_FALSE(put);
  EXPECT_NE(put.error().message().find("ends after 12 of 13 bytes"), std::string::npos)
      << put.error().message();
  auto hit = cache.get(ns_, sha("a2"));
  ASSERT_TRUE(hit);
  EXPECT_FALSE(*hit);
}

TEST_F(StoreCacheTest, AnOutputAlreadyThereIsKeptAndTheBodyStillChecked) {
  StoreCache cache(*store_);
  const std::string body = test::random_bytes(5000, 2);
  StringBody b1(body);
  ASSERT_TRUE(cache.put(ns_, sha("a3"), sha(body), body.size(), b1));
  auto dir = store_->lookup(ns_, kRootIno, subdir_of(sha(body)));
  auto before = store_->lookup(ns_, dir->ino, output_name(sha(body)));
  StringBody b2(body);
  auto put = cache.put(ns_, sha("a4"), sha(body), body.size(), b2);
  ASSERT_TRUE(put) << put.error().message();
  EXPECT_EQ(b2.consumed(), body.size());
  auto after = store_->lookup(ns_, dir->ino, output_name(sha(body)));
  EXPECT_EQ(after->mtime, before->mtime);  // not rewritten
  for (const Changed& c : put->changed) EXPECT_NE(c.name, output_name(sha(body)));
  // the same output under a wrong ID is still refused
  StringBody b3(body);
  EXPECT_FALSE(cache.put(ns_, sha("a5"), sha("x"), body.size(), b3));
}

TEST_F(StoreCacheTest, AWrongSizedOutputIsRewritten) {
  StoreCache cache(*store_);
  const std::string body = test::text_bytes(9000, 3);
  // What a go command killed mid-write leaves: the name with a prefix.
  auto dir = store_->mknode(ns_, kRootIno, subdir_of(sha(body)), S_IFDIR | 0755, {}, test::kT1);
  ASSERT_TRUE(dir);
  auto f = store_->mknode(ns_, dir->ino, output_name(sha(body)), S_IFREG | 0644, {}, test::kT1);
  ASSERT_TRUE(f);
  auto pw = store_->begin_write(ns_, f->ino);
  ASSERT_TRUE((*pw)->write(0, body.substr(0, 100)));
  ASSERT_TRUE(store_->commit(**pw, test::kT1));
  StringBody b(body);
  auto put = cache.put(ns_, sha("a6"), sha(body), body.size(), b);
  ASSERT_TRUE(put) << put.error().message();
  EXPECT_EQ(read_all(f->ino, body.size()), body);
  bool replaced = false;
  for (const Changed& c : put->changed) replaced |= c.ino == f->ino && !c.created;
  EXPECT_TRUE(replaced);
}

TEST_F(StoreCacheTest, GetIsAMissWhenTheOutputIsGoneOrWrongSized) {
  StoreCache cache(*store_);
  const std::string body = test::text_bytes(6000, 4);
  StringBody b(body);
  auto put = cache.put(ns_, sha("a7"), sha(body), body.size(), b);
  ASSERT_TRUE(put);
  SetAttr sa;
  sa.size = 10;
  sa.now = test::kT2;
  ASSERT_TRUE(store_->setattr(ns_, put->output_ino, sa));
  auto hit = cache.get(ns_, sha("a7"));
  ASSERT_TRUE(hit);
  EXPECT_FALSE(*hit);
  auto gone = store_->unlink(ns_, put->output_dir, output_name(sha(body)), test::kT2);
  ASSERT_TRUE(gone);
  hit = cache.get(ns_, sha("a7"));
  ASSERT_TRUE(hit);
  EXPECT_FALSE(*hit);
}

TEST_F(StoreCacheTest, CacheNamespaceCreatesOnlyWhenAsked) {
  auto none = cache_namespace(*store_, "go1.21.13", false, {});
  EXPECT_EQ(none.code(), Errc::not_found);
  auto made = cache_namespace(*store_, "go1.21.13", true, {7, 8});
  ASSERT_TRUE(made);
  auto root = store_->getattr(made->id, kRootIno);
  EXPECT_EQ(root->uid, 7u);
  auto again = cache_namespace(*store_, "go1.21.13", true, {});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->id, made->id);
}

}  // namespace
}  // namespace gcfs::gocache
