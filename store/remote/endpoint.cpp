// URL parsing: redis://[user@]host[:port][/db][?weight=W] and
// redis-cluster://[user@]host:port[,host:port...].
#include "store/remote/endpoint.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <set>

namespace gcfs::remote {

namespace {

constexpr std::string_view kRedis = "redis://";
constexpr std::string_view kCluster = "redis-cluster://";

Error bad(std::string_view url, std::string_view why) {
  return Error(Errc::invalid, fmt::format("remote URL '{}': {}", url, why));
}

template <class T>
bool parse_int(std::string_view s, T& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// host[:port] or [v6][:port]
Result<Address> parse_hostport(std::string_view url, std::string_view s) {
  Address a;
  std::string_view rest;
  if (!s.empty() && s[0] == '[') {
    const size_t close = s.find(']');
    if (close == std::string_view::npos) return bad(url, "unclosed '[' in host");
    a.host = std::string(s.substr(1, close - 1));
    rest = s.substr(close + 1);
  } else {
    const size_t colon = s.find(':');
    a.host = std::string(s.substr(0, colon));
    rest = colon == std::string_view::npos ? std::string_view() : s.substr(colon);
  }
  if (a.host.empty()) return bad(url, "no host");
  for (char c : a.host) {
    if (c <= ' ' || c > '~' || c == '/' || c == '@' || c == '?' || c == ',') {
      return bad(url, "bad character in host");
    }
  }
  if (!rest.empty()) {
    if (rest[0] != ':' || !parse_int(rest.substr(1), a.port) || a.port < 1 || a.port > 65535) {
      return bad(url, "port must be 1-65535");
    }
  }
  return a;
}

// Splits "user@rest": a password ("user:pw@", ":pw@") is refused.
Result<std::string> take_user(std::string_view url, std::string_view& authority) {
  const size_t at = authority.rfind('@');
  if (at == std::string_view::npos) return std::string();
  std::string_view user = authority.substr(0, at);
  authority = authority.substr(at + 1);
  if (user.find(':') != std::string_view::npos) {
    // Do not echo the URL: it holds the password.
    return Error(Errc::invalid,
                 "remote URL carries a password, which ps would show: put it in "
                 "--remote-auth-file or GOCACHEFS_REMOTE_PASSWORD");
  }
  if (user.empty()) return bad(url, "empty user before '@'");
  return std::string(user);
}

Result<Topology> parse_redis(std::string_view url) {
  std::string_view s = url.substr(kRedis.size());
  std::string_view query;
  if (size_t q = s.find('?'); q != std::string_view::npos) {
    query = s.substr(q + 1);
    s = s.substr(0, q);
  }
  std::string_view path;
  if (size_t slash = s.find('/'); slash != std::string_view::npos) {
    path = s.substr(slash + 1);
    s = s.substr(0, slash);
  }
  auto user = take_user(url, s);
  if (!user) return user.error();
  if (s.find(',') != std::string_view::npos) {
    return bad(url, "several hosts: give one redis:// URL per server, or use redis-cluster://");
  }
  auto addr = parse_hostport(url, s);
  if (!addr) return addr.error();
  Endpoint e{*addr, *user, 0, 1.0};
  if (!path.empty() && (!parse_int(path, e.db) || e.db < 0 || e.db > 9999)) {
    return bad(url, "database must be a number 0-9999");
  }
  if (!query.empty()) {
    constexpr std::string_view kWeight = "weight=";
    if (query.substr(0, kWeight.size()) != kWeight) return bad(url, "only ?weight=W is known");
    const std::string w(query.substr(kWeight.size()));
    char* end = nullptr;
    e.weight = std::strtod(w.c_str(), &end);
    if (w.empty() || *end != '\0' || !std::isfinite(e.weight) || e.weight <= 0 || e.weight > 1e6) {
      return bad(url, "weight must be a number > 0 and <= 1e6");
    }
  }
  return Topology{TopologyKind::shards, {std::move(e)}};
}

Result<Topology> parse_cluster(std::string_view url) {
  std::string_view s = url.substr(kCluster.size());
  if (s.find_first_of("/?") != std::string_view::npos) {
    return bad(url, "a cluster URL has no database or options (a cluster has only db 0)");
  }
  auto user = take_user(url, s);
  if (!user) return user.error();
  Topology t{TopologyKind::cluster, {}};
  while (true) {
    const size_t comma = s.find(',');
    auto addr = parse_hostport(url, s.substr(0, comma));
    if (!addr) return addr.error();
    t.endpoints.push_back(Endpoint{*addr, *user, 0, 1.0});
    if (comma == std::string_view::npos) break;
    s = s.substr(comma + 1);
  }
  return t;
}

}  // namespace

std::string Address::str() const {
  return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port)
                                             : fmt::format("{}:{}", host, port);
}

std::string Endpoint::id() const { return fmt::format("{}/{}", addr.str(), db); }

Result<Topology> parse_url(std::string_view url) {
  if (url.substr(0, kRedis.size()) == kRedis) return parse_redis(url);
  if (url.substr(0, kCluster.size()) == kCluster) return parse_cluster(url);
  return Error(Errc::invalid, fmt::format("remote URL '{}': must start with redis:// or "
                                          "redis-cluster://",
                                          url));
}

Result<Topology> parse_urls(const std::vector<std::string>& urls) {
  if (urls.empty()) return Error(Errc::invalid, "no remote URL");
  Topology all;
  std::set<std::string> seen;
  for (size_t i = 0; i < urls.size(); ++i) {
    auto t = parse_url(urls[i]);
    if (!t) return t.error();
    if (t->kind == TopologyKind::cluster && urls.size() > 1) {
      return Error(Errc::invalid,
                   "a redis-cluster:// URL must be the only remote URL (list every seed in it)");
    }
    all.kind = t->kind;
    for (auto& e : t->endpoints) {
      if (!seen.insert(e.id()).second) {
        return Error(Errc::invalid, fmt::format("remote endpoint {} given twice", e.id()));
      }
      all.endpoints.push_back(std::move(e));
    }
  }
  return all;
}

}  // namespace gcfs::remote
