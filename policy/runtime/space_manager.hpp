// The space policy in action, over a Store: compaction rounds, the size
// limits with least-recently-used eviction, and the manual triggers
// gocachectl exposes (compact, evict --to, trim --unused-for). Decisions come
// from policy/space.hpp; the store does the work. No FUSE types: what the
// kernel must learn about an eviction is the Evictor's business.
//
// Thread-safety: evictions (enforce_limits, evict_to, trim_unused) are
// serialized among themselves, compactions among themselves; the two kinds
// run in parallel (the space worker has a thread for each).
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "policy/rules/space.hpp"
#include "policy/runtime/space_counters.hpp"
#include "store/store.hpp"

namespace gcfs::policy {

struct SpaceOptions {
  policy::SizeLimits limits;
  policy::CompactionConfig compaction;
  // Namespaces the limits and compactions apply to (empty: all of them).
  std::optional<NsId> only_ns;
  // Entries used within this time are never evicted, nor anything of a
  // namespace within this time after a snapshot swap (policy::
  // eviction_cutoff_ns); a limit that cannot be met otherwise is exceeded.
  // Default: 10 minutes.
  std::chrono::seconds protect_recent{600};
};

// Carries out one eviction: Store::unlink_if_unused, then whatever must
// follow. The daemon's (fs_space.cpp) keeps the kernel's view right and
// checks the uses it has not written to the index yet; without one, the
// orphan is purged at once (no kernel holds it).
class Evictor {
 public:
  virtual ~Evictor() = default;
  virtual Result<UnlinkIf> evict(NsId ns, Ino parent, const std::string& name, Ino ino,
                                 int64_t used_before_ns) = 0;
};

struct EvictResult {
  uint64_t files = 0;
  uint64_t bytes = 0;  // estimated live bytes freed
  // Bytes still wanted when only entries in use were left (0: met).
  uint64_t short_bytes = 0;
};

class SpaceManager {
 public:
  SpaceManager(Store& store, SpaceOptions options, Evictor* evictor = nullptr);

  const SpaceOptions& options() const { return options_; }

  // Evicts least recently used entries while a limit is exceeded, down to
  // the low watermark. Returns what went.
  Result<EvictResult> enforce_limits();
  // One compaction round: each namespace per plan_compaction. `cancel`
  // stops it early.
  Status compaction_round(std::atomic<bool>* cancel = nullptr);

  // One settling pass over the namespaces (Store::settle), counted; stops
  // at the first namespace that was not finished (a writer came, cancel).
  // `from_sequence`: the store's write sequence seen idle (0: the current).
  Result<SettleResult> settle_round(std::atomic<bool>* cancel = nullptr,
                                    uint64_t from_sequence = 0);

  // ---- manual triggers (gocachectl) --------------------------------------
  // Compacts one namespace (or all) completely, at normal priority.
  Status compact_now(std::optional<NsId> ns = std::nullopt);
  // Evicts least recently used entries until all namespaces together hold
  // at most `bytes` live bytes. Entries used within protect_recent (or in a
  // namespace swapped since) stay unless `include_recent`; open entries and
  // those the kernel holds stay always. short_bytes: what was kept.
  Result<EvictResult> evict_to(uint64_t bytes, bool include_recent = false);
  // Evicts every entry not used for `unused_for` (same protection).
  Result<EvictResult> trim_unused(std::chrono::seconds unused_for, bool include_recent = false);

  // Live bytes of the namespaces the limits apply to.
  Result<std::map<NsId, uint64_t>> usage();

  // ---- what protects entries in use ---------------------------------------
  // Go action entries (-a) used at `time_ns`: their outputs (-d) count as
  // used then too, because the go command stats an output without the
  // daemon seeing it and opens it later. Reads each entry's 175 bytes.
  void note_action_uses(NsId ns, const std::vector<std::pair<Ino, int64_t>>& uses);
  // A snapshot swap gave a namespace the id `ns`.
  void note_swap(NsId ns);
  // Bytes over a size limit that the last enforce_limits() left because
  // only entries in use remained (0: the limits are met).
  uint64_t in_use_excess_bytes() const { return in_use_excess_.load(); }

  // Compactions and evictions done so far (for the metrics).
  const SpaceCounters& counters() const { return counters_; }

 private:
  std::vector<NsId> namespaces();
  // Compacts the key ranges whose values a settling pass replaced.
  Status compact_settled(NsId ns, const SettleResult& settled, std::atomic<bool>* cancel);
  // Evicts from `nss`, oldest first across them, until `want` bytes went or
  // only entries used at or after `before_ns` (or in use) are left.
  Result<EvictResult> evict(const std::vector<NsId>& nss, uint64_t want, int64_t before_ns,
                            bool include_recent = false);
  Result<EvictResult> evict_from(const std::vector<NsId>& nss, uint64_t want, int64_t before_ns,
                                 bool include_recent, std::map<NsId, EvictResult>& by_ns);
  // Evicts one entry (and its action output) last used before `cutoff`.
  // nullopt: it was stale or is in use (nothing done).
  Result<std::optional<EvictResult>> evict_entry(NsId ns, const LruEntry& e, int64_t cutoff);
  // The cutoff of a namespace (policy::eviction_cutoff_ns).
  int64_t cutoff_of(NsId ns, int64_t now_ns, int64_t requested_ns, bool include_recent);
  // Whether output `id` of namespace `ns` was named by an action used at or
  // after `cutoff`.
  bool output_in_use(NsId ns, std::string_view id, int64_t cutoff);
  // Counts a round of enforce_limits that left `short_bytes` in use.
  void note_in_use(uint64_t short_bytes);
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
  std::unique_ptr<Evictor> own_evictor_;  // when none was given
  Evictor* evictor_;
  std::mutex evict_mu_;
  std::mutex compact_mu_;
  std::map<NsId, policy::CompactionMemory> memory_;  // guarded by compact_mu_
  SpaceCounters counters_;
  // Outputs named by recently used actions, and swap times, per namespace
  // id; entries older than protect_recent are dropped as they are noted.
  std::mutex recent_mu_;
  std::map<NsId, std::unordered_map<std::string, int64_t>> recent_outputs_;  // guarded
  std::map<NsId, int64_t> swapped_at_;                                       // guarded
  std::atomic<uint64_t> in_use_excess_{0};
};

}  // namespace gcfs::policy
