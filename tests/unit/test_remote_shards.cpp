// The remote tier against real standalone redis-server processes sharded by
// the client: round trips, damage, faults, ACLs, memory limits, read-only
// mode and the uploader.
#include <gtest/gtest.h>
#include <xxhash.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "redis_fixture.hpp"
#include "remote_test_util.hpp"
#include "store/codec/chunk.hpp"
#include "store/remote/sharded.hpp"
#include "store/remote/uploader.hpp"

namespace gcfs::remote {
namespace {

using namespace testing;
using namespace std::chrono_literals;

constexpr const char* kNs = "go1.19.8";

class RemoteShards : public ::testing::Test {
 protected:
  void start(int n, std::vector<std::string> extra = {}) {
    for (int i = 0; i < n; ++i) {
      servers_.push_back(std::make_unique<RedisServer>(dir_.path(), false, extra));
    }
  }
  std::vector<std::string> urls() const {
    std::vector<std::string> out;
    for (const auto& s : servers_) out.push_back(s->url());
    return out;
  }
  // The server holding `key` for this client.
  RedisServer& owner(RemoteClient& c, const std::string& key) {
    return *servers_.at(dynamic_cast<ShardedBackend&>(c.backend()).shard_of(key));
  }
  std::string auth_file(const std::string& content) {
    const std::string path = dir_.path() + "/auth" + std::to_string(++auth_files_);
    std::ofstream(path) << content;
    std::filesystem::permissions(path, std::filesystem::perms::owner_read);
    return path;
  }

  TempDir dir_;
  std::vector<std::unique_ptr<RedisServer>> servers_;
  int auth_files_ = 0;
};

TEST_F(RemoteShards, RoundTripsSmallAndMultiPieceObjects) {
  start(3);
  auto c = make_client(test_options(urls()));
  std::vector<std::string> objects = {"",
                                      "x",
                                      content(175, 1),
                                      content(5000, 2, true),
                                      content(1 << 20, 3),
                                      content((1 << 20) + 1, 4, true),
                                      content(35'000'000, 5)};
  for (const auto& o : objects) {
    const std::string name = output_name(o);
    ASSERT_TRUE(c->put(kNs, name, o)) << o.size();
    auto back = c->get(kNs, name);
    ASSERT_TRUE(back) << back.error().message();
    ASSERT_TRUE(back->has_value()) << o.size();
    EXPECT_TRUE(**back == o) << "size " << o.size();
    auto e = c->exists(kNs, name);
    ASSERT_TRUE(e);
    EXPECT_TRUE(*e);
  }
  // Another namespace does not see them.
  auto other = c->get("go1.20", output_name(objects[2]));
  ASSERT_TRUE(other);
  EXPECT_FALSE(other->has_value());
  const auto st = c->status();
  EXPECT_EQ(st.stats.hits, objects.size());
  EXPECT_EQ(st.stats.misses, 1u);
  EXPECT_EQ(st.stats.puts, objects.size());
  EXPECT_GE(st.stats.get_latency.count, objects.size());
  ASSERT_EQ(st.endpoints.size(), 3u);
  for (const auto& e : st.endpoints) EXPECT_EQ(e.breaker.state, BreakerState::closed);
}

TEST_F(RemoteShards, KeysSpreadOverEveryShard) {
  start(3);
  auto c = make_client(test_options(urls()));
  for (int i = 0; i < 120; ++i) {
    const std::string v = content(64, static_cast<uint64_t>(i));
    ASSERT_TRUE(c->put(kNs, output_name(v), v));
  }
  for (const auto& s : servers_) {
    Reply r = s->command({"DBSIZE"});
    ASSERT_FALSE(r.failure);
    EXPECT_GT(r.integer, 15) << "port " << s->port();  // ~40 each
  }
}

TEST_F(RemoteShards, PairsKeepGosOrderAndVerify) {
  start(2);
  auto c = make_client(test_options(urls()));
  const GoPair p = go_pair(1, content(3 << 20, 7, true));
  ASSERT_TRUE(c->put_pair(kNs, p.action_name, p.action, p.output));
  auto got = c->get_pair(kNs, p.action_name);
  ASSERT_TRUE(got) << got.error().message();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->action, p.action);
  EXPECT_EQ((*got)->output_name, p.output_name);
  EXPECT_TRUE((*got)->output == p.output);

  // A pair whose output does not match its entry is refused before upload.
  GoPair bad = go_pair(2, "abc");
  EXPECT_EQ(c->put_pair(kNs, bad.action_name, bad.action, "abd").code(), Errc::invalid);
  EXPECT_EQ(c->put_pair(kNs, p.action_name, bad.action, bad.output).code(), Errc::invalid);
  // An -a whose -d is gone is a miss.
  const GoPair lone = go_pair(3, "lonely output");
  ASSERT_TRUE(c->put(kNs, lone.action_name, lone.action));
  auto miss = c->get_pair(kNs, lone.action_name);
  ASSERT_TRUE(miss);
  EXPECT_FALSE(miss->has_value());
  // Not cache entry names at all.
  EXPECT_EQ(c->get(kNs, "trim.txt").code(), Errc::invalid);
  EXPECT_EQ(c->get_pair(kNs, p.output_name).code(), Errc::invalid);
}

TEST_F(RemoteShards, DamagedValuesAreCountedMissesNeverServed) {
  start(3);
  RemoteOptions o = test_options(urls());
  auto c = make_client(o);
  const std::string a = content(3000, 11, true), b = content(3000, 12, true);
  const std::string big = content(3 * (1 << 20) + 5, 13);
  const std::string na = output_name(a), nb = output_name(b), nbig = output_name(big);
  ASSERT_TRUE(c->put(kNs, na, a));
  ASSERT_TRUE(c->put(kNs, nb, b));
  ASSERT_TRUE(c->put(kNs, nbig, big));
  const std::string ka = object_key(kNs, na), kb = object_key(kNs, nb),
                    kbig = object_key(kNs, nbig);
  const std::string good_a = owner(*c, ka).command({"GET", ka}).str;
  const std::string good_b = owner(*c, kb).command({"GET", kb}).str;

  auto expect_corrupt = [&](const char* what) {
    auto r = c->get(kNs, na);
    ASSERT_FALSE(r) << what << ": a damaged value was served";
    EXPECT_EQ(r.code(), Errc::corrupt) << what << ": " << r.error().message();
  };
  ASSERT_FALSE(owner(*c, ka).command({"SET", ka, "garbage"}).failure);
  expect_corrupt("garbage");
  ASSERT_FALSE(owner(*c, ka).command({"SET", ka, good_a.substr(0, good_a.size() / 2)}).failure);
  expect_corrupt("truncated");
  ASSERT_FALSE(owner(*c, ka).command({"SET", ka, good_b}).failure);
  expect_corrupt("another entry's value");
  std::string flipped = good_a;
  flipped[flipped.size() - 3] ^= 1;
  ASSERT_FALSE(owner(*c, ka).command({"SET", ka, flipped}).failure);
  expect_corrupt("one bit flipped");
  EXPECT_EQ(c->status().stats.error(Fault::corrupt), 4u);

  // Pieces: one swapped with another, then one missing.
  const uint64_t h = XXH3_64bits(big.data(), big.size());
  const std::string p0 = piece_key(kbig, h, 0), p1 = piece_key(kbig, h, 1);
  RedisServer& s = owner(*c, kbig);  // pieces live with their manifest
  const std::string v1 = s.command({"GET", p1}).str;
  ASSERT_FALSE(v1.empty());
  ASSERT_FALSE(s.command({"SET", p0, v1}).failure);
  auto swapped = c->get(kNs, nbig);
  ASSERT_FALSE(swapped);
  EXPECT_EQ(swapped.code(), Errc::corrupt);
  ASSERT_FALSE(s.command({"DEL", p0}).failure);
  auto missing = c->get(kNs, nbig);
  ASSERT_TRUE(missing) << missing.error().message();
  EXPECT_FALSE(missing->has_value());
  EXPECT_EQ(c->status().stats.missing_pieces, 1u);

  // Go-level checks: an -a naming another action, a -d not matching its name.
  const GoPair x = go_pair(21, "output x"), y = go_pair(22, "output y");
  ASSERT_TRUE(c->put_pair(kNs, y.action_name, y.action, y.output));
  ASSERT_TRUE(c->put(kNs, x.action_name, y.action));  // x's name, y's entry
  auto wrong_action = c->get_pair(kNs, x.action_name);
  ASSERT_FALSE(wrong_action);
  EXPECT_EQ(wrong_action.code(), Errc::corrupt);
  ASSERT_TRUE(c->put(kNs, x.action_name, x.action));
  ASSERT_TRUE(c->put(kNs, x.output_name, "output z"));  // same size, other bytes
  auto wrong_output = c->get_pair(kNs, x.action_name);
  ASSERT_FALSE(wrong_output);
  EXPECT_EQ(wrong_output.code(), Errc::corrupt);
  EXPECT_EQ(c->status().stats.hits, 0u);
}

TEST_F(RemoteShards, KilledServerIsAMissUntilItComesBack) {
  start(3);
  auto c = make_client(test_options(urls()));
  std::vector<std::string> names, values;
  for (int i = 0; i < 60; ++i) {
    values.push_back(content(200, static_cast<uint64_t>(100 + i)));
    names.push_back(output_name(values.back()));
    ASSERT_TRUE(c->put(kNs, names.back(), values.back()));
  }
  auto& sharded = dynamic_cast<ShardedBackend&>(c->backend());
  servers_[1]->kill();
  int hits = 0, errors = 0;
  std::string on_dead;
  for (size_t i = 0; i < names.size(); ++i) {
    auto r = c->get(kNs, names[i]);
    const bool dead = sharded.shard_of(object_key(kNs, names[i])) == 1;
    if (dead) on_dead = names[i];
    if (r) {
      ASSERT_TRUE(r->has_value());
      EXPECT_TRUE(**r == values[i]);
      EXPECT_FALSE(dead);
      ++hits;
    } else {
      EXPECT_TRUE(dead) << r.error().message();
      ++errors;
    }
  }
  ASSERT_FALSE(on_dead.empty());
  EXPECT_GT(hits, 20);
  EXPECT_GT(errors, 5);
  auto st = c->status();
  EXPECT_NE(st.endpoints[1].breaker.state, BreakerState::closed);
  EXPECT_GE(st.endpoints[1].breaker.times_opened, 1u);
  EXPECT_GE(st.stats.error(Fault::refused), 1u);
  EXPECT_GE(st.stats.error(Fault::breaker_open), 1u);
  EXPECT_EQ(st.endpoints[0].breaker.state, BreakerState::closed);

  // Back (empty: no persistence): after a probe the breaker closes and the
  // lost share reads as plain misses.
  ASSERT_TRUE(servers_[1]->start());
  bool closed = false;
  for (int i = 0; i < 300 && !closed; ++i) {
    auto r = c->get(kNs, on_dead);
    if (r) {
      EXPECT_FALSE(r->has_value());
      closed = c->status().endpoints[1].breaker.state == BreakerState::closed;
    }
    if (!closed) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(closed);
  ASSERT_TRUE(c->put(kNs, on_dead, "again"));
}

// A restart between two calls closes every pooled connection: the next
// call reconnects transparently (a miss, not an error).
TEST_F(RemoteShards, ReconnectsAfterARestartWithoutAnError) {
  start(1);
  auto c = make_client(test_options(urls()));
  const std::string v = content(1000, 3);
  // Several pooled connections, all used once.
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] { EXPECT_TRUE(c->put(kNs, output_name(v), v)); });
  }
  for (auto& t : threads) t.join();
  servers_[0]->kill();
  ASSERT_TRUE(servers_[0]->start());
  auto g = c->get(kNs, output_name(v));
  ASSERT_TRUE(g) << g.error().message();
  EXPECT_FALSE(g->has_value());  // the data went with the old process
  ASSERT_TRUE(c->put(kNs, output_name(v), v));
  auto g2 = c->get(kNs, output_name(v));
  ASSERT_TRUE(g2) << g2.error().message();
  EXPECT_TRUE(g2->has_value());
  const auto st = c->status();
  uint64_t errors = 0;
  for (uint64_t e : st.stats.errors) errors += e;
  EXPECT_EQ(errors, 0u);
  EXPECT_EQ(st.endpoints[0].breaker.consecutive_failures, 0u);
}

TEST_F(RemoteShards, ReadOnlyModeWritesNothing) {
  start(2);
  RemoteOptions o = test_options(urls());
  o.mode = Mode::read_only;
  auto c = make_client(o);
  EXPECT_EQ(c->put(kNs, output_name("a"), "a").code(), Errc::read_only);
  const GoPair p = go_pair(1, "out");
  EXPECT_EQ(c->put_pair(kNs, p.action_name, p.action, p.output).code(), Errc::read_only);
  {
    Uploader up(*c);
    EXPECT_EQ(up.enqueue_put(kNs, output_name("b"), "b").code(), Errc::read_only);
    EXPECT_EQ(up.enqueue_pair(kNs, p.action_name, p.action, p.output).code(), Errc::read_only);
    EXPECT_EQ(up.close(Clock::now() + 5s), 0u);
  }
  auto g = c->get(kNs, output_name("a"));
  ASSERT_TRUE(g);
  EXPECT_FALSE(g->has_value());
  for (const auto& s : servers_) EXPECT_EQ(s->command({"DBSIZE"}).integer, 0);
  EXPECT_EQ(c->status().stats.refused_read_only, 2u);
}

TEST_F(RemoteShards, AclReaderGetsNopermOnWritesAndBadPasswordsOpenTheBreaker) {
  start(1);
  // The users of docs/remote.md, as written there.
  const std::vector<std::vector<std::string>> users = {
      {"ACL", "SETUSER", "gcfs-writer", "on", ">writer-pw", "~gcfs:*", "resetchannels", "-@all",
       "+get", "+set", "+exists", "+select", "+asking", "+cluster|slots"},
      {"ACL", "SETUSER", "gcfs-reader", "on", ">reader-pw", "~gcfs:*", "resetchannels", "-@all",
       "+get", "+exists", "+select", "+asking", "+cluster|slots"}};
  for (const auto& user : users) {
    Reply acl = servers_[0]->command(user);
    ASSERT_FALSE(acl.failure);
    ASSERT_EQ(acl.str, "OK") << acl.str;
  }
  const std::string port = std::to_string(servers_[0]->port());
  RemoteOptions wo = test_options({"redis://gcfs-writer@127.0.0.1:" + port + "/2"});
  wo.auth_file = auth_file("writer-pw\n");
  auto writer = make_client(wo);
  const std::string v = content(4000, 5, true);
  ASSERT_TRUE(writer->put(kNs, output_name(v), v));

  RemoteOptions o = test_options({"redis://gcfs-reader@127.0.0.1:" + port + "/2"});
  o.auth_file = auth_file("gcfs-reader\nreader-pw\n");
  auto reader = make_client(o);
  auto g = reader->get(kNs, output_name(v));
  ASSERT_TRUE(g) << g.error().message();
  ASSERT_TRUE(g->has_value());
  EXPECT_TRUE(**g == v);
  for (int i = 0; i < 3; ++i) {
    auto s = reader->put(kNs, output_name("w"), "w");
    ASSERT_FALSE(s);
    EXPECT_EQ(s.code(), Errc::permission) << s.error().message();
  }
  auto st = reader->status();
  EXPECT_EQ(st.stats.error(Fault::noperm), 3u);
  EXPECT_EQ(st.endpoints[0].breaker.state, BreakerState::closed);  // the server is fine

  RemoteOptions wrong = o;
  wrong.auth_file = auth_file("gcfs-reader\nnot-the-pw\n");
  wrong.breaker_backoff_ms = wrong.breaker_backoff_max_ms = 600000;  // no probe in this test
  auto intruder = make_client(wrong);
  for (int i = 0; i < 3; ++i) {
    auto r = intruder->get(kNs, output_name(v));
    ASSERT_FALSE(r);
  }
  st = intruder->status();
  EXPECT_EQ(st.stats.error(Fault::auth), 2u);
  EXPECT_EQ(st.stats.error(Fault::breaker_open), 1u);
  EXPECT_EQ(st.endpoints[0].breaker.state, BreakerState::open);
}

TEST_F(RemoteShards, OutOfMemoryIsCountedAndLeavesNoObject) {
  start(1, {"--maxmemory", "4mb", "--maxmemory-policy", "noeviction"});
  auto c = make_client(test_options(urls()));
  const std::string big = content(16 << 20, 9);
  auto s = c->put(kNs, output_name(big), big);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.code(), Errc::no_space) << s.error().message();
  EXPECT_GE(c->status().stats.error(Fault::oom), 1u);
  auto g = c->get(kNs, output_name(big));
  ASSERT_TRUE(g);
  EXPECT_FALSE(g->has_value());  // pieces first, manifest last: nothing visible
  const std::string small = content(100, 1);
  EXPECT_TRUE(c->get(kNs, output_name(small)));  // reads still work
}

TEST_F(RemoteShards, SelectsTheDatabaseOfTheUrl) {
  start(1);
  auto c = make_client(test_options({servers_[0]->url() + "/5"}));
  ASSERT_TRUE(c->put(kNs, output_name("db"), "db"));
  EXPECT_EQ(servers_[0]->command({"DBSIZE"}).integer, 0);
  const auto deadline = Clock::now() + 10s;
  auto conn = Connection::open(Address{"127.0.0.1", servers_[0]->port()}, {}, 5, 1 << 20, deadline,
                               nullptr);
  ASSERT_TRUE(conn);
  Command cmd{{"DBSIZE"}};
  EXPECT_EQ(conn.value()->exchange({&cmd}, deadline, nullptr).at(0).integer, 1);
}

TEST_F(RemoteShards, StoreChunksAreSentAsTheyAre) {
  start(1);
  RemoteOptions o = test_options(urls());
  auto c = make_client(o);
  const std::string data = content(3 * (1 << 20) + 1000, 31, true);
  EncodedObject obj{77, 128 << 10, {}};
  for (size_t off = 0, i = 0; off < data.size(); off += obj.chunk_size, ++i) {
    obj.chunks.push_back(encode_chunk(77, i, std::string_view(data).substr(off, obj.chunk_size)));
  }
  const std::string name = output_name(data);
  ASSERT_TRUE(c->put_encoded(kNs, name, obj));
  auto g = c->get(kNs, name);
  ASSERT_TRUE(g) << g.error().message();
  ASSERT_TRUE(g->has_value());
  EXPECT_TRUE(**g == data);
  const std::string k = object_key(kNs, name);
  const std::string piece1 =
      servers_[0]->command({"GET", piece_key(k, XXH3_64bits(data.data(), data.size()), 1)}).str;
  EXPECT_NE(piece1.find(obj.chunks[8]), std::string::npos) << "chunk 8 not sent unchanged";
  // A damaged local chunk is never uploaded.
  obj.chunks[3][40] ^= 1;
  EXPECT_EQ(c->put_encoded(kNs, output_name("other"), obj).code(), Errc::corrupt);
}

TEST_F(RemoteShards, UploaderUploadsInTheBackground) {
  start(2);
  auto c = make_client(test_options(urls()));
  std::vector<GoPair> pairs;
  {
    Uploader up(*c);
    for (int i = 0; i < 20; ++i) {
      pairs.push_back(go_pair(static_cast<uint64_t>(i), content(10000 * i, 40 + i, true)));
      ASSERT_TRUE(
          up.enqueue_pair(kNs, pairs.back().action_name, pairs.back().action, pairs.back().output));
    }
    EXPECT_EQ(up.close(Clock::now() + 60s), 0u);
  }
  for (const auto& p : pairs) {
    auto g = c->get_pair(kNs, p.action_name);
    ASSERT_TRUE(g) << g.error().message();
    ASSERT_TRUE(g->has_value());
    EXPECT_TRUE((*g)->output == p.output);
  }
  const auto st = c->status().stats;
  EXPECT_EQ(st.uploads_done, 20u);
  EXPECT_EQ(st.queue_bytes, 0u);
  EXPECT_EQ(st.queue_jobs, 0u);
}

TEST_F(RemoteShards, FullQueueDropsAtOnceAndCloseKeepsItsDeadline) {
  start(1);
  RemoteOptions o = test_options(urls());
  o.upload_timeout_ms = 60000;  // a hung server would hold an upload for a minute
  o.upload_queue_bytes = 1 << 20;
  o.upload_threads = 1;
  auto c = make_client(o);
  servers_[0]->pause();  // accepts connections (kernel backlog), never answers
  Uploader up(*c);
  int accepted = 0, dropped = 0;
  const auto t0 = Clock::now();
  for (int i = 0; i < 10; ++i) {
    const std::string v = content(300 << 10, static_cast<uint64_t>(i));
    auto s = up.enqueue_put(kNs, output_name(v), v);
    if (s) {
      ++accepted;
    } else {
      EXPECT_EQ(s.code(), Errc::busy);
      ++dropped;
    }
  }
  EXPECT_LT(Clock::now() - t0, 10s);  // never waits for the network (a hang would be 60 s)
  EXPECT_EQ(accepted, 3);
  EXPECT_EQ(dropped, 7);
  EXPECT_EQ(c->status().stats.dropped_full, 7u);
  EXPECT_EQ(c->status().stats.queue_bytes, 3u * (300 << 10));

  const auto t1 = Clock::now();
  EXPECT_EQ(up.close(Clock::now() + 500ms), 3u);
  EXPECT_LT(Clock::now() - t1, 10s);  // not the minute of the command timeout
  EXPECT_EQ(up.enqueue_put(kNs, output_name("late"), "late").code(), Errc::not_supported);
  const auto st = c->status().stats;
  EXPECT_EQ(st.queue_bytes, 0u);
  EXPECT_EQ(st.dropped_closed, 4u);  // 3 abandoned + 1 late
  servers_[0]->resume();
}

TEST_F(RemoteShards, CloseWithADeadServerReturnsPromptly) {
  start(1);
  auto c = make_client(test_options(urls()));
  servers_[0]->kill();
  Uploader up(*c);
  for (int i = 0; i < 5; ++i) {
    const std::string v = content(1000, static_cast<uint64_t>(i));
    ASSERT_TRUE(up.enqueue_put(kNs, output_name(v), v));
  }
  const auto t0 = Clock::now();
  up.close(Clock::now() + 2s);
  EXPECT_LT(Clock::now() - t0, 10s);
  const auto st = c->status().stats;
  EXPECT_EQ(st.uploads_done, 0u);
  EXPECT_EQ(st.queue_jobs, 0u);
  EXPECT_GE(st.error(Fault::refused) + st.error(Fault::breaker_open), 1u);
}

TEST_F(RemoteShards, ObjectsAboveTheLimitAreNotUploaded) {
  start(1);
  RemoteOptions o = test_options(urls());
  o.max_object_size = 2 << 20;
  auto c = make_client(o);
  const std::string big = content((2 << 20) + 1, 1);
  EXPECT_EQ(c->put(kNs, output_name(big), big).code(), Errc::too_big);
  Uploader up(*c);
  EXPECT_EQ(up.enqueue_put(kNs, output_name(big), big).code(), Errc::too_big);
  EXPECT_EQ(servers_[0]->command({"DBSIZE"}).integer, 0);
  EXPECT_EQ(c->status().stats.refused_too_big, 1u);
}

}  // namespace
}  // namespace gcfs::remote
