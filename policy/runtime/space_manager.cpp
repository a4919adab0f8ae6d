#include "policy/runtime/space_manager.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>
#include <limits>
#include <set>
#include <span>

namespace gcfs::policy {

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

// Without a kernel, an orphan is referenced by nothing: purge it at once.
class StoreEvictor final : public Evictor {
 public:
  explicit StoreEvictor(Store& store) : store_(store) {}
  Result<UnlinkIf> evict(NsId ns, Ino parent, const std::string& name, Ino ino,
                         int64_t used_before_ns) override {
    auto r = store_.unlink_if_unused(ns, parent, name, ino, used_before_ns, wall_now());
    if (r && *r == UnlinkIf::unlinked) {
      if (Status s = store_.purge(ns, ino); !s) return s;
    }
    return r;
  }

 private:
  Store& store_;
};

SpaceManager::SpaceManager(Store& store, SpaceOptions options, Evictor* evictor)
    : store_(store), options_(options) {
  if (evictor == nullptr) {
    own_evictor_ = std::make_unique<StoreEvictor>(store);
    evictor = own_evictor_.get();
  }
  evictor_ = evictor;
}

int64_t SpaceManager::cutoff_of(NsId ns, int64_t now_ns, int64_t requested_ns,
                                bool include_recent) {
  // The operator asked for recent entries too; the Evictor still keeps
  // open ones and those the kernel holds.
  if (include_recent) return std::min(now_ns, requested_ns);
  int64_t swapped = 0;
  {
    std::lock_guard lock(recent_mu_);
    if (auto it = swapped_at_.find(ns); it != swapped_at_.end()) swapped = it->second;
  }
  const int64_t protect = std::chrono::nanoseconds(options_.protect_recent).count();
  return policy::eviction_cutoff_ns(now_ns, protect, swapped, requested_ns);
}

void SpaceManager::note_swap(NsId ns) {
  std::lock_guard lock(recent_mu_);
  swapped_at_[ns] = to_ns(wall_now());
}

void SpaceManager::note_action_uses(NsId ns, const std::vector<std::pair<Ino, int64_t>>& uses) {
  std::vector<std::pair<std::string, int64_t>> outputs;
  char buf[200];
  for (const auto& [ino, time] : uses) {
    auto n = store_.read(ns, ino, 0, std::span<char>(buf, sizeof buf));
    if (!n) continue;  // gone meanwhile: nothing to protect
    if (auto out = policy::action_output(std::string_view(buf, *n))) {
      outputs.emplace_back(std::move(*out), time);
    }
  }
  const int64_t drop_before =
      to_ns(wall_now()) - std::chrono::nanoseconds(options_.protect_recent).count();
  std::lock_guard lock(recent_mu_);
  // Bounded by the actions used within protect_recent.
  for (auto& [id, m] : recent_outputs_) {
    std::erase_if(m, [&](const auto& kv) { return kv.second < drop_before; });
  }
  std::erase_if(recent_outputs_, [](const auto& kv) { return kv.second.empty(); });
  std::erase_if(swapped_at_, [&](const auto& kv) { return kv.second < drop_before; });
  if (outputs.empty()) return;
  auto& m = recent_outputs_[ns];
  for (auto& [out, time] : outputs) {
    int64_t& t = m[std::move(out)];
    t = std::max(t, time);
  }
}

bool SpaceManager::output_in_use(NsId ns, std::string_view id, int64_t cutoff) {
  std::lock_guard lock(recent_mu_);
  auto it = recent_outputs_.find(ns);
  if (it == recent_outputs_.end()) return false;
  auto o = it->second.find(std::string(id));
  return o != it->second.end() && o->second >= cutoff;
}

void SpaceManager::note_in_use(uint64_t short_bytes) {
  const uint64_t before = in_use_excess_.exchange(short_bytes);
  if (short_bytes == 0) {
    if (before != 0) spdlog::info("space: the size limits are met again");
    return;
  }
  counters_.limit_in_use();
  // Once per episode: the health check and the metric carry it meanwhile.
  if (before == 0) {
    spdlog::warn(
        "space: the size limit is below the working set: {} bytes over it are held by entries "
        "used in the last {} s (or in a namespace swapped since); they are kept, the limit is "
        "exceeded",
        short_bytes, options_.protect_recent.count());
  }
}

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
    // Short of the low watermark is fine; over the limit itself is not.
    done.short_bytes +=
        policy::bytes_to_free(bytes - std::min(bytes, r->bytes), l.ns_max_bytes, 1.0);
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
    done.short_bytes += policy::bytes_to_free(total - std::min(total, r->bytes), l.max_bytes, 1.0);
  }
  if (done.files > 0) {
    spdlog::info("space: evicted {} files ({} bytes) to stay under the size limit", done.files,
                 done.bytes);
  }
  note_in_use(done.short_bytes);
  return done;
}

Result<EvictResult> SpaceManager::evict(const std::vector<NsId>& nss, uint64_t want,
                                        int64_t before_ns, bool include_recent) {
  std::map<NsId, EvictResult> by_ns;
  auto r = evict_from(nss, want, before_ns, include_recent, by_ns);
  // Counted even when a later entry failed: these files are gone.
  for (const auto& [ns, d] : by_ns) {
    if (auto name = name_of(ns)) counters_.eviction(*name, d.files, d.bytes);
  }
  return r;
}

Result<EvictResult> SpaceManager::evict_from(const std::vector<NsId>& nss, uint64_t want,
                                             int64_t before_ns, bool include_recent,
                                             std::map<NsId, EvictResult>& by_ns) {
  EvictResult done;
  const int64_t now = to_ns(wall_now());
  std::map<NsId, int64_t> cutoff;
  for (NsId ns : nss) cutoff[ns] = cutoff_of(ns, now, before_ns, include_recent);
  std::set<std::pair<NsId, Ino>> skipped;  // stale or in use: not offered again this call
  while (done.bytes < want) {
    // The oldest entries of every namespace, merged oldest first.
    std::vector<std::pair<NsId, LruEntry>> cands;
    for (NsId ns : nss) {
      auto list = store_.lru_oldest(ns, kBatch + skipped.size());
      if (!list) {
        if (list.code() == Errc::not_found) continue;  // dropped or swapped out meanwhile
        return list.status();
      }
      for (auto& e : *list) {
        // Each list is oldest first: the rest of it is in use too.
        if (e.last_use_ns >= cutoff[ns]) break;
        if (!skipped.contains({ns, e.ino})) cands.emplace_back(ns, std::move(e));
      }
    }
    std::stable_sort(cands.begin(), cands.end(), [](const auto& a, const auto& b) {
      return a.second.last_use_ns < b.second.last_use_ns;
    });
    if (cands.empty()) break;
    for (const auto& [ns, e] : cands) {
      if (done.bytes >= want) return done;
      auto r = evict_entry(ns, e, cutoff[ns]);
      if (!r) {
        if (r.code() == Errc::not_found) continue;  // dropped or swapped out meanwhile
        return r.status();
      }
      if (!r->has_value()) {
        skipped.insert({ns, e.ino});
        continue;
      }
      const EvictResult& one = **r;
      done.files += one.files;
      done.bytes += one.bytes;
      by_ns[ns].files += one.files;
      by_ns[ns].bytes += one.bytes;
    }
  }
  if (done.bytes < want) done.short_bytes = want - done.bytes;
  return done;
}

Result<std::optional<EvictResult>> SpaceManager::evict_entry(NsId ns, const LruEntry& e,
                                                             int64_t cutoff) {
  using Outcome = std::optional<EvictResult>;
  // An output a recent action names is in use, whatever its own index says.
  if (auto id = policy::output_entry_id(e.name); id && output_in_use(ns, *id, cutoff)) {
    return Outcome();
  }
  auto attr = store_.getattr(ns, e.ino);
  if (!attr) return attr.code() == Errc::not_found ? Result<Outcome>(Outcome()) : attr.status();
  // An action entry names its output: read it before the data goes.
  std::optional<std::string> output;
  if (policy::is_action_entry(e.name)) {
    char buf[200];
    if (auto n = store_.read(ns, e.ino, 0, std::span<char>(buf, sizeof buf))) {
      output = policy::action_output(std::string_view(buf, *n));
    }
  }
  auto r = evictor_->evict(ns, e.parent, e.name, e.ino, cutoff);
  if (!r) return r.status();
  if (*r != UnlinkIf::unlinked) return Outcome();  // renamed, replaced, removed or used since
  EvictResult done;
  done.files = 1;
  done.bytes = attr->stored + kEntryOverhead;
  if (!output || output_in_use(ns, *output, cutoff)) return Outcome(done);
  // The output goes too unless something used it after this action.
  auto root = store_.parent_of(ns, e.parent);
  if (!root) return Outcome(done);
  const auto [dir_name, out_name] = policy::output_location(*output);
  auto dir = store_.lookup(ns, *root, dir_name);
  if (!dir) return Outcome(done);
  auto out = store_.lookup(ns, dir->ino, out_name);
  if (!out) return Outcome(done);
  // evict_output_with_action: not used after the action (nor within the cutoff).
  const int64_t used_before = std::min(cutoff, e.last_use_ns + 1);
  auto ro = evictor_->evict(ns, dir->ino, out_name, out->ino, used_before);
  if (!ro) return ro.code() == Errc::not_found ? Result<Outcome>(Outcome(done)) : ro.status();
  if (*ro == UnlinkIf::unlinked) {
    done.files++;
    done.bytes += out->stored + kEntryOverhead;
  }
  return Outcome(done);
}

Result<SettleResult> SpaceManager::settle_round(std::atomic<bool>* cancel, uint64_t from_sequence) {
  timespec t0{}, t1{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
  SettleResult total;
  total.complete = true;
  total.sequence = from_sequence;
  for (NsId ns : namespaces()) {
    SettleRequest req;
    req.cancel = cancel;
    // Each namespace's pass starts where the previous one's own writes ended:
    // a write in between (a build) stops the round.
    req.from_sequence = total.sequence;
    timespec wall{};
    ::clock_gettime(CLOCK_REALTIME, &wall);  // the clock of the writes' ctimes
    req.now = Timespec{wall.tv_sec, static_cast<uint32_t>(wall.tv_nsec)};
    auto r = store_.settle(ns, req);
    if (!r) {
      if (r.code() == Errc::not_found) continue;  // dropped meanwhile
      total.complete = false;
      counters_.settle_pass(false, 0);
      return r.status();
    }
    if (auto name = name_of(ns))
      counters_.settled(*name, r->files, r->bytes_before, r->bytes_after);
    if (r->files > 0) {
      spdlog::info("space: namespace {} settled: {} files, {} chunks, {} -> {} bytes{}", ns,
                   r->files, r->chunks, r->bytes_before, r->bytes_after,
                   r->complete ? "" : " (stopped early: the store is in use)");
    }
    if (!r->ranges.empty()) {
      // Not fatal: the occupancy rules reclaim the space later.
      if (Status s = compact_settled(ns, *r, cancel); !s) {
        spdlog::warn("space: compacting namespace {} after settling: {}", ns, s.error().message());
      }
    }
    total.sequence = r->sequence;
    total.files += r->files;
    total.chunks += r->chunks;
    total.bytes_before += r->bytes_before;
    total.bytes_after += r->bytes_after;
    if (!r->complete) {
      total.complete = false;
      break;
    }
  }
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
  const double cpu = static_cast<double>(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
  counters_.settle_pass(total.complete, cpu);
  if (total.files > 0) {
    spdlog::info("space: settling pass {}: {} files, {} -> {} bytes, {:.2f} s CPU",
                 total.complete ? "done" : "stopped", total.files, total.bytes_before,
                 total.bytes_after, cpu);
  }
  return total;
}

Status SpaceManager::compact_settled(NsId ns, const SettleResult& settled,
                                     std::atomic<bool>* cancel) {
  // The replaced values are garbage now, all of it in these ranges: rewrite
  // them at once (at background priority, the store being idle) rather than
  // wait for the occupancy rules, which leave a namespace under
  // min_physical_bytes alone and would keep both copies.
  std::lock_guard lock(compact_mu_);
  auto st = store_.space(ns);
  if (!st) return st.code() == Errc::not_found ? Status::ok() : st.status();
  CompactRequest req;
  req.low_priority = true;
  req.cancel = cancel;
  req.ranges = settled.ranges;
  const auto start = std::chrono::steady_clock::now();
  if (Status s = store_.compact(ns, req); !s) return s;
  auto after = store_.space(ns);
  if (!after) return after.status();
  count_compaction(ns, CompactionKind::background, start, st->sst_bytes + st->memtable_bytes,
                   after->sst_bytes + after->memtable_bytes);
  spdlog::info("space: namespace {} compacted after settling: physical {} -> {} bytes", ns,
               st->physical_bytes, after->physical_bytes);
  return Status::ok();
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

Result<EvictResult> SpaceManager::evict_to(uint64_t bytes, bool include_recent) {
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
  return evict(all, total - bytes, std::numeric_limits<int64_t>::max(), include_recent);
}

Result<EvictResult> SpaceManager::trim_unused(std::chrono::seconds unused_for,
                                              bool include_recent) {
  std::lock_guard lock(evict_mu_);
  const int64_t cutoff = to_ns(wall_now()) - unused_for.count() * 1'000'000'000LL;
  return evict(namespaces(), std::numeric_limits<uint64_t>::max(), cutoff, include_recent);
}

}  // namespace gcfs::policy
