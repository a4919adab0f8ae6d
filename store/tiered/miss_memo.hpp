// Remote misses remembered briefly, so that one build asks the remote once
// per entry: the kernel caches a miss only for a second or so (a peer may
// upload the entry), and the go command looks names up again.
//
// Bounded: at capacity the oldest entry is forgotten. Thread-safe (mu_ is
// a leaf lock: nothing else is taken under it).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "store/types.hpp"

namespace gcfs::tiered {

class MissMemo {
 public:
  using Clock = std::chrono::steady_clock;
  MissMemo(std::chrono::milliseconds ttl, size_t capacity) : ttl_(ttl), capacity_(capacity) {}

  // Whether (ns, name) missed within the TTL.
  bool recent(NsId ns, std::string_view name, Clock::time_point now = Clock::now());
  void remember(NsId ns, std::string_view name, Clock::time_point now = Clock::now());
  // Forgets (ns, name): it exists now.
  void forget(NsId ns, std::string_view name);
  size_t size();

 private:
  static std::string key(NsId ns, std::string_view name);
  const std::chrono::milliseconds ttl_;
  const size_t capacity_;
  std::mutex mu_;
  std::unordered_map<std::string, Clock::time_point> until_;  // guarded by mu_
  std::deque<std::string> order_;  // guarded by mu_: insertion order, for the bound
};

}  // namespace gcfs::tiered
