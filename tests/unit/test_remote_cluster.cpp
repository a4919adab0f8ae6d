// The remote tier against a real 3-master Redis Cluster made with
// `redis-cli --cluster create`: key slots against the server's own, round
// trips, ASK during a slot migration, and a `redis-cli --cluster reshard`
// while a thread reads and writes.
#include <gtest/gtest.h>
#include <xxhash.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include "redis_fixture.hpp"
#include "remote_test_util.hpp"
#include "store/remote/cluster.hpp"
#include "store/remote/slot.hpp"

namespace gcfs::remote {
namespace {

using namespace testing;
using namespace std::chrono_literals;

constexpr const char* kNs = "go1.19.8";

// One cluster for the whole suite: creating one takes seconds.
class RemoteCluster : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    for (int i = 0; i < 3; ++i) nodes_.push_back(new RedisServer(dir_->path(), true));
    std::vector<std::string> argv = {"redis-cli", "--cluster", "create"};
    for (auto* n : nodes_) argv.push_back("127.0.0.1:" + std::to_string(n->port()));
    argv.insert(argv.end(), {"--cluster-replicas", "0", "--cluster-yes"});
    auto [rc, out] = run_command(argv);
    ASSERT_EQ(rc, 0) << out;
    wait_cluster_ok();
  }
  static void TearDownTestSuite() {
    for (auto* n : nodes_) delete n;
    nodes_.clear();
    delete dir_;
    dir_ = nullptr;
  }

  // Every node says cluster_state:ok and agrees on the full slot map.
  static void wait_cluster_ok() {
    for (int i = 0; i < 600; ++i) {
      bool ok = true;
      for (auto* n : nodes_) {
        Reply r = n->command({"CLUSTER", "INFO"});
        ok = ok && !r.failure && r.str.find("cluster_state:ok") != std::string::npos &&
             r.str.find("cluster_slots_assigned:16384") != std::string::npos;
      }
      if (ok) return;
      std::this_thread::sleep_for(50ms);
    }
    FAIL() << "cluster never reached cluster_state:ok";
  }

  static std::string url() {
    std::string u = "redis-cluster://";
    for (size_t i = 0; i < nodes_.size(); ++i) {
      u += (i ? "," : "") + std::string("127.0.0.1:") + std::to_string(nodes_[i]->port());
    }
    return u;
  }
  static std::string node_id(RedisServer* n) { return n->command({"CLUSTER", "MYID"}).str; }
  static RedisServer* owner_of(uint16_t slot) {
    Reply slots = nodes_[0]->command({"CLUSTER", "SLOTS"});
    for (const auto& e : slots.elements) {
      if (e.elements[0].integer <= slot && slot <= e.elements[1].integer) {
        for (auto* n : nodes_) {
          if (n->port() == e.elements[2].elements[1].integer) return n;
        }
      }
    }
    return nullptr;
  }

  static TempDir* dir_;
  static std::vector<RedisServer*> nodes_;
};

TempDir* RemoteCluster::dir_ = nullptr;
std::vector<RedisServer*> RemoteCluster::nodes_;

TEST_F(RemoteCluster, KeySlotsMatchTheServers) {
  std::vector<std::string> keys = {"",
                                   "foo",
                                   "{user1000}.following",
                                   "{user1000}.followers",
                                   "foo{}{bar}",
                                   "foo{{bar}}zap",
                                   "foo{bar}{zap}",
                                   "{}",
                                   "a{b",
                                   "}{x}",
                                   "{",
                                   "}",
                                   std::string("bin\0ary{\xff}", 11)};
  for (int i = 0; i < 400; ++i) {
    const std::string hex = content(8, static_cast<uint64_t>(i)).substr(0, 5);
    keys.push_back(object_key(
        i % 2 ? "go1.19.8" : "x{y}",
        entry_name(sha256_hex(std::to_string(i)), i % 3 ? EntryKind::output : EntryKind::action)));
    keys.push_back("k" + std::to_string(i) + "{" + hex + "}");
  }
  // Pipelined CLUSTER KEYSLOT on one connection, binary keys included...
  const auto deadline = Clock::now() + 30s;
  auto conn =
      Connection::open(Address{"127.0.0.1", nodes_[0]->port()}, {}, 0, 1 << 20, deadline, nullptr);
  ASSERT_TRUE(conn);
  std::vector<Command> cmds;
  for (const auto& k : keys) cmds.push_back(Command{{"CLUSTER", "KEYSLOT", k}});
  std::vector<const Command*> ptrs;
  for (const auto& c : cmds) ptrs.push_back(&c);
  auto replies = conn.value()->exchange(ptrs, deadline, nullptr);
  for (size_t i = 0; i < keys.size(); ++i) {
    ASSERT_FALSE(replies[i].failure);
    EXPECT_EQ(replies[i].integer, key_slot(keys[i])) << "key '" << keys[i] << "'";
  }
  // ...and a few through redis-cli itself.
  for (size_t i = 0; i < keys.size(); i += 41) {
    if (keys[i].empty() || keys[i].find('\0') != std::string::npos) continue;
    const std::string out = nodes_[1]->cli({"CLUSTER", "KEYSLOT", keys[i]});
    EXPECT_EQ(std::stoi(out), key_slot(keys[i])) << keys[i];
  }
}

TEST_F(RemoteCluster, RoundTripsAndSpreadsOverEveryNode) {
  auto c = make_client(test_options({url()}));
  for (int i = 0; i < 90; ++i) {
    const std::string v = content(100 + static_cast<size_t>(i), 500 + static_cast<uint64_t>(i));
    ASSERT_TRUE(c->put(kNs, output_name(v), v)) << i;
  }
  for (auto* n : nodes_) EXPECT_GT(n->command({"DBSIZE"}).integer, 10) << n->port();
  for (size_t n : {size_t{0}, size_t{175}, size_t{1} << 20, size_t{35'000'000}}) {
    const std::string v = content(n, n, n > 1000);
    const std::string name = output_name(v);
    ASSERT_TRUE(c->put(kNs, name, v)) << n;
    auto g = c->get(kNs, name);
    ASSERT_TRUE(g) << g.error().message();
    ASSERT_TRUE(g->has_value());
    EXPECT_TRUE(**g == v) << n;
  }
  const GoPair p = go_pair(1, content(2 << 20, 77));
  ASSERT_TRUE(c->put_pair(kNs, p.action_name, p.action, p.output));
  auto g = c->get_pair(kNs, p.action_name);
  ASSERT_TRUE(g) << g.error().message();
  ASSERT_TRUE(g->has_value());
  EXPECT_TRUE((*g)->output == p.output);
  const auto st = c->status();
  EXPECT_EQ(st.topology, TopologyKind::cluster);
  EXPECT_EQ(st.endpoints.size(), 3u);
  EXPECT_GE(st.stats.slot_refreshes, 1u);
  EXPECT_EQ(st.stats.moved, 0u);
}

// Moves one slot by hand, checking each redirection on the way.
TEST_F(RemoteCluster, FollowsAskDuringAMigrationAndMovedAfter) {
  auto c = make_client(test_options({url()}));
  const std::string v = content(5000, 900, true);
  const std::string name = output_name(v);
  const std::string key = object_key(kNs, name);
  const uint16_t slot = key_slot(key);
  RedisServer* src = owner_of(slot);
  ASSERT_NE(src, nullptr);
  RedisServer* dst = nodes_[0] == src ? nodes_[1] : nodes_[0];
  const std::string sid = node_id(src), did = node_id(dst);
  ASSERT_EQ(dst->command({"CLUSTER", "SETSLOT", std::to_string(slot), "IMPORTING", sid}).str, "OK");
  ASSERT_EQ(src->command({"CLUSTER", "SETSLOT", std::to_string(slot), "MIGRATING", did}).str, "OK");

  // The key is not on the source: it answers ASK; the write lands on dst.
  ASSERT_TRUE(c->put(kNs, name, v));
  EXPECT_GE(c->status().stats.ask, 1u);
  EXPECT_EQ(dst->command({"CLUSTER", "COUNTKEYSINSLOT", std::to_string(slot)}).integer, 1);
  auto g = c->get(kNs, name);
  ASSERT_TRUE(g) << g.error().message();
  ASSERT_TRUE(g->has_value());
  EXPECT_TRUE(**g == v);
  EXPECT_EQ(c->status().stats.moved, 0u);  // ASK changes no map

  for (auto* n : nodes_) {
    ASSERT_EQ(n->command({"CLUSTER", "SETSLOT", std::to_string(slot), "NODE", did}).str, "OK");
  }
  auto g2 = c->get(kNs, name);
  ASSERT_TRUE(g2) << g2.error().message();
  ASSERT_TRUE(g2->has_value());
  EXPECT_GE(c->status().stats.moved, 1u);
  wait_cluster_ok();
}

TEST_F(RemoteCluster, SurvivesAReshardWhileReadingAndWriting) {
  auto c = make_client(test_options({url()}));
  // Objects spread over every slot range, a few of them in pieces.
  std::vector<std::pair<std::string, std::string>> objects;
  for (int i = 0; i < 120; ++i) {
    const size_t n = i % 20 == 0 ? (2 << 20) + 17 : 300 + static_cast<size_t>(i);
    objects.emplace_back("", content(n, 2000 + static_cast<uint64_t>(i)));
    objects.back().first = output_name(objects.back().second);
    ASSERT_TRUE(c->put(kNs, objects.back().first, objects.back().second));
  }
  std::atomic<bool> stop{false};
  std::atomic<int> wrong{0}, hits{0}, failures{0}, writes{0}, write_failures{0};
  std::thread worker([&] {
    for (uint64_t round = 0; !stop.load(); ++round) {
      const auto& [name, value] = objects[round % objects.size()];
      auto g = c->get(kNs, name);
      if (!g) {
        ++failures;
      } else if (g->has_value()) {
        if (**g == value) {
          ++hits;
        } else {
          ++wrong;
        }
      }
      const std::string v = content(500, 90000 + round);
      if (c->put(kNs, output_name(v), v)) {
        ++writes;
      } else {
        ++write_failures;
      }
    }
  });

  // Move a third of the slots from the first node to the second, then back.
  const std::string a = node_id(nodes_[0]), b = node_id(nodes_[1]);
  const std::string entry = "127.0.0.1:" + std::to_string(nodes_[2]->port());
  for (auto [from, to] : {std::pair{a, b}, std::pair{b, a}}) {
    auto [rc, out] = run_command({"redis-cli", "--cluster", "reshard", entry, "--cluster-from",
                                  from, "--cluster-to", to, "--cluster-slots", "2000",
                                  "--cluster-yes", "--cluster-pipeline", "20"});
    ASSERT_EQ(rc, 0) << out.substr(out.size() > 2000 ? out.size() - 2000 : 0);
  }
  stop = true;
  worker.join();
  wait_cluster_ok();

  EXPECT_EQ(wrong.load(), 0) << "a wrong value was served";
  EXPECT_GT(hits.load(), 0);
  EXPECT_GT(writes.load(), 0);
  const auto st = c->status().stats;
  EXPECT_GE(st.moved, 1u);
  // Every failure was a counted one (errors only as counted misses).
  uint64_t counted = 0;
  for (uint64_t e : st.errors) counted += e;
  EXPECT_EQ(static_cast<uint64_t>(failures.load() + write_failures.load()), counted);
  EXPECT_EQ(st.error(Fault::corrupt), 0u);
  // Afterwards everything written before is there, from its new home.
  for (const auto& [name, value] : objects) {
    auto g = c->get(kNs, name);
    ASSERT_TRUE(g) << g.error().message();
    ASSERT_TRUE(g->has_value()) << name;
    EXPECT_TRUE(**g == value);
  }
  std::cout << "reshard: " << hits.load() << " hits, " << writes.load() << " writes, "
            << failures.load() + write_failures.load() << " counted failures, " << st.moved
            << " MOVED, " << st.ask << " ASK, " << st.cluster_retries << " retries, "
            << st.slot_refreshes << " map reloads\n";
}

// The ACL users of docs/remote.md on every node: a reader needs CLUSTER
// SLOTS and ASKING too, and gets NOPERM on writes.
TEST_F(RemoteCluster, DocumentedAclUsersWork) {
  for (auto* n : nodes_) {
    Reply r =
        n->command({"ACL", "SETUSER", "gcfs-reader", "on", ">reader-pw", "~gcfs:*", "resetchannels",
                    "-@all", "+get", "+exists", "+select", "+asking", "+cluster|slots"});
    ASSERT_EQ(r.str, "OK");
  }
  const std::string path = dir_->path() + "/reader-auth";
  std::ofstream(path) << "gcfs-reader\nreader-pw\n";
  auto writer = make_client(test_options({url()}));
  const std::string v = content(3 << 20, 4242);
  ASSERT_TRUE(writer->put(kNs, output_name(v), v));
  std::string seeds = url();
  seeds.insert(std::string_view("redis-cluster://").size(), "gcfs-reader@");
  RemoteOptions o = test_options({seeds});
  o.auth_file = path;
  auto reader = make_client(o);
  auto g = reader->get(kNs, output_name(v));
  ASSERT_TRUE(g) << g.error().message();
  ASSERT_TRUE(g->has_value());
  EXPECT_TRUE(**g == v);
  auto s = reader->put(kNs, output_name("x"), "x");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.code(), Errc::permission);
  EXPECT_EQ(reader->status().stats.error(Fault::noperm), 1u);
}

TEST_F(RemoteCluster, ANodeDownFailsOnlyItsSlots) {
  // Runs last: it kills a node of the suite's cluster.
  auto c = make_client(test_options({url()}));
  std::vector<std::pair<std::string, std::string>> objects;
  for (int i = 0; i < 60; ++i) {
    objects.emplace_back("", content(200, 7000 + static_cast<uint64_t>(i)));
    objects.back().first = output_name(objects.back().second);
    ASSERT_TRUE(c->put(kNs, objects.back().first, objects.back().second));
  }
  RedisServer* victim = nodes_[2];
  victim->kill();
  int hits = 0, errors = 0;
  for (const auto& [name, value] : objects) {
    auto g = c->get(kNs, name);
    if (g) {
      ASSERT_TRUE(g->has_value());
      EXPECT_TRUE(**g == value);
      ++hits;
    } else {
      ++errors;
    }
  }
  EXPECT_GT(hits, 20);
  EXPECT_GT(errors, 5);
  bool victim_open = false;
  for (const auto& e : c->status().endpoints) {
    if (e.address == "127.0.0.1:" + std::to_string(victim->port())) {
      victim_open = e.breaker.state != BreakerState::closed;
    } else {
      EXPECT_EQ(e.breaker.state, BreakerState::closed) << e.address;
    }
  }
  EXPECT_TRUE(victim_open);
}

}  // namespace
}  // namespace gcfs::remote
