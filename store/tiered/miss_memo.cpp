#include "store/tiered/miss_memo.hpp"

#include <fmt/format.h>

namespace gcfs::tiered {

std::string MissMemo::key(NsId ns, std::string_view name) { return fmt::format("{}/{}", ns, name); }

bool MissMemo::recent(NsId ns, std::string_view name, Clock::time_point now) {
  std::lock_guard lock(mu_);
  auto it = until_.find(key(ns, name));
  return it != until_.end() && it->second > now;
}

void MissMemo::remember(NsId ns, std::string_view name, Clock::time_point now) {
  if (capacity_ == 0) return;
  std::string k = key(ns, name);
  std::lock_guard lock(mu_);
  auto [it, inserted] = until_.insert_or_assign(k, now + ttl_);
  if (!inserted) return;  // refreshed; its place in order_ stays
  order_.push_back(std::move(k));
  // Every remembered key is in order_, so bounding order_ bounds both (a
  // key forgotten and remembered again is in it twice, and may go early).
  while (order_.size() > capacity_) {
    until_.erase(order_.front());
    order_.pop_front();
  }
}

void MissMemo::forget(NsId ns, std::string_view name) {
  std::lock_guard lock(mu_);
  until_.erase(key(ns, name));
}

size_t MissMemo::size() {
  std::lock_guard lock(mu_);
  return until_.size();
}

}  // namespace gcfs::tiered
