// Remote endpoints: URL parsing into a topology (independent shards or one
// Redis Cluster). Bad input is an Errc::invalid Error with a one-line
// message, never a throw.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/result.hpp"

namespace gcfs::remote {

struct Address {
  std::string host;  // IPv4, hostname, or IPv6 without brackets
  int port = 6379;
  std::string str() const;  // host:port ([v6]:port)
  friend bool operator==(const Address&, const Address&) = default;
};

struct Endpoint {
  Address addr;
  std::string user;     // ACL user from the URL; empty: the credentials' user
  int db = 0;           // SELECT db (standalone only)
  double weight = 1.0;  // share of keys, rendezvous hashing
  // Stable identity for hashing: host:port/db (not the weight, not the user).
  std::string id() const;
};

enum class TopologyKind { shards, cluster };

struct Topology {
  TopologyKind kind = TopologyKind::shards;
  std::vector<Endpoint> endpoints;  // shards, or the cluster's seed nodes
};

// Parses one URL (a redis-cluster URL yields one Endpoint per seed).
Result<Topology> parse_url(std::string_view url);

// Parses all URLs: any number of redis:// shards, or exactly one
// redis-cluster:// URL; duplicates and mixtures are refused.
Result<Topology> parse_urls(const std::vector<std::string>& urls);

}  // namespace gcfs::remote
