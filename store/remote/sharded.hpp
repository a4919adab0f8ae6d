// Independent servers, each key on one of them by weighted rendezvous
// hashing of its hash tag (or whole key). A lost server turns its share of
// keys into failures (misses for the daemon), nothing more.
#pragma once

#include <memory>
#include <vector>

#include "store/remote/backend.hpp"
#include "store/remote/node.hpp"
#include "store/remote/rendezvous.hpp"

namespace gcfs::remote {

class ShardedBackend : public Backend {
 public:
  explicit ShardedBackend(const Config& config);
  std::vector<Reply> run(std::vector<Command>& cmds, Deadline deadline,
                         const std::atomic<bool>* cancel) override;
  std::vector<EndpointStatus> endpoints() const override;

  // Which shard a key goes to (tests).
  size_t shard_of(std::string_view key) const;

 private:
  std::vector<std::string> ids_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<RendezvousServer> servers_;
};

}  // namespace gcfs::remote
