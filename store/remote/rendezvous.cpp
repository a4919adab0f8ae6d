// Weighted rendezvous hashing: see rendezvous.hpp.
#include "store/remote/rendezvous.hpp"

#include <xxhash.h>

#include <cmath>

namespace gcfs::remote {

uint64_t rendezvous_seed(std::string_view server_id) {
  return XXH3_64bits(server_id.data(), server_id.size());
}

size_t rendezvous_pick(std::string_view key, const std::vector<RendezvousServer>& servers) {
  size_t best = 0;
  double best_score = -INFINITY;
  for (size_t i = 0; i < servers.size(); ++i) {
    const uint64_t h = XXH3_64bits_withSeed(key.data(), key.size(), servers[i].seed);
    // 53 random bits, shifted off 0 and 1 so ln(u) is finite and negative.
    const double u = (static_cast<double>(h >> 11) + 0.5) / 9007199254740992.0;
    const double score = -servers[i].weight / std::log(u);
    if (score > best_score) {
      best_score = score;
      best = i;
    }
  }
  return best;
}

}  // namespace gcfs::remote
