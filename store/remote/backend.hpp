// Where keys live: independent shards (rendezvous hashing) or a Redis
// Cluster (slot map, MOVED/ASK). The object layer builds keyed commands and
// asks a Backend to run them; every command gets a reply or a Failure.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "store/remote/breaker.hpp"
#include "store/remote/config.hpp"
#include "store/remote/node.hpp"
#include "store/remote/reply.hpp"
#include "store/remote/stats.hpp"

namespace gcfs::remote {

struct EndpointStatus {
  std::string address;  // host:port (and /db for shards)
  BreakerSnapshot breaker;
};

class Backend {
 public:
  virtual ~Backend() = default;
  // Runs keyed commands (key at args[1]) on the endpoints owning their
  // keys, pipelined per endpoint, each round trip bounded by `deadline`.
  // Replies come in the order of `cmds`. Keys are routed by their hash tag
  // (slot.hpp) in both topologies, so an object's pieces stay with it.
  virtual std::vector<Reply> run(std::vector<Command>& cmds, Deadline deadline,
                                 const std::atomic<bool>* cancel) = 0;
  virtual std::vector<EndpointStatus> endpoints() const = 0;
};

std::unique_ptr<Backend> make_backend(const Config& config, Stats& stats);

// Node settings shared by both topologies (the URL's user wins).
NodeSettings node_settings(const Config& config, const std::string& url_user);

}  // namespace gcfs::remote
