#include "fusefs/space_manager.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>
#include <limits>
#include <set>

namespace gcfs::fusefs {

namespace {

// Live bytes a file takes besides its data: inode record, directory entry
// and LRU index entries (docs/space.md). An estimate for progress only; the
// next check reads the exact counters again.
constexpr uint64_t kEntryOverhead = 300;
constexpr size_t kBatch = 128;  // LRU entries fetched per namespace and pass

Timespec wall_now() {
  struct timespec ts {};
  clock_gettime(CLOCK_REALTIME, &ts);
  return {ts.tv_sec, static_cast<uint32_t>(ts.tv_nsec)};
}

int64_t to_ns(Timespec t) { return t.sec * 1'000'000'000LL + t.nsec; }

}  // namespace

SpaceManager::SpaceManager(Store& store, SpaceOptions options, EvictHook hook)
    : store_(store), options_(options), hook_(std::move(hook)) {}

std::vector<NsId> SpaceManager::namespaces() {
  if (options_.only_ns) return {*options_.only_ns};
  std::vector<NsId> out;
  if (auto list = store_.list_namespaces()) {
    for (const auto& ns : *list) out.push_back(ns.id);
  }
  return out;
}

Result<std::map<NsId, uint64_t>> SpaceManager::usage() {
  std::map<NsId, uint64_t> out;
  for (NsId ns : namespaces()) {
    auto st = store_.stats(ns);
    if (!st) {
      if (st.code() == Errc::not_found) continue;  // dropped meanwhile
      return st.status();
    }
    out[ns] = st->live_bytes;
  }
  return out;
}

Result<EvictResult> SpaceManager::enforce_limits() {
  const auto& l = options_.limits;
  EvictResult done;
  if (l.max_bytes == 0 && l.ns_max_bytes == 0) return done;
  std::lock_guard lock(evict_mu_);
  auto use = usage();
  if (!use) return use.status();
  uint64_t total = 0;
  for (const auto& [ns, bytes] : *use) {
    total += bytes;
    const uint64_t want = policy::bytes_to_free(bytes, l.ns_max_bytes, l.low_watermark);
    if (want == 0) continue;
    auto r = evict({ns}, want, std::numeric_limits<int64_t>::max());
    if (!r) return r.status();
    done.files += r->files;
    done.bytes += r->bytes;
    total -= std::min(total, r->bytes);
  }
  const uint64_t want = policy::bytes_to_free(total, l.max_bytes, l.low_watermark);
  if (want > 0) {
    std::vector<NsId> all;
    for (const auto& [ns, bytes] : *use) all.push_back(ns);
    auto r = evict(all, want, std::numeric_limits<int64_t>::max());
    if (!r) return r.status();
    done.files += r->files;
    done.bytes += r->bytes;
  }
  if (done.files > 0) {
    spdlog::info("space: evicted {} files ({} bytes) to stay under the size limit", done.files,
                 done.bytes);
  }
  return done;
}

Result<EvictResult> SpaceManager::evict(const std::vector<NsId>& nss, uint64_t want,
                                        int64_t before_ns) {
  std::map<NsId, EvictResult> by_ns;
  auto r = evict_from(nss, want, before_ns, by_ns);
  // Counted even when a later entry failed: these files are gone.
  for (const auto& [ns, d] : by_ns) {
    if (auto name = name_of(ns)) counters_.eviction(*name, d.files, d.bytes);
  }
  return r;
}

Result<EvictResult> SpaceManager::evict_from(const std::vector<NsId>& nss, uint64_t want,
                                             int64_t before_ns,
                                             std::map<NsId, EvictResult>& by_ns) {
  EvictResult done;
  std::set<std::pair<NsId, Ino>> stale;  // skipped this call: not found by name
  while (done.bytes < want) {
    // The oldest entries of every namespace, merged oldest first.
    std::vector<std::pair<NsId, LruEntry>> cands;
    for (NsId ns : nss) {
      auto list = store_.lru_oldest(ns, kBatch + stale.size());
      if (!list) {
        if (list.code() == Errc::not_found) continue;
        return list.status();
      }
      for (auto& e : *list) {
        if (!stale.contains({ns, e.ino})) cands.emplace_back(ns, std::move(e));
      }
    }
    std::stable_sort(cands.begin(), cands.end(), [](const auto& a, const auto& b) {
      return a.second.last_use_ns < b.second.last_use_ns;
    });
    if (cands.empty()) break;
    bool progress = false;
    for (const auto& [ns, e] : cands) {
      if (done.bytes >= want || e.last_use_ns >= before_ns) return done;
      auto r = evict_entry(ns, e);
      if (!r) return r.status();
      if (r->files == 0) {
        stale.insert({ns, e.ino});
      } else {
        done.files += r->files;
        done.bytes += r->bytes;
        by_ns[ns].files += r->files;
        by_ns[ns].bytes += r->bytes;
      }
      progress = true;
    }
    if (!progress) break;
  }
  return done;
}

Status SpaceManager::unlink_one(NsId ns, Ino parent, const std::string& name, Ino ino) {
  auto gone = store_.unlink(ns, parent, name, wall_now());
  if (!gone) return gone.status();
  if (hook_) {
    hook_(Evicted{ns, ino, parent, name});
  } else if (Status s = store_.purge(ns, *gone); !s) {
    return s;
  }
  return Status::ok();
}

Result<EvictResult> SpaceManager::evict_entry(NsId ns, const LruEntry& e) {
  EvictResult done;
  auto attr = store_.lookup(ns, e.parent, e.name);
  // Renamed, replaced or removed since it was indexed: not this entry.
  if (!attr || attr->ino != e.ino) return done;
  // An action entry names its output: read it before the data goes.
  std::optional<std::string> output;
  if (policy::is_action_entry(e.name)) {
    char buf[200];
    if (auto n = store_.read(ns, e.ino, 0, std::span<char>(buf, sizeof buf))) {
      output = policy::action_output(std::string_view(buf, *n));
    }
  }
  if (Status s = unlink_one(ns, e.parent, e.name, e.ino); !s) {
    if (s.code() == Errc::not_found) return done;  // removed meanwhile
    return s;
  }
  done.files = 1;
  done.bytes = attr->stored + kEntryOverhead;
  if (!output) return done;
  // The output goes too unless something used it after this action.
  auto root = store_.parent_of(ns, e.parent);
  if (!root) return done;
  const auto [dir_name, out_name] = policy::output_location(*output);
  auto dir = store_.lookup(ns, *root, dir_name);
  if (!dir) return done;
  auto out = store_.lookup(ns, dir->ino, out_name);
  if (!out) return done;
  auto used = store_.last_use_ns(ns, out->ino);
  if (!used || !policy::evict_output_with_action(e.last_use_ns, *used)) return done;
  if (Status s = unlink_one(ns, dir->ino, out_name, out->ino); !s) {
    if (s.code() == Errc::not_found) return done;
    return s;
  }
  done.files++;
  done.bytes += out->stored + kEntryOverhead;
  return done;
}

Status SpaceManager::compaction_round(std::atomic<bool>* cancel) {
  std::lock_guard lock(compact_mu_);
  for (NsId ns : namespaces()) {
    if (cancel && cancel->load()) break;
    auto st = store_.space(ns);
    if (!st) {
      if (st.code() == Errc::not_found) continue;
      return st.status();
    }
    policy::NsView view{st->live_bytes, st->physical_bytes, {}};
    for (const auto& b : st->blocks) view.blocks.push_back({b.occupancy, b.bytes});
    policy::CompactionMemory& mem = memory_[ns];
    const policy::CompactionPlan plan = policy::plan_compaction(view, mem, options_.compaction);
    if (plan.tier == policy::CompactionTier::none) {
      policy::remember(mem, view, plan, options_.compaction);
      continue;
    }
    CompactRequest req;
    req.low_priority = plan.tier == policy::CompactionTier::background;
    req.cancel = cancel;
    if (!plan.whole) {
      for (size_t i : plan.blocks)
        req.ranges.emplace_back(st->blocks[i].smallest, st->blocks[i].largest);
    }
    spdlog::info("space: compacting namespace {} ({} tier, occupancy {:.3f}, {} of {} blocks)", ns,
                 policy::tier_name(plan.tier), st->occupancy(),
                 plan.whole ? st->blocks.size() : plan.blocks.size(), st->blocks.size());
    const auto start = std::chrono::steady_clock::now();
    if (Status s = store_.compact(ns, req); !s) return s;
    auto after = store_.space(ns);
    if (!after) return after.status();
    count_compaction(ns,
                     plan.tier == policy::CompactionTier::urgent ? CompactionKind::urgent
                                                                 : CompactionKind::background,
                     start, st->sst_bytes + st->memtable_bytes,
                     after->sst_bytes + after->memtable_bytes);
    policy::NsView av{after->live_bytes, after->physical_bytes, {}};
    policy::remember(mem, av, plan, options_.compaction);
    spdlog::info("space: namespace {} compacted: physical {} -> {} bytes, occupancy {:.3f}", ns,
                 st->physical_bytes, after->physical_bytes, after->occupancy());
  }
  return Status::ok();
}

Status SpaceManager::compact_now(std::optional<NsId> ns) {
  std::lock_guard lock(compact_mu_);
  std::vector<NsId> which = ns ? std::vector<NsId>{*ns} : namespaces();
  for (NsId id : which) {
    CompactRequest req;
    req.low_priority = false;
    const auto before = held_bytes(id);
    const auto start = std::chrono::steady_clock::now();
    if (Status s = store_.compact(id, req); !s) return s;
    count_compaction(id, CompactionKind::manual, start, before, held_bytes(id));
  }
  return Status::ok();
}

std::optional<uint64_t> SpaceManager::held_bytes(NsId ns) {
  auto st = store_.space(ns);
  if (!st) return std::nullopt;
  return st->sst_bytes + st->memtable_bytes;
}

void SpaceManager::count_compaction(NsId ns, CompactionKind kind,
                                    std::chrono::steady_clock::time_point start,
                                    std::optional<uint64_t> held_before,
                                    std::optional<uint64_t> held_after) {
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  // Writes during the compaction can outgrow what it reclaimed: then 0.
  uint64_t reclaimed = 0;
  if (held_before && held_after && *held_before > *held_after) {
    reclaimed = *held_before - *held_after;
  }
  if (auto name = name_of(ns)) counters_.compaction(*name, kind, took.count(), reclaimed);
}

std::optional<std::string> SpaceManager::name_of(NsId ns) {
  if (auto list = store_.list_namespaces()) {
    for (const auto& info : *list) {
      if (info.id == ns) return info.name;
    }
  }
  return std::nullopt;
}

Result<EvictResult> SpaceManager::evict_to(uint64_t bytes) {
  std::lock_guard lock(evict_mu_);
  auto use = usage();
  if (!use) return use.status();
  uint64_t total = 0;
  std::vector<NsId> all;
  for (const auto& [ns, b] : *use) {
    total += b;
    all.push_back(ns);
  }
  if (total <= bytes) return EvictResult{};
  return evict(all, total - bytes, std::numeric_limits<int64_t>::max());
}

Result<EvictResult> SpaceManager::trim_unused(std::chrono::seconds unused_for) {
  std::lock_guard lock(evict_mu_);
  const int64_t cutoff = to_ns(wall_now()) - unused_for.count() * 1'000'000'000LL;
  return evict(namespaces(), std::numeric_limits<uint64_t>::max(), cutoff);
}

}  // namespace gcfs::fusefs
