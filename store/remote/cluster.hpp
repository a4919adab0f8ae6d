// Redis Cluster routing, written here because hiredis 0.14 has none: the
// slot map from CLUSTER SLOTS (seeds and known nodes tried in turn), MOVED
// (patch the slot, refresh the map soon, retry at the new owner), ASK
// (ASKING + the command at the named node, map unchanged), TRYAGAIN and
// CLUSTERDOWN retried with backoff within a budget, a connection pool and a
// breaker per node, commands pipelined per node.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/remote/backend.hpp"
#include "store/remote/node.hpp"
#include "store/remote/slot_map.hpp"

namespace gcfs::remote {

class ClusterBackend : public Backend {
 public:
  ClusterBackend(const Config& config, Stats& stats);
  std::vector<Reply> run(std::vector<Command>& cmds, Deadline deadline,
                         const std::atomic<bool>* cancel) override;
  std::vector<EndpointStatus> endpoints() const override;

  // Reloads the slot map now (tests; run() does it when needed).
  Outcome<size_t> refresh(Deadline deadline, const std::atomic<bool>* cancel);

 private:
  std::shared_ptr<Node> node(const Address& addr);
  std::optional<Address> owner(uint16_t slot);
  void refresh_if_needed(Deadline deadline, const std::atomic<bool>* cancel);

  const RemoteOptions options_;
  const NodeSettings settings_;
  const std::vector<Address> seeds_;
  Stats& stats_;

  std::mutex refresh_mu_;  // one CLUSTER SLOTS reload at a time; before mu_
  mutable std::mutex mu_;  // guards everything below
  SlotMap map_;
  bool have_map_ = false;
  bool stale_ = false;  // a MOVED or a node failure since the last reload
  Clock::time_point last_refresh_{};
  std::map<std::string, std::shared_ptr<Node>> nodes_;  // by host:port
};

}  // namespace gcfs::remote
