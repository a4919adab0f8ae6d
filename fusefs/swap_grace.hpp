// After a snapshot swap, lookups that miss in the new content fall back to
// the replaced content for a grace period.
//
// Why: the Go command resolves a cache path twice (a stat when it checks the
// entry, an open when compile/link reads it, maybe seconds later). A build
// running across a swap to content lacking that file would fail between the
// two. With the fallback every lookup still sees one whole file of either
// the old or the new content (never a mix), and builds get no errors.
// Fallback entries carry a short kernel timeout so they stop being served
// once the grace period ends.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string_view>

#include "store/store.hpp"

namespace gcfs::fusefs {

class SwapGrace {
 public:
  // Default: 120 s, longer than the check-to-use gap of a typical build step.
  static constexpr std::chrono::seconds kGrace{120};

  void replaced(NsId old_id, NsId new_id);
  // The entry `name` in the directory `parent` had in the content `ns`
  // replaced (looked up by path from the namespace root, one level deep).
  std::optional<std::pair<NsId, Attr>> fallback(Store& store, NsId ns, Ino parent,
                                                std::string_view name);

 private:
  std::mutex mu_;
  std::map<NsId, std::pair<NsId, std::chrono::steady_clock::time_point>> prev_;  // new -> old
};

}  // namespace gcfs::fusefs
