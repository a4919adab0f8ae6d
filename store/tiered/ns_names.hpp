// Namespace id -> name, for the remote's keys (which carry the name, the Go
// version, never the local id). Cached: looked up on every fetch and
// upload; reloaded when an id is unknown (a new or swapped namespace) and
// at most every few seconds otherwise (a rename). Bounded by the store's
// namespaces. Thread-safe; mu_ is a leaf (the store is read outside it).
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "store/store.hpp"

namespace gcfs::tiered {

class NsNames {
 public:
  explicit NsNames(Store& store) : store_(store) {}
  std::optional<std::string> name(NsId ns);

 private:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds kMaxAge{5};
  static constexpr std::chrono::milliseconds kMinReload{200};
  void reload();
  Store& store_;
  std::mutex mu_;
  std::map<NsId, std::string> names_;  // guarded by mu_
  Clock::time_point loaded_{};         // guarded by mu_
};

}  // namespace gcfs::tiered
