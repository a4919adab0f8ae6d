#include "policy/runtime/use_tracker.hpp"

#include <ctime>

namespace gcfs::policy {

namespace {
int64_t now_ns() {
  struct timespec ts {};
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);  // ms precision is plenty for LRU
  return ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
}
}  // namespace

void UseTracker::put(NsId ns, FileUse use, bool action) {
  const uint64_t key = key_of(ns, use.ino);
  Shard& s = shard_of(key);
  std::lock_guard lock(s.mu);
  auto [it, fresh] = s.uses.try_emplace(key, Tracked{ns, FileUse{}, false});
  Tracked& t = it->second;
  FileUse& cur = t.use;
  t.action = t.action || action;
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

void UseTracker::record(NsId ns, Ino ino, Ino parent, std::string_view name, bool action) {
  put(ns, FileUse{ino, parent, std::string(name), now_ns(), false}, action);
}

void UseTracker::record_mtime(NsId ns, Ino ino, Timespec mtime) {
  put(ns, FileUse{ino, 0, {}, mtime.sec * 1'000'000'000LL + mtime.nsec, true}, false);
}

bool UseTracker::pending(NsId ns, Ino ino) {
  const uint64_t key = key_of(ns, ino);
  Shard& s = shard_of(key);
  std::lock_guard lock(s.mu);
  return s.uses.contains(key);
}

std::map<NsId, DrainedUses> UseTracker::drain() {
  std::map<NsId, DrainedUses> out;
  for (Shard& s : shards_) {
    std::unordered_map<uint64_t, Tracked> taken;
    {
      std::lock_guard lock(s.mu);
      taken.swap(s.uses);
    }
    for (auto& [key, t] : taken) {
      DrainedUses& d = out[t.ns];
      if (t.action) d.actions.emplace_back(t.use.ino, t.use.time_ns);
      d.uses.push_back(std::move(t.use));
    }
  }
  return out;
}

}  // namespace gcfs::policy
