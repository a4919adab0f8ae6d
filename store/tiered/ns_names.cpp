#include "store/tiered/ns_names.hpp"

namespace gcfs::tiered {

std::optional<std::string> NsNames::name(NsId ns) {
  {
    std::lock_guard lock(mu_);
    const auto age = Clock::now() - loaded_;
    auto it = names_.find(ns);
    if (it != names_.end() && age < kMaxAge) return it->second;
    // An unknown id (a retired one) must not reload on every call.
    if (it == names_.end() && age < kMinReload) return std::nullopt;
  }
  reload();
  std::lock_guard lock(mu_);
  auto it = names_.find(ns);
  if (it == names_.end()) return std::nullopt;
  return it->second;
}

void NsNames::reload() {
  auto list = store_.list_namespaces();
  if (!list) return;
  std::map<NsId, std::string> fresh;
  for (auto& info : *list) fresh.emplace(info.id, std::move(info.name));
  std::lock_guard lock(mu_);
  names_ = std::move(fresh);
  loaded_ = Clock::now();
}

}  // namespace gcfs::tiered
