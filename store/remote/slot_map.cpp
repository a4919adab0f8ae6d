// Slot map: see slot_map.hpp.
#include "store/remote/slot_map.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "store/remote/slot.hpp"

namespace gcfs::remote {

SlotMap::SlotMap() : owner_(kClusterSlots, -1) {}

Outcome<SlotMap> SlotMap::from_cluster_slots(const Reply& reply, const Address& asked) {
  auto bad = [&](std::string_view why) {
    return Failure{Fault::protocol, fmt::format("{}: CLUSTER SLOTS: {}", asked.str(), why)};
  };
  if (reply.type != Reply::Type::array) return bad("not an array");
  SlotMap m;
  for (const Reply& e : reply.elements) {
    if (e.type != Reply::Type::array || e.elements.size() < 3 ||
        e.elements[0].type != Reply::Type::integer || e.elements[1].type != Reply::Type::integer ||
        e.elements[2].type != Reply::Type::array || e.elements[2].elements.size() < 2) {
      return bad("malformed entry");
    }
    const long long lo = e.elements[0].integer;
    const long long hi = e.elements[1].integer;
    const Reply& master = e.elements[2];
    if (lo < 0 || hi < lo || hi >= kClusterSlots ||
        master.elements[0].type != Reply::Type::string ||
        master.elements[1].type != Reply::Type::integer || master.elements[1].integer < 1 ||
        master.elements[1].integer > 65535) {
      return bad("bad slot range or master");
    }
    Address a{master.elements[0].str, static_cast<int>(master.elements[1].integer)};
    if (a.host.empty() || a.host == "?") a.host = asked.host;
    for (long long s = lo; s <= hi; ++s) m.set_owner(static_cast<uint16_t>(s), a);
  }
  return m;
}

std::optional<Address> SlotMap::owner(uint16_t slot) const {
  const int16_t i = owner_[slot % kClusterSlots];
  if (i < 0) return std::nullopt;
  return nodes_[static_cast<size_t>(i)];
}

void SlotMap::set_owner(uint16_t slot, const Address& addr) {
  auto it = std::find(nodes_.begin(), nodes_.end(), addr);
  if (it == nodes_.end()) it = nodes_.insert(nodes_.end(), addr);
  owner_[slot % kClusterSlots] = static_cast<int16_t>(it - nodes_.begin());
}

size_t SlotMap::covered() const {
  return static_cast<size_t>(
      std::count_if(owner_.begin(), owner_.end(), [](int16_t i) { return i >= 0; }));
}

}  // namespace gcfs::remote
