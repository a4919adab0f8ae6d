// Remote push (store/tiered/push.hpp) over a real store and redis-server:
// complete pairs are uploaded as the tier uploads them (get_pair finds them),
// incomplete, oversized and malformed entries are skipped and counted, pairs
// already there are left alone, and a dead or hung server stops the push
// with an error instead of hanging it.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>

#include "redis_fixture.hpp"
#include "remote_test_util.hpp"
#include "store/tiered/push.hpp"
#include "store_fixture.hpp"

namespace gcfs {
namespace {

using remote::testing::content;
using remote::testing::go_pair;
using remote::testing::GoPair;
using remote::testing::RedisServer;
using test::kT1;
using Clock = std::chrono::steady_clock;

class PushTest : public test::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    server_ = std::make_unique<RedisServer>(rdir_.path(), false);
    client_ = remote::testing::make_client(remote::testing::test_options({server_->url()}));
  }
  Ino dir_of(const std::string& entry) {
    const std::string xx = entry.substr(0, 2);
    if (auto a = store_->lookup(ns_, kRootIno, xx)) return a->ino;
    return make(kRootIno, xx, S_IFDIR | 0755);
  }
  std::string base(const std::string& entry) { return entry.substr(3); }
  // As Go writes them: the -d, then the -a naming it.
  void put_local(const GoPair& p, bool with_output = true) {
    if (with_output) {
      const NewFile d[] = {{dir_of(p.output_name), base(p.output_name), 0644, p.output}};
      ASSERT_TRUE(store_->create_files(ns_, d, Credentials{}, kT1));
    }
    const NewFile a[] = {{dir_of(p.action_name), base(p.action_name), 0644, p.action}};
    ASSERT_TRUE(store_->create_files(ns_, a, Credentials{}, kT1));
  }
  bool on_remote(const std::string& name) {
    auto e = client_->exists("go1.19", name);
    EXPECT_TRUE(e) << e.error().message();
    return e && *e;
  }
  // Pairs whose action IDs share a first byte: one directory, several
  // batches when the batch is small.
  std::vector<GoPair> same_dir_pairs(size_t n, uint64_t seed0) {
    std::vector<GoPair> out;
    const std::string xx = go_pair(seed0, "").action_name.substr(0, 2);
    for (uint64_t s = seed0; out.size() < n; ++s) {
      GoPair p = go_pair(s, content(2000 + s % 5000, s));
      if (p.action_name.starts_with(xx)) out.push_back(std::move(p));
    }
    return out;
  }

  remote::testing::TempDir rdir_;
  std::unique_ptr<RedisServer> server_;
  std::unique_ptr<remote::RemoteClient> client_;
};

TEST_F(PushTest, UploadsCompletePairsAndCountsTheRest) {
  std::vector<GoPair> pairs = same_dir_pairs(5, 1);  // 5 in one directory: batches of 2
  for (uint64_t i = 100; i < 105; ++i) pairs.push_back(go_pair(i, content(1000 * i, i, true)));
  pairs.push_back(go_pair(105, content(3'000'000, 105)));  // pieces on the remote
  for (const GoPair& p : pairs) put_local(p);
  const GoPair missing = go_pair(200, "output never written");
  put_local(missing, false);
  const GoPair big = go_pair(201, content(300'000, 201));
  put_local(big);
  // An -a that is not Go's format, one naming another action, and files
  // that are not entries at all.
  const GoPair bad = go_pair(202, "x");
  const std::string not_an_entry(175, 'x');  // NewFile views its content: it must outlive it
  const NewFile garbage[] = {{dir_of(bad.action_name), base(bad.action_name), 0644, not_an_entry}};
  ASSERT_TRUE(store_->create_files(ns_, garbage, Credentials{}, kT1));
  const GoPair other = go_pair(203, "y"), named = go_pair(204, "y");
  const NewFile misnamed[] = {
      {dir_of(named.action_name), base(named.action_name), 0644, other.action}};
  ASSERT_TRUE(store_->create_files(ns_, misnamed, Credentials{}, kT1));
  make(kRootIno, "trim.txt");
  make(kRootIno, "README");
  const Ino sub = make(kRootIno, "sub", S_IFDIR | 0755);
  const NewFile elsewhere[] = {{sub, base(pairs[0].action_name), 0644, pairs[0].action}};
  ASSERT_TRUE(store_->create_files(ns_, elsewhere, Credentials{}, kT1));

  // The client's own bound decides what is too big.
  auto o = remote::testing::test_options({server_->url()});
  o.max_object_size = 256 * 1024;
  auto bounded = remote::testing::make_client(o);
  tiered::PushOptions po;
  po.batch = 2;
  po.max_pending_bytes = 100'000;  // the 3 MB output goes alone
  po.progress_interval = std::chrono::milliseconds(0);
  std::vector<tiered::PushCounts> seen;
  auto sum = tiered::push_namespace(*store_, *bounded, "go1.19", po, [&](const auto& c) {
    seen.push_back(c);
    return true;
  });
  ASSERT_TRUE(sum) << sum.error().message();
  // The 3 MB output is above this client's bound too: only 10 pairs go.
  const tiered::PushCounts& c = sum->counts;
  EXPECT_EQ(c.entries, pairs.size() + 4);
  EXPECT_EQ(c.pushed, pairs.size() - 1);
  EXPECT_EQ(c.skipped_too_big, 2u);
  EXPECT_EQ(c.skipped_missing, 1u);
  EXPECT_EQ(c.skipped_invalid, 2u);
  EXPECT_EQ(c.errors, 0u);
  EXPECT_EQ(c.done, c.entries);
  EXPECT_TRUE(sum->stopped.empty()) << sum->stopped;
  uint64_t bytes = 0;
  for (size_t i = 0; i + 1 < pairs.size(); ++i)
    bytes += pairs[i].action.size() + pairs[i].output.size();
  EXPECT_EQ(c.bytes, bytes);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.front().entries, c.entries);  // the total is known before the first upload
  for (size_t i = 1; i < seen.size(); ++i) EXPECT_GE(seen[i].done, seen[i - 1].done);

  // What the tier's fetch reads back: the same pairs, -d and -a.
  for (size_t i = 0; i + 1 < pairs.size(); ++i) {
    auto got = client_->get_pair("go1.19", pairs[i].action_name);
    ASSERT_TRUE(got && got->has_value()) << pairs[i].action_name;
    EXPECT_EQ((*got)->action, pairs[i].action);
    EXPECT_EQ((*got)->output, pairs[i].output);
  }
  EXPECT_FALSE(on_remote(pairs.back().action_name));  // too big for that client
  EXPECT_FALSE(on_remote(missing.action_name));       // never an -a without its -d
  EXPECT_FALSE(on_remote(big.action_name));
  EXPECT_FALSE(on_remote(big.output_name));
  EXPECT_FALSE(on_remote(bad.action_name));
  EXPECT_FALSE(on_remote(named.action_name));
  EXPECT_FALSE(on_remote(other.action_name));

  // Again with the default bound: what is there already is left alone, the
  // 3 MB pair goes now; --force sends everything again.
  auto again = tiered::push_namespace(*store_, *client_, "go1.19", po);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->counts.already, pairs.size() - 1);
  EXPECT_EQ(again->counts.pushed, 2u);  // the 3 MB pair and `big`
  auto got = client_->get_pair("go1.19", pairs.back().action_name);
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->output, pairs.back().output);
  po.skip_existing = false;
  auto forced = tiered::push_namespace(*store_, *client_, "go1.19", po);
  ASSERT_TRUE(forced);
  EXPECT_EQ(forced->counts.pushed, pairs.size() + 1);
  EXPECT_EQ(forced->counts.already, 0u);
}

TEST_F(PushTest, RefusesWhatItCannotDo) {
  auto none = tiered::push_namespace(*store_, *client_, "go1.99", {});
  EXPECT_EQ(none.code(), Errc::not_found);
  EXPECT_NE(none.error().message().find("go1.99"), std::string::npos);
  auto o = remote::testing::test_options({server_->url()});
  o.mode = remote::Mode::read_only;
  auto ro = remote::testing::make_client(o);
  EXPECT_EQ(tiered::push_namespace(*store_, *ro, "go1.19", {}).code(), Errc::read_only);
  // An empty namespace: nothing to do, nothing failed.
  auto empty = tiered::push_namespace(*store_, *client_, "go1.19", {});
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->counts.entries, 0u);
  EXPECT_TRUE(empty->stopped.empty());
}

TEST_F(PushTest, TheCallerCanStopIt) {
  for (uint64_t i = 0; i < 20; ++i) put_local(go_pair(300 + i, content(1000, i)));
  tiered::PushOptions po;
  po.batch = 1;
  po.threads = 1;
  po.progress_interval = std::chrono::milliseconds(0);
  int calls = 0;
  auto sum = tiered::push_namespace(*store_, *client_, "go1.19", po,
                                    [&](const tiered::PushCounts&) { return ++calls < 3; });
  ASSERT_TRUE(sum);
  EXPECT_FALSE(sum->stopped.empty());
  EXPECT_LT(sum->counts.done, 20u);
}

// The acceptance of "never hangs": a dead server and a hung one both end
// the push in a few seconds, with errors counted and the reason given.
TEST_F(PushTest, ADeadRemoteStopsThePush) {
  for (uint64_t i = 0; i < 40; ++i) put_local(go_pair(400 + i, content(5000, i)));
  auto o = remote::testing::test_options({server_->url()});
  o.connect_timeout_ms = 500;
  o.command_timeout_ms = 1000;
  o.upload_timeout_ms = 1000;
  o.breaker_backoff_ms = 5000;  // stays open for the rest of the push
  o.breaker_backoff_max_ms = 10000;
  for (const char* how : {"killed", "hung"}) {
    SCOPED_TRACE(how);
    if (std::string(how) == "killed") {
      server_->kill();
    } else {  // restarted on its port, then stopped (SIGSTOP): connections hang
      ASSERT_TRUE(server_->start());
      o.urls = {server_->url()};
      server_->pause();
    }
    auto client = remote::testing::make_client(o);
    const auto t0 = Clock::now();
    auto sum = tiered::push_namespace(*store_, *client, "go1.19", {});
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    ASSERT_TRUE(sum) << sum.error().message();
    EXPECT_LT(s, 20.0);
    EXPECT_EQ(sum->counts.pushed, 0u);
    EXPECT_GE(sum->counts.errors, 1u);
    EXPECT_LT(sum->counts.done, 40u);
    EXPECT_NE(sum->stopped.find("remote down"), std::string::npos) << sum->stopped;
    EXPECT_FALSE(sum->first_error.empty());
  }
  server_->resume();
}

}  // namespace
}  // namespace gcfs
