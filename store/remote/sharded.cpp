// Client-side sharding: see sharded.hpp.
#include "store/remote/sharded.hpp"

#include <map>

#include "store/remote/slot.hpp"

namespace gcfs::remote {

NodeSettings node_settings(const Config& config, const std::string& url_user) {
  const auto& o = config.options;
  NodeSettings s;
  s.credentials = config.credentials;
  if (!url_user.empty()) s.credentials.user = url_user;
  // One value is at most a piece (or a whole small object) plus headers.
  s.max_reply_bytes = size_t{o.piece_size} + (size_t{1} << 20);
  s.connect_timeout = std::chrono::milliseconds(o.connect_timeout_ms);
  s.max_connections = o.connections_per_endpoint;
  s.breaker = BreakerOptions{o.breaker_failures, std::chrono::milliseconds(o.breaker_backoff_ms),
                             std::chrono::milliseconds(o.breaker_backoff_max_ms)};
  return s;
}

ShardedBackend::ShardedBackend(const Config& config) {
  for (const auto& e : config.topology.endpoints) {
    NodeSettings s = node_settings(config, e.user);
    s.db = e.db;
    ids_.push_back(e.id());
    nodes_.push_back(std::make_unique<Node>(e.addr, std::move(s)));
    servers_.push_back({rendezvous_seed(e.id()), e.weight});
  }
}

size_t ShardedBackend::shard_of(std::string_view key) const {
  return rendezvous_pick(hash_tag(key), servers_);
}

std::vector<Reply> ShardedBackend::run(std::vector<Command>& cmds, Deadline deadline,
                                       const std::atomic<bool>* cancel) {
  std::vector<Reply> out(cmds.size());
  std::map<size_t, std::vector<size_t>> groups;
  for (size_t i = 0; i < cmds.size(); ++i) groups[shard_of(cmds[i].args.at(1))].push_back(i);
  for (const auto& [shard, idx] : groups) {
    std::vector<const Command*> ptrs;
    for (size_t i : idx) ptrs.push_back(&cmds[i]);
    auto replies = nodes_[shard]->exchange(ptrs, deadline, cancel);
    for (size_t k = 0; k < idx.size(); ++k) out[idx[k]] = std::move(replies[k]);
  }
  return out;
}

std::vector<EndpointStatus> ShardedBackend::endpoints() const {
  std::vector<EndpointStatus> out;
  const auto now = Clock::now();
  for (size_t i = 0; i < nodes_.size(); ++i) out.push_back({ids_[i], nodes_[i]->breaker(now)});
  return out;
}

}  // namespace gcfs::remote
