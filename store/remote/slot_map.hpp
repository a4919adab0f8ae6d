// Which master owns each of the 16384 slots, from a CLUSTER SLOTS reply,
// patched slot by slot by MOVED redirections. A plain value: the router
// swaps copies under its lock.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "store/remote/endpoint.hpp"
#include "store/remote/fault.hpp"
#include "store/remote/reply.hpp"

namespace gcfs::remote {

class SlotMap {
 public:
  SlotMap();

  // `asked` is the node that answered: its host stands in for an empty or
  // "?" host (a node that does not know its own address).
  static Outcome<SlotMap> from_cluster_slots(const Reply& reply, const Address& asked);

  std::optional<Address> owner(uint16_t slot) const;
  void set_owner(uint16_t slot, const Address& addr);
  size_t covered() const;  // slots with an owner
  const std::vector<Address>& nodes() const { return nodes_; }

 private:
  std::vector<Address> nodes_;
  std::vector<int16_t> owner_;  // index into nodes_, -1: no owner
};

}  // namespace gcfs::remote
