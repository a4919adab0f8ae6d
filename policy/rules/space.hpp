// Space decisions beyond the compaction tier: which namespace blocks to
// compact, when to stop, how much to evict, and how the Go command's action
// entries pair with their outputs. Pure functions of plain snapshots: no
// I/O, no store types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/rules/compaction.hpp"

namespace gcfs::policy {

// ---- compaction -------------------------------------------------------------

struct BlockView {
  double occupancy = 1.0;  // estimated live / bytes
  uint64_t bytes = 0;
};

struct NsView {
  uint64_t live_bytes = 0;
  uint64_t physical_bytes = 0;
  std::vector<BlockView> blocks;
  uint64_t garbage() const { return physical_bytes > live_bytes ? physical_bytes - live_bytes : 0; }
};

struct CompactionConfig {
  CompactionThresholds thresholds;
  // Namespaces smaller than this are left alone: SST overhead dominates and
  // there is little to win. Default: 32 MiB.
  uint64_t min_physical_bytes = uint64_t{32} << 20;
  // Compact only when at least this much more garbage than the last
  // compaction left behind has built up (no compaction loop on overhead a
  // rewrite cannot remove). Default: 16 MiB.
  uint64_t min_garbage_bytes = uint64_t{16} << 20;
  // Background tier: blocks below this occupancy are "worst"; compact them
  // (worst first) up to this many bytes per round.
  // Default: 0.85 and 256 MiB.
  double worst_block_below = 0.85;
  uint64_t background_budget_bytes = uint64_t{256} << 20;
};

// What the worker remembers of a namespace between rounds.
struct CompactionMemory {
  bool urgent = false;         // urgent until back above background_below
  uint64_t garbage_floor = 0;  // garbage the last compaction could not remove
};

struct CompactionPlan {
  CompactionTier tier = CompactionTier::none;
  bool whole = false;          // the whole family
  std::vector<size_t> blocks;  // else: indices into NsView::blocks, worst first
};

CompactionPlan plan_compaction(const NsView& ns, const CompactionMemory& memory,
                               const CompactionConfig& config = {});
// Updates the memory with the state seen after a round (compacted or not).
void remember(CompactionMemory& memory, const NsView& after, const CompactionPlan& done,
              const CompactionConfig& config = {});

// ---- size limit -------------------------------------------------------------

struct SizeLimits {
  uint64_t max_bytes = 0;       // per mount; 0: none
  uint64_t ns_max_bytes = 0;    // per namespace; 0: none
  double low_watermark = 0.90;  // evict down to this fraction of a limit
};

// Bytes to evict: 0 while usage <= limit, else down to the low watermark.
uint64_t bytes_to_free(uint64_t usage, uint64_t limit, double low_watermark);
// A single file larger than a limit can never fit: refused (EFBIG).
bool too_big(uint64_t file_bytes, const SizeLimits& limits);
// Smallest limit that applies to one file (UINT64_MAX when none).
uint64_t file_size_limit(const SizeLimits& limits);

// ---- Go cache layout --------------------------------------------------------

// True for "<64 hex>-a".
bool is_action_entry(std::string_view name);
// The output ID of an action entry's content
// ("v1 <actionID> <outputID> <size> <time>\n"), nullopt if malformed.
std::optional<std::string> action_output(std::string_view content);
// Directory and name of an output in the cache: {"ab", "ab...-d"}.
std::pair<std::string, std::string> output_location(std::string_view output_id);
// An action's output goes with it unless used after the action was.
bool evict_output_with_action(int64_t action_last_use_ns, int64_t output_last_use_ns);
// The output ID of "<64 hex>-d", nullopt for any other name.
std::optional<std::string_view> output_entry_id(std::string_view name);

// ---- entries in use ---------------------------------------------------------

// The go command checks an entry (reads its -a, stats its -d) and opens the
// -d later in the same build, seconds or minutes later. So an entry used
// within `protect_ns` of `now_ns` is never evicted, and neither is anything
// of a namespace for `protect_ns` after a snapshot swap replaced its content
// (`swapped_at_ns`, 0: never): builds that started before the swap checked
// their entries in the replaced content. Entries last used before the
// returned time may go; `requested_ns` (e.g. a trim's cutoff) can only make
// it earlier.
int64_t eviction_cutoff_ns(int64_t now_ns, int64_t protect_ns, int64_t swapped_at_ns,
                           int64_t requested_ns);
// A protection time shorter than this is shorter than a build (a cold
// `go build std` takes 20-60 s on a CI machine): eviction may then take an
// entry a running build checked and opens later, and the build fails
// (docs/space.md). Allowed, as a test may want it, but the daemon says so.
inline constexpr int64_t kShortestSafeProtectSeconds = 120;

}  // namespace gcfs::policy
