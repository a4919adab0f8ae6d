// The second tier as the daemon runs it (store/tiered): a real store and a
// real redis-server. Fetch commits a verified pair in one batch; misses are
// remembered; damage and a dead server are misses; committed entries are
// uploaded -d first and drained at close.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <thread>

#include "redis_fixture.hpp"
#include "remote_test_util.hpp"
#include "store/tiered/miss_memo.hpp"
#include "store/tiered/remote_tier.hpp"
#include "store_fixture.hpp"

namespace gcfs {
namespace {

using remote::testing::content;
using remote::testing::go_pair;
using remote::testing::GoPair;
using remote::testing::RedisServer;
using test::kT1;

TEST(MissMemo, ExpiresAndStaysBounded) {
  using namespace std::chrono_literals;
  tiered::MissMemo memo(1000ms, 3);
  const auto t0 = tiered::MissMemo::Clock::now();
  memo.remember(1, "a", t0);
  EXPECT_TRUE(memo.recent(1, "a", t0 + 999ms));
  EXPECT_FALSE(memo.recent(1, "a", t0 + 1001ms));
  EXPECT_FALSE(memo.recent(2, "a", t0));  // namespaces apart
  for (const char* n : {"b", "c", "d", "e"}) memo.remember(1, n, t0);
  EXPECT_EQ(memo.size(), 3u);  // the oldest went
  EXPECT_FALSE(memo.recent(1, "a", t0));
  EXPECT_TRUE(memo.recent(1, "e", t0));
  memo.forget(1, "e");
  EXPECT_FALSE(memo.recent(1, "e", t0));
}

class TierTest : public test::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    server_ = std::make_unique<RedisServer>(rdir_.path(), false);
    client_ = remote::testing::make_client(remote::testing::test_options({server_->url()}));
  }
  tiered::TierOptions options() {
    tiered::TierOptions o;
    o.remote = remote::testing::test_options({server_->url()});
    o.drain_ms = 20000;
    return o;
  }
  std::unique_ptr<tiered::RemoteTier> tier(tiered::TierOptions o) {
    auto t = tiered::RemoteTier::create(*store_, o);
    EXPECT_TRUE(t) << t.error().message();
    return std::move(t).value();
  }
  // The cache directory XX of `name` (XX/<hex>-a), made once.
  Ino dir_of(const std::string& entry) {
    const std::string xx = entry.substr(0, 2);
    if (auto a = store_->lookup(ns_, kRootIno, xx)) return a->ino;
    return make(kRootIno, xx, S_IFDIR | 0755);
  }
  std::string base(const std::string& entry) { return entry.substr(3); }

  remote::testing::TempDir rdir_;
  std::unique_ptr<RedisServer> server_;
  std::unique_ptr<remote::RemoteClient> client_;
};

TEST_F(TierTest, FetchCommitsTheEntryAndItsOutput) {
  const GoPair p = go_pair(1, content(300000, 1, true));  // chunked locally
  ASSERT_TRUE(client_->put_pair("go1.19", p.action_name, p.action, p.output));
  const Ino adir = dir_of(p.action_name), ddir = dir_of(p.output_name);
  auto t = tier(options());
  auto got = t->fetch(ns_, adir, base(p.action_name));
  ASSERT_TRUE(got);
  EXPECT_EQ(read_all(got->ino), p.action);
  auto out = store_->lookup(ns_, ddir, base(p.output_name));
  ASSERT_TRUE(out);
  EXPECT_EQ(read_all(out->ino), p.output);
  EXPECT_EQ(t->stats().fetch_hits, 1u);
  expect_consistent();

  // A missing entry: one round trip, then remembered.
  const GoPair q = go_pair(2, "other");
  const Ino qdir = dir_of(q.action_name);
  EXPECT_FALSE(t->fetch(ns_, qdir, base(q.action_name)));
  EXPECT_FALSE(t->fetch(ns_, qdir, base(q.action_name)));
  EXPECT_EQ(t->stats().fetch_misses, 1u);
  EXPECT_EQ(t->stats().fetch_remembered, 1u);
  // Not the cache's own layout: no round trip at all.
  const Ino elsewhere = make(kRootIno, "sub", S_IFDIR | 0755);
  EXPECT_FALSE(t->fetch(ns_, elsewhere, base(p.action_name)));
  EXPECT_EQ(t->stats().fetch_not_cache, 1u);
}

TEST_F(TierTest, DamagedValueIsAMiss) {
  const GoPair p = go_pair(3, content(5000, 3));
  ASSERT_TRUE(client_->put_pair("go1.19", p.action_name, p.action, p.output));
  const std::string key = remote::object_key("go1.19", p.output_name);
  auto r = remote::testing::raw_command(server_->port(), {"SET", key, "garbage"});
  ASSERT_FALSE(r.failure);
  const Ino adir = dir_of(p.action_name);
  dir_of(p.output_name);
  auto t = tier(options());
  EXPECT_FALSE(t->fetch(ns_, adir, base(p.action_name)));
  EXPECT_EQ(t->stats().fetch_errors, 1u);
  EXPECT_EQ(store_->lookup(ns_, adir, base(p.action_name)).code(), Errc::not_found);
  EXPECT_EQ(t->remote_status().stats.error(remote::Fault::corrupt), 1u);
}

TEST_F(TierTest, DeadServerIsAMiss) {
  const GoPair p = go_pair(4, "x");
  const Ino adir = dir_of(p.action_name);
  auto t = tier(options());
  server_->kill();
  EXPECT_FALSE(t->fetch(ns_, adir, base(p.action_name)));
  EXPECT_EQ(t->stats().fetch_errors, 1u);
}

TEST_F(TierTest, CommittedEntriesAreUploadedAndDrainedAtClose) {
  std::vector<GoPair> pairs;
  for (uint64_t i = 10; i < 20; ++i) pairs.push_back(go_pair(i, content(1000 * i, i, true)));
  auto t = tier(options());
  for (const GoPair& p : pairs) {
    // As Go writes them: the -d, then the -a that names it.
    const NewFile d[] = {{dir_of(p.output_name), base(p.output_name), 0644, p.output}};
    ASSERT_TRUE(store_->create_files(ns_, d, Credentials{}, kT1));
    const NewFile a[] = {{dir_of(p.action_name), base(p.action_name), 0644, p.action}};
    auto made = store_->create_files(ns_, a, Credentials{}, kT1);
    ASSERT_TRUE(made);
    t->committed(ns_, made->at(0).ino);
  }
  t->close();
  EXPECT_EQ(t->stats().uploads_queued, pairs.size());
  for (const GoPair& p : pairs) {
    auto got = client_->get_pair("go1.19", p.action_name);
    ASSERT_TRUE(got && got->has_value()) << p.action_name;
    EXPECT_EQ((*got)->output, p.output);
  }
  // Read-only: nothing is even read back for upload.
  tiered::TierOptions ro = options();
  ro.remote.mode = remote::Mode::read_only;
  auto r = tier(ro);
  EXPECT_FALSE(r->uploads());
}

// --remote-upload evict: what the space policy evicts goes to the remote
// first, in LRU order (an output usually before the entry naming it).
TEST_F(TierTest, EvictionUploadsFirst) {
  tiered::TierOptions o = options();
  o.upload = false;
  o.demote = true;
  auto t = tier(o);
  EXPECT_FALSE(t->uploads());
  auto put_local = [&](const GoPair& p) {
    const NewFile files[] = {{dir_of(p.output_name), base(p.output_name), 0644, p.output},
                             {dir_of(p.action_name), base(p.action_name), 0644, p.action}};
    auto made = store_->create_files(ns_, files, Credentials{}, kT1);
    EXPECT_TRUE(made);
    return *made;
  };
  // The output is evicted first, then the entry: both reach the remote.
  const GoPair p = go_pair(30, content(200000, 30, true));
  auto made = put_local(p);
  t->evicting(ns_, made[0].ino, base(p.output_name));
  ASSERT_TRUE(store_->unlink(ns_, dir_of(p.output_name), base(p.output_name), kT1));
  t->evicting(ns_, made[1].ino, base(p.action_name));
  auto got = client_->get_pair("go1.19", p.action_name);
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->output, p.output);
  // The entry with its output still here: one pair, -d first.
  const GoPair q = go_pair(31, content(5000, 31));
  made = put_local(q);
  t->evicting(ns_, made[1].ino, base(q.action_name));
  got = client_->get_pair("go1.19", q.action_name);
  ASSERT_TRUE(got && got->has_value());
  // Already there: not sent again. An entry whose output is nowhere: kept
  // off the remote (an -a is never visible without its -d).
  t->evicting(ns_, made[1].ino, base(q.action_name));
  const GoPair r = go_pair(32, "lost output");
  made = put_local(r);
  ASSERT_TRUE(store_->unlink(ns_, dir_of(r.output_name), base(r.output_name), kT1));
  t->evicting(ns_, made[1].ino, base(r.action_name));
  auto e = client_->exists("go1.19", r.action_name);
  ASSERT_TRUE(e);
  EXPECT_FALSE(*e);
  EXPECT_EQ(t->stats().demoted, 3u);
  EXPECT_EQ(t->stats().demote_skipped, 2u);
  EXPECT_EQ(t->stats().demote_failed, 0u);
  // In commit mode an eviction uploads nothing.
  auto c = tier(options());
  const GoPair s2 = go_pair(33, "x");
  made = put_local(s2);
  c->evicting(ns_, made[1].ino, base(s2.action_name));
  EXPECT_EQ(c->stats().demoted, 0u);
}

}  // namespace
}  // namespace gcfs
