#include "policy/rules/space.hpp"

#include <algorithm>
#include <limits>
#include <numeric>

namespace gcfs::policy {

CompactionPlan plan_compaction(const NsView& ns, const CompactionMemory& memory,
                               const CompactionConfig& config) {
  CompactionPlan plan;
  if (ns.physical_bytes < config.min_physical_bytes) return plan;
  if (ns.garbage() < memory.garbage_floor + config.min_garbage_bytes) return plan;
  const Occupancy occ{ns.live_bytes, ns.physical_bytes};
  plan.tier = compaction_tier(occ, config.thresholds);
  // Hysteresis: once urgent, stay urgent until back above the background mark.
  if (memory.urgent && occ.ratio() < config.thresholds.background_below) {
    plan.tier = CompactionTier::urgent;
  }
  if (plan.tier == CompactionTier::none) return plan;
  if (plan.tier == CompactionTier::urgent) {
    plan.whole = true;
    return plan;
  }
  std::vector<size_t> order(ns.blocks.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return ns.blocks[a].occupancy < ns.blocks[b].occupancy;
  });
  uint64_t budget = 0;
  for (size_t i : order) {
    if (ns.blocks[i].occupancy >= config.worst_block_below) break;
    if (budget >= config.background_budget_bytes) break;
    plan.blocks.push_back(i);
    budget += ns.blocks[i].bytes;
  }
  // No block stands out (the garbage is spread evenly): rewrite them all.
  if (plan.blocks.empty()) plan.whole = true;
  return plan;
}

void remember(CompactionMemory& memory, const NsView& after, const CompactionPlan& done,
              const CompactionConfig& config) {
  const double ratio = Occupancy{after.live_bytes, after.physical_bytes}.ratio();
  if (done.tier == CompactionTier::none) {
    // Garbage removed by other means (automatic compactions, deletes of
    // whole files) lowers the floor again.
    memory.garbage_floor = std::min(memory.garbage_floor, after.garbage());
    if (ratio >= config.thresholds.background_below) memory.urgent = false;
    return;
  }
  memory.garbage_floor = after.garbage();
  memory.urgent = done.tier == CompactionTier::urgent && ratio < config.thresholds.background_below;
}

uint64_t bytes_to_free(uint64_t usage, uint64_t limit, double low_watermark) {
  if (limit == 0 || usage <= limit) return 0;
  const auto target = static_cast<uint64_t>(static_cast<double>(limit) * low_watermark);
  return usage > target ? usage - target : 0;
}

uint64_t file_size_limit(const SizeLimits& limits) {
  uint64_t l = std::numeric_limits<uint64_t>::max();
  if (limits.max_bytes != 0) l = std::min(l, limits.max_bytes);
  if (limits.ns_max_bytes != 0) l = std::min(l, limits.ns_max_bytes);
  return l;
}

bool too_big(uint64_t file_bytes, const SizeLimits& limits) {
  return file_bytes > file_size_limit(limits);
}

namespace {
bool is_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}
}  // namespace

bool is_action_entry(std::string_view name) {
  return name.size() == 66 && name.ends_with("-a") && is_hex(name.substr(0, 64));
}

std::optional<std::string> action_output(std::string_view content) {
  // "v1 " + 64 hex + " " + 64 hex + " " ...
  if (content.size() < 3 + 64 + 1 + 64 + 1 || !content.starts_with("v1 ")) return std::nullopt;
  const std::string_view action = content.substr(3, 64), output = content.substr(68, 64);
  if (content[67] != ' ' || content[132] != ' ' || !is_hex(action) || !is_hex(output)) {
    return std::nullopt;
  }
  return std::string(output);
}

std::pair<std::string, std::string> output_location(std::string_view output_id) {
  return {std::string(output_id.substr(0, 2)), std::string(output_id) + "-d"};
}

bool evict_output_with_action(int64_t action_last_use_ns, int64_t output_last_use_ns) {
  return output_last_use_ns <= action_last_use_ns;
}

std::optional<std::string_view> output_entry_id(std::string_view name) {
  if (name.size() != 66 || !name.ends_with("-d") || !is_hex(name.substr(0, 64))) {
    return std::nullopt;
  }
  return name.substr(0, 64);
}

int64_t eviction_cutoff_ns(int64_t now_ns, int64_t protect_ns, int64_t swapped_at_ns,
                           int64_t requested_ns) {
  if (swapped_at_ns != 0 && now_ns - swapped_at_ns < protect_ns) {
    return std::numeric_limits<int64_t>::min();  // nothing of it goes yet
  }
  return std::min(now_ns - protect_ns, requested_ns);
}

}  // namespace gcfs::policy
