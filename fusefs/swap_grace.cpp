#include "fusefs/swap_grace.hpp"

#include <spdlog/spdlog.h>

#include <string>

namespace gcfs::fusefs {

void SwapGrace::replaced(NsId old_id, NsId new_id) {
  std::lock_guard lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  std::erase_if(prev_, [&](const auto& kv) { return kv.second.second < now; });
  if (old_id != 0) prev_[new_id] = {old_id, now + kGrace};
}

std::optional<std::pair<NsId, Attr>> SwapGrace::fallback(Store& store, NsId ns, Ino parent,
                                                         std::string_view name) {
  NsId old = 0;
  {
    std::lock_guard lock(mu_);
    if (prev_.empty()) return std::nullopt;  // the common case: no recent swap
    auto it = prev_.find(ns);
    if (it == prev_.end() || it->second.second < std::chrono::steady_clock::now()) {
      return std::nullopt;
    }
    old = it->second.first;
  }
  Ino old_parent = kRootIno;
  if (parent != kRootIno) {
    // The cache's files sit in directories at the namespace root: find the
    // parent's name there, then the same directory in the old content.
    std::string dir;
    Status s = store.readdir(ns, kRootIno, 0, [&](const DirEntry& e) {
      if (e.ino != parent) return true;
      dir = e.name;
      return false;
    });
    if (!s) {
      // Without the parent's name the old content cannot be found: a miss.
      spdlog::warn("swap grace: listing namespace {} failed: {}", ns, s.error().message());
      return std::nullopt;
    }
    if (dir.empty()) return std::nullopt;
    auto d = store.lookup(old, kRootIno, dir);
    if (!d) return std::nullopt;
    old_parent = d->ino;
  }
  auto a = store.lookup(old, old_parent, name);
  if (!a) return std::nullopt;
  return std::make_pair(old, *a);
}

}  // namespace gcfs::fusefs
