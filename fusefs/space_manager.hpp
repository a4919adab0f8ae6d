// The space policy in action, over a Store: compaction rounds, the size
// limits with least-recently-used eviction, and the manual triggers
// gocachectl exposes (compact, evict --to, trim --unused-for). Decisions come
// from policy/space.hpp; the store does the work. No FUSE types: what the
// kernel must learn about an eviction goes through the `evicted` hook.
//
// Thread-safety: evictions (enforce_limits, evict_to, trim_unused) are
// serialized among themselves, compactions among themselves; the two kinds
// run in parallel (the space worker has a thread for each).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "fusefs/space_counters.hpp"
#include "policy/space.hpp"
#include "store/store.hpp"

namespace gcfs::fusefs {

struct SpaceOptions {
  policy::SizeLimits limits;
  policy::CompactionConfig compaction;
  // Namespaces the limits and compactions apply to (empty: all of them).
  std::optional<NsId> only_ns;
};

// An evicted entry: unlinked in the store, still to be dropped from the
// kernel's view (and purged once nothing holds it).
struct Evicted {
  NsId ns = 0;
  Ino ino = 0;
  Ino parent = 0;
  std::string name;
};

struct EvictResult {
  uint64_t files = 0;
  uint64_t bytes = 0;  // estimated live bytes freed
};

class SpaceManager {
 public:
  using EvictHook = std::function<void(const Evicted&)>;
  // Without a hook, an evicted file is purged at once (no kernel to tell).
  SpaceManager(Store& store, SpaceOptions options, EvictHook hook = {});

  const SpaceOptions& options() const { return options_; }

  // Evicts least recently used entries while a limit is exceeded, down to
  // the low watermark. Returns what went.
  Result<EvictResult> enforce_limits();
  // One compaction round: each namespace per plan_compaction. `cancel`
  // stops it early.
  Status compaction_round(std::atomic<bool>* cancel = nullptr);

  // ---- manual triggers (gocachectl) --------------------------------------
  // Compacts one namespace (or all) completely, at normal priority.
  Status compact_now(std::optional<NsId> ns = std::nullopt);
  // Evicts least recently used entries until all namespaces together hold
  // at most `bytes` live bytes.
  Result<EvictResult> evict_to(uint64_t bytes);
  // Evicts every entry not used for `unused_for`.
  Result<EvictResult> trim_unused(std::chrono::seconds unused_for);

  // Live bytes of the namespaces the limits apply to.
  Result<std::map<NsId, uint64_t>> usage();

  // Compactions and evictions done so far (for the metrics).
  const SpaceCounters& counters() const { return counters_; }

 private:
  std::vector<NsId> namespaces();
  // Evicts from `nss`, oldest first across them, until `want` bytes went or
  // the next entry was used at or after `before_ns`.
  Result<EvictResult> evict(const std::vector<NsId>& nss, uint64_t want, int64_t before_ns);
  Result<EvictResult> evict_from(const std::vector<NsId>& nss, uint64_t want, int64_t before_ns,
                                 std::map<NsId, EvictResult>& by_ns);
  // Evicts one entry (and its action output); 0 files if it was stale.
  Result<EvictResult> evict_entry(NsId ns, const LruEntry& e);
  Status unlink_one(NsId ns, Ino parent, const std::string& name, Ino ino);
  // SST + memtable bytes of a namespace (what a compaction can shrink).
  std::optional<uint64_t> held_bytes(NsId ns);
  // Counts a finished compaction: its duration from `start`, and the bytes
  // it reclaimed if both sizes are known.
  void count_compaction(NsId ns, CompactionKind kind, std::chrono::steady_clock::time_point start,
                        std::optional<uint64_t> held_before, std::optional<uint64_t> held_after);
  // The namespace's name for the counters; nullopt once it is dropped (its
  // series would outlive it under a bare id).
  std::optional<std::string> name_of(NsId ns);

  Store& store_;
  SpaceOptions options_;
  EvictHook hook_;
  std::mutex evict_mu_;
  std::mutex compact_mu_;
  std::map<NsId, policy::CompactionMemory> memory_;  // guarded by compact_mu_
  SpaceCounters counters_;
};

}  // namespace gcfs::fusefs
