// Remote tier pieces that need no server: URLs, credentials, options, the
// breaker, rendezvous hashing, key slots, the slot map, the value codec,
// manifests, Go entry checks and key names.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <xxhash.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include "store/codec/chunk.hpp"
#include "store/remote/breaker.hpp"
#include "store/remote/config.hpp"
#include "store/remote/endpoint.hpp"
#include "store/remote/go_entry.hpp"
#include "store/remote/manifest.hpp"
#include "store/remote/object_key.hpp"
#include "store/remote/rendezvous.hpp"
#include "store/remote/slot.hpp"
#include "store/remote/slot_map.hpp"
#include "store/remote/value_codec.hpp"

namespace gcfs::remote {
namespace {

using namespace std::chrono_literals;

// ---- URLs -----------------------------------------------------------------

TEST(RemoteUrl, ParsesShardsWithUserDbAndWeight) {
  auto t = parse_urls(
      {"redis://10.0.0.1:7000/3?weight=2.5", "redis://cache@host.example", "redis://[::1]:6380"});
  ASSERT_TRUE(t) << t.error().message();
  EXPECT_EQ(t->kind, TopologyKind::shards);
  ASSERT_EQ(t->endpoints.size(), 3u);
  EXPECT_EQ(t->endpoints[0].addr.host, "10.0.0.1");
  EXPECT_EQ(t->endpoints[0].addr.port, 7000);
  EXPECT_EQ(t->endpoints[0].db, 3);
  EXPECT_DOUBLE_EQ(t->endpoints[0].weight, 2.5);
  EXPECT_EQ(t->endpoints[1].user, "cache");
  EXPECT_EQ(t->endpoints[1].addr.port, 6379);
  EXPECT_EQ(t->endpoints[2].addr.host, "::1");
  EXPECT_EQ(t->endpoints[2].addr.str(), "[::1]:6380");
  EXPECT_EQ(t->endpoints[0].id(), "10.0.0.1:7000/3");
}

TEST(RemoteUrl, ParsesClusterSeeds) {
  auto t = parse_urls({"redis-cluster://ci@127.0.0.1:7000,127.0.0.1:7001"});
  ASSERT_TRUE(t) << t.error().message();
  EXPECT_EQ(t->kind, TopologyKind::cluster);
  ASSERT_EQ(t->endpoints.size(), 2u);
  EXPECT_EQ(t->endpoints[1].addr.port, 7001);
  EXPECT_EQ(t->endpoints[1].user, "ci");
}

TEST(RemoteUrl, RefusesPasswordsWithoutEchoingThem) {
  for (const char* url :
       {"redis://user:s3cret@h:1", "redis://:s3cret@h:1", "redis-cluster://u:s3cret@h:1,h:2"}) {
    auto t = parse_url(url);
    ASSERT_FALSE(t) << url;
    EXPECT_EQ(t.code(), Errc::invalid);
    EXPECT_EQ(t.error().message().find("s3cret"), std::string::npos);
    EXPECT_EQ(t.error().message().find('\n'), std::string::npos);
  }
}

TEST(RemoteUrl, RefusesBadInput) {
  const std::vector<std::vector<std::string>> bad = {
      {},
      {"http://h:1"},
      {"redis://"},
      {"redis://h:0"},
      {"redis://h:70000"},
      {"redis://h:x"},
      {"redis://h/x"},
      {"redis://h/-1"},
      {"redis://h?weight=0"},
      {"redis://h?weight=-1"},
      {"redis://h?weight=abc"},
      {"redis://h?color=red"},
      {"redis://a:1,b:2"},
      {"redis://@h"},
      {"redis-cluster://h:1/0"},
      {"redis-cluster://h:1,"},
      {"redis-cluster://h:1", "redis://h:2"},
      {"redis://h:1", "redis://h:1"},
  };
  for (const auto& urls : bad) {
    auto t = parse_urls(urls);
    EXPECT_FALSE(t) << (urls.empty() ? "(none)" : urls[0]);
    if (!t) {
      EXPECT_EQ(t.code(), Errc::invalid);
    }
  }
}

// ---- credentials and options ------------------------------------------------

class TempFile {
 public:
  explicit TempFile(const std::string& content) {
    path_ = std::filesystem::temp_directory_path() / ("gcfs-auth-" + std::to_string(::getpid()));
    std::ofstream(path_) << content;
    std::filesystem::permissions(
        path_, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }
  ~TempFile() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

GetEnv env(std::map<std::string, std::string> vars) {
  return [vars](const char* name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(RemoteCredentials, FileWithPasswordOrUserAndPassword) {
  {
    TempFile f("pw one\n");
    auto c = load_credentials(f.path(), env({}));
    ASSERT_TRUE(c) << c.error().message();
    EXPECT_EQ(c->user, "");
    EXPECT_EQ(c->password, "pw one");
  }
  {
    TempFile f("writer\r\nsecret\r\n\n");
    auto c = load_credentials(f.path(), env({}));
    ASSERT_TRUE(c) << c.error().message();
    EXPECT_EQ(c->user, "writer");
    EXPECT_EQ(c->password, "secret");
  }
  for (const char* bad : {"", "\n", "a\nb\nc\n", "\nsecret\n"}) {
    TempFile f(bad);
    auto c = load_credentials(f.path(), env({}));
    EXPECT_FALSE(c) << bad;
    if (!c) {
      EXPECT_EQ(c.code(), Errc::invalid);
    }
  }
  EXPECT_FALSE(load_credentials("/nonexistent/auth", env({})));
}

TEST(RemoteCredentials, FromEnvironment) {
  auto c = load_credentials(
      "", env({{"GOCACHEFS_REMOTE_PASSWORD", "pw"}, {"GOCACHEFS_REMOTE_USER", "reader"}}));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->user, "reader");
  EXPECT_EQ(c->password, "pw");
  EXPECT_FALSE(load_credentials("", env({{"GOCACHEFS_REMOTE_USER", "reader"}})));
  auto none = load_credentials("", env({}));
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->password.empty());
}

TEST(RemoteConfig, ChecksOptionsAndUsers) {
  RemoteOptions o;
  o.urls = {"redis://127.0.0.1:6379"};
  EXPECT_TRUE(resolve_config(o, env({})));
  RemoteOptions bad = o;
  bad.piece_size = 100;
  EXPECT_EQ(resolve_config(bad, env({})).code(), Errc::invalid);
  bad = o;
  bad.block_size = o.piece_size * 2;
  EXPECT_EQ(resolve_config(bad, env({})).code(), Errc::invalid);
  bad = o;
  bad.upload_threads = 0;
  EXPECT_EQ(resolve_config(bad, env({})).code(), Errc::invalid);
  // A URL user needs a password, and must agree with the file's user.
  bad = o;
  bad.urls = {"redis://reader@127.0.0.1:6379"};
  EXPECT_EQ(resolve_config(bad, env({})).code(), Errc::invalid);
  EXPECT_TRUE(resolve_config(bad, env({{"GOCACHEFS_REMOTE_PASSWORD", "x"}})));
  EXPECT_EQ(resolve_config(
                bad, env({{"GOCACHEFS_REMOTE_PASSWORD", "x"}, {"GOCACHEFS_REMOTE_USER", "writer"}}))
                .code(),
            Errc::invalid);
}

// ---- breaker ------------------------------------------------------------------

TEST(RemoteBreaker, OpensBacksOffProbesAndCloses) {
  Breaker b(BreakerOptions{3, 100ms, 400ms});
  auto t = std::chrono::steady_clock::time_point{} + 1h;
  EXPECT_TRUE(b.allow(t));
  b.on_failure(t);
  b.on_failure(t);
  EXPECT_EQ(b.snapshot(t).state, BreakerState::closed);
  b.on_success();  // a success resets the count
  for (int i = 0; i < 3; ++i) b.on_failure(t);
  EXPECT_EQ(b.snapshot(t).state, BreakerState::open);
  EXPECT_EQ(b.snapshot(t).times_opened, 1u);
  EXPECT_FALSE(b.allow(t + 50ms));
  EXPECT_EQ(b.snapshot(t + 50ms).retry_in_ms, 50);

  // Backoff over: exactly one probe.
  EXPECT_TRUE(b.allow(t + 100ms));
  EXPECT_EQ(b.snapshot(t + 100ms).state, BreakerState::half_open);
  EXPECT_FALSE(b.allow(t + 100ms));
  b.on_failure(t + 100ms);  // failed probe: backoff doubles
  EXPECT_EQ(b.snapshot(t + 100ms).state, BreakerState::open);
  EXPECT_EQ(b.snapshot(t + 100ms).backoff_ms, 200);
  EXPECT_FALSE(b.allow(t + 299ms));
  EXPECT_TRUE(b.allow(t + 300ms));
  b.on_failure(t + 300ms);
  EXPECT_EQ(b.snapshot(t).backoff_ms, 400);
  EXPECT_TRUE(b.allow(t + 700ms));
  b.on_failure(t + 700ms);
  EXPECT_EQ(b.snapshot(t).backoff_ms, 400);  // capped

  // A cancelled probe gives its slot back.
  EXPECT_TRUE(b.allow(t + 1100ms));
  b.on_abandon();
  EXPECT_TRUE(b.allow(t + 1100ms));
  b.on_success();
  EXPECT_EQ(b.snapshot(t).state, BreakerState::closed);
  EXPECT_EQ(b.snapshot(t).backoff_ms, 100);
  EXPECT_TRUE(b.allow(t + 1100ms));
}

// ---- rendezvous -------------------------------------------------------------

std::vector<RendezvousServer> servers(const std::vector<std::pair<std::string, double>>& s) {
  std::vector<RendezvousServer> out;
  for (const auto& [id, w] : s) out.push_back({rendezvous_seed(id), w});
  return out;
}

TEST(RemoteRendezvous, HonoursWeights) {
  const auto s = servers({{"a:1/0", 1}, {"b:1/0", 1}, {"c:1/0", 2}});
  std::vector<int> n(3);
  const int keys = 100000;
  for (int i = 0; i < keys; ++i) ++n[rendezvous_pick("gcfs:1:go1.19:k" + std::to_string(i), s)];
  EXPECT_NEAR(n[0] / double(keys), 0.25, 0.01);
  EXPECT_NEAR(n[1] / double(keys), 0.25, 0.01);
  EXPECT_NEAR(n[2] / double(keys), 0.50, 0.01);
}

TEST(RemoteRendezvous, MovesOnlyWhatItMust) {
  const auto three = servers({{"a:1/0", 1}, {"b:1/0", 1}, {"c:1/0", 1}});
  const auto four = servers({{"a:1/0", 1}, {"b:1/0", 1}, {"c:1/0", 1}, {"d:1/0", 1}});
  const auto two = servers({{"a:1/0", 1}, {"c:1/0", 1}});  // b removed
  int moved_add = 0;
  const int keys = 40000;
  for (int i = 0; i < keys; ++i) {
    const std::string k = "key" + std::to_string(i);
    const size_t before = rendezvous_pick(k, three);
    const size_t added = rendezvous_pick(k, four);
    if (added != before) {
      EXPECT_EQ(added, 3u) << "a key moved between old servers";
      ++moved_add;
    }
    const size_t removed = rendezvous_pick(k, two);
    const std::string owner_before = before == 0 ? "a" : before == 1 ? "b" : "c";
    const std::string owner_after = removed == 0 ? "a" : "c";
    if (owner_before != "b") {
      EXPECT_EQ(owner_after, owner_before) << "a key of a kept server moved";
    }
  }
  EXPECT_NEAR(moved_add / double(keys), 0.25, 0.015);  // the new server takes its share only
}

// ---- slots --------------------------------------------------------------------

TEST(RemoteSlot, Crc16AndHashTags) {
  EXPECT_EQ(crc16_xmodem("123456789"), 0x31C3);
  EXPECT_EQ(hash_tag("{user1000}.following"), "user1000");
  EXPECT_EQ(hash_tag("foo{}{bar}"), "foo{}{bar}");  // empty first tag: whole key
  EXPECT_EQ(hash_tag("foo{{bar}}zap"), "{bar");
  EXPECT_EQ(hash_tag("foo{bar}{zap}"), "bar");
  EXPECT_EQ(hash_tag("a{b"), "a{b");
  EXPECT_EQ(key_slot("{user1000}.following"), key_slot("{user1000}.followers"));
  EXPECT_EQ(key_slot("foo"), 12182);  // redis-cli CLUSTER KEYSLOT foo
  EXPECT_EQ(key_slot(""), 0);
}

TEST(RemoteSlotMap, FromClusterSlotsReply) {
  auto node = [](std::string host, int port) {
    Reply r;
    r.type = Reply::Type::array;
    Reply h;
    h.type = Reply::Type::string;
    h.str = std::move(host);
    Reply p;
    p.type = Reply::Type::integer;
    p.integer = port;
    r.elements = {h, p};
    return r;
  };
  auto range = [&](int lo, int hi, Reply master) {
    Reply r;
    r.type = Reply::Type::array;
    Reply a, b;
    a.type = b.type = Reply::Type::integer;
    a.integer = lo;
    b.integer = hi;
    r.elements = {a, b, std::move(master)};
    return r;
  };
  Reply slots;
  slots.type = Reply::Type::array;
  slots.elements = {range(0, 5460, node("10.0.0.1", 7000)), range(5461, 10922, node("", 7001))};
  auto m = SlotMap::from_cluster_slots(slots, Address{"10.0.0.9", 7005});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->covered(), 10923u);
  EXPECT_EQ(m->owner(0)->str(), "10.0.0.1:7000");
  EXPECT_EQ(m->owner(10922)->str(), "10.0.0.9:7001");  // empty host: the node asked
  EXPECT_FALSE(m->owner(16383));
  m->set_owner(16383, Address{"10.0.0.1", 7000});
  EXPECT_EQ(m->nodes().size(), 2u);

  Reply bad = slots;
  bad.elements[0].elements[1].integer = 20000;
  EXPECT_FALSE(SlotMap::from_cluster_slots(bad, Address{"h", 1}));
}

// ---- value codec and manifests ------------------------------------------------

std::string sample(size_t n, bool compressible) {
  std::string s(n, '\0');
  uint64_t x = 88172645463325252ull;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    s[i] = compressible ? "gobuild"[x % 7] : static_cast<char>(x);
  }
  return s;
}

TEST(RemoteValue, RoundTripsAndCompressesOnce) {
  const std::string key = "gcfs:1:go:{00/x-d}";
  for (size_t n : {size_t{0}, size_t{1}, size_t{175}, size_t{300000}}) {
    for (bool comp : {false, true}) {
      const std::string raw = sample(n, comp);
      const std::string v = encode_value(ValueType::object, key, raw, 128 << 10);
      auto back = decode_value(v, ValueType::object, key, 1 << 20);
      ASSERT_TRUE(back) << back.failure().message;
      EXPECT_EQ(*back, raw);
      if (comp && n > 1000) {
        EXPECT_LT(v.size(), n * 8 / 10);  // random letters: LZ4 saves ~25%
      }
      EXPECT_EQ(*peek_type(v), ValueType::object);
    }
  }
}

TEST(RemoteValue, EveryDamageIsCorrupt) {
  const std::string key = "gcfs:1:go:{00/x-d}";
  const std::string raw = sample(200000, true);
  const std::string v = encode_value(ValueType::object, key, raw, 64 << 10);
  auto expect_corrupt = [&](const std::string& value, std::string_view k, ValueType t,
                            uint64_t max) {
    auto r = decode_value(value, t, k, max);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.failure().kind, Fault::corrupt) << r.failure().message;
  };
  expect_corrupt(v, "gcfs:1:go:{01/y-d}", ValueType::object, 1 << 20);  // another key
  expect_corrupt(v, key, ValueType::piece, 1 << 20);                    // another type
  expect_corrupt(v, key, ValueType::object, 1000);                      // too big
  expect_corrupt(v.substr(0, v.size() / 2), key, ValueType::object, 1 << 20);
  expect_corrupt(v.substr(0, 10), key, ValueType::object, 1 << 20);
  expect_corrupt("garbage", key, ValueType::object, 1 << 20);
  for (size_t pos : {size_t{0}, size_t{4}, size_t{6}, size_t{20}, size_t{28}, size_t{40},
                     v.size() / 2, v.size() - 1}) {
    std::string d = v;
    d[pos] = static_cast<char>(d[pos] ^ 0x20);
    expect_corrupt(d, key, ValueType::object, 1 << 20);
  }
  std::string longer = v + "x";
  expect_corrupt(longer, key, ValueType::object, 1 << 20);
}

TEST(RemoteValue, WrapsStoreChunksUnchanged) {
  const std::string raw = sample(300000, true);
  std::vector<std::string> chunks;
  for (size_t off = 0, i = 0; off < raw.size(); off += 131072, ++i) {
    chunks.push_back(encode_chunk(42, i, std::string_view(raw).substr(off, 131072)));
  }
  std::vector<std::string_view> views(chunks.begin(), chunks.end());
  const std::string key = "k";
  const std::string v = wrap_chunks(ValueType::object, key, 42, 0, views, raw.size(),
                                    XXH3_64bits(raw.data(), raw.size()));
  for (const auto& c : chunks) EXPECT_NE(v.find(c), std::string::npos);
  auto back = decode_value(v, ValueType::object, key, 1 << 20);
  ASSERT_TRUE(back) << back.failure().message;
  EXPECT_EQ(*back, raw);
  // Chunks out of order are refused.
  std::swap(views[0], views[1]);
  EXPECT_FALSE(decode_value(wrap_chunks(ValueType::object, key, 42, 0, views, raw.size(),
                                        XXH3_64bits(raw.data(), raw.size())),
                            ValueType::object, key, 1 << 20));
}

TEST(RemoteManifest, RoundTripAndChecks) {
  Manifest m{2500000, 0x1234, plan_pieces(2500000, 1 << 20)};
  ASSERT_EQ(m.piece_lens.size(), 3u);
  EXPECT_EQ(m.piece_lens[2], 2500000u - 2 * (1u << 20));
  auto back = decode_manifest(encode_manifest(m), 64 << 20);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->piece_lens, m.piece_lens);
  EXPECT_EQ(back->xxh3, 0x1234u);
  EXPECT_EQ(decode_manifest(encode_manifest(m), 1 << 20).failure().kind, Fault::too_big);
  Manifest wrong = m;
  wrong.total += 1;
  EXPECT_EQ(decode_manifest(encode_manifest(wrong), 64 << 20).failure().kind, Fault::corrupt);
  EXPECT_FALSE(decode_manifest(encode_manifest(m).substr(0, 25), 64 << 20));
  EXPECT_TRUE(plan_pieces(0, 1 << 20).empty());
}

// ---- Go entries and names -----------------------------------------------------

std::string action_entry(const std::string& action, const std::string& output, uint64_t size) {
  return fmt::format("v1 {} {} {:20d} {:20d}\n", action, output, size, 1700000000123456789LL);
}

TEST(RemoteGoEntry, ParsesGosFormat) {
  const std::string a(64, 'a'), o = sha256_hex("hello");
  const std::string e = action_entry(a, o, 5);
  ASSERT_EQ(e.size(), kActionEntrySize);
  auto p = parse_action_entry(e);
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->action_hex, a);
  EXPECT_EQ(p->output_hex, o);
  EXPECT_EQ(p->size, 5u);
  EXPECT_EQ(p->time_ns, 1700000000123456789LL);
  EXPECT_FALSE(parse_action_entry(e.substr(0, 174)));
  EXPECT_FALSE(parse_action_entry(e + "\n"));
  std::string bad = e;
  bad[0] = 'v';
  bad[1] = '2';
  EXPECT_FALSE(parse_action_entry(bad));
  bad = e;
  bad[10] = 'g';
  EXPECT_FALSE(parse_action_entry(bad));
  EXPECT_FALSE(
      parse_action_entry(action_entry(a, o, 5).replace(133, 20, fmt::format("{:20d}", -1))));
}

TEST(RemoteGoEntry, Sha256) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(RemoteKeys, NamesAndEscaping) {
  const std::string hex = sha256_hex("x");
  auto n = parse_entry_name(entry_name(hex, EntryKind::action));
  ASSERT_TRUE(n);
  EXPECT_EQ(n->hex, hex);
  EXPECT_EQ(n->kind, EntryKind::action);
  for (std::string bad :
       {std::string("trim.txt"), std::string("README"), "ff/" + hex + "-d",
        hex.substr(0, 2) + "/" + hex + "-x", hex.substr(0, 2) + "/" + hex.substr(0, 63) + "-d",
        hex.substr(0, 2) + "/" + hex + "-d/x"}) {
    EXPECT_FALSE(parse_entry_name(bad)) << bad;
  }
  std::string upper = entry_name(hex, EntryKind::output);
  for (auto& c : upper) c = static_cast<char>(std::toupper(c));
  EXPECT_FALSE(parse_entry_name(upper));

  const std::string name = entry_name(hex, EntryKind::output);
  EXPECT_EQ(object_key("go1.19.8", name), "gcfs:1:go1.19.8:{" + name + "}");
  // Only our hash tag: a namespace cannot pin keys to one slot.
  const std::string k = object_key("x{y}:%", name);
  EXPECT_EQ(k, "gcfs:1:x%7By%7D%3A%25:{" + name + "}");
  EXPECT_EQ(hash_tag(k), name);
  EXPECT_EQ(key_slot(piece_key(k, 0xabc, 7)), key_slot(k));
  EXPECT_NE(object_key("go1.19", name), object_key("go1.20", name));
  EXPECT_FALSE(check_namespace(""));
  EXPECT_FALSE(check_namespace("a b"));
  EXPECT_FALSE(check_namespace(std::string(65, 'a')));
  EXPECT_TRUE(check_namespace("go1.19.8"));
}

}  // namespace
}  // namespace gcfs::remote
