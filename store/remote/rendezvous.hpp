// Weighted rendezvous (highest random weight) hashing, the scheme ccache
// uses for its shards: every server scores the key, score =
// -weight / ln(u) with u = hash(key, server) mapped into (0, 1); the highest
// wins. Removing a server moves only its own keys; adding one takes keys
// only from the others, in proportion to the weights.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace gcfs::remote {

struct RendezvousServer {
  uint64_t seed = 0;  // from the server's stable identity (rendezvous_seed)
  double weight = 1.0;
};

uint64_t rendezvous_seed(std::string_view server_id);

// Index of the server owning `key`; `servers` must not be empty.
size_t rendezvous_pick(std::string_view key, const std::vector<RendezvousServer>& servers);

}  // namespace gcfs::remote
