#include "fusefs/use_tracker.hpp"

#include <ctime>

namespace gcfs::fusefs {

namespace {
int64_t now_ns() {
  struct timespec ts {};
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);  // ms precision is plenty for LRU
  return ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
}
}  // namespace

void UseTracker::put(NsId ns, FileUse use) {
  const uint64_t key = (uint64_t{ns} << 48) | use.ino;
  Shard& s = shards_[(key ^ (key >> 17)) % kShards];
  std::lock_guard lock(s.mu);
  auto [it, fresh] = s.uses.try_emplace(key, ns, FileUse{});
  FileUse& cur = it->second.second;
  if (!fresh && cur.from_mtime && !use.from_mtime) {
    // An explicit mtime stays the last use unless a later use follows it.
    if (use.time_ns <= cur.time_ns) return;
    use.from_mtime = false;
  }
  if (use.name.empty() && !cur.name.empty()) {  // keep the name a lookup gave
    use.parent = cur.parent;
    use.name = std::move(cur.name);
  }
  cur = std::move(use);
}

void UseTracker::record(NsId ns, Ino ino, Ino parent, std::string_view name) {
  put(ns, FileUse{ino, parent, std::string(name), now_ns(), false});
}

void UseTracker::record_mtime(NsId ns, Ino ino, Timespec mtime) {
  put(ns, FileUse{ino, 0, {}, mtime.sec * 1'000'000'000LL + mtime.nsec, true});
}

std::map<NsId, std::vector<FileUse>> UseTracker::drain() {
  std::map<NsId, std::vector<FileUse>> out;
  for (Shard& s : shards_) {
    std::unordered_map<uint64_t, std::pair<NsId, FileUse>> taken;
    {
      std::lock_guard lock(s.mu);
      taken.swap(s.uses);
    }
    for (auto& [key, v] : taken) out[v.first].push_back(std::move(v.second));
  }
  return out;
}

}  // namespace gcfs::fusefs
