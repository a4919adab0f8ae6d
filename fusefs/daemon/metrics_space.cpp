#include "fusefs/daemon/metrics_space.hpp"

#include "policy/runtime/space_manager.hpp"
#include "store/store.hpp"

namespace gcfs::fusefs {

namespace {

void collect_config(Families& out, const policy::SpaceOptions& o) {
  // Only with --max-size: the alerts compare the store's size with this
  // gauge, and a 0 ("no limit") would make every unlimited mount "over".
  // Without a sample the comparison is empty and the alerts stay quiet.
  if (o.limits.max_bytes > 0) {
    auto limit = gauge_family("gocachefs_size_limit_bytes",
                              "The --max-size limit of the mount's live data (absent: none)");
    add_sample(limit, static_cast<double>(o.limits.max_bytes));
    out.push_back(std::move(limit));
  }
  auto threshold = gauge_family("gocachefs_compaction_threshold_ratio",
                                "Occupancy under which a namespace's background compaction starts");
  add_sample(threshold, o.compaction.thresholds.background_below);
  out.push_back(std::move(threshold));
}

prometheus::MetricFamily durations(const policy::SpaceCountersSnapshot& snap) {
  auto f = histogram_family("gocachefs_compaction_duration_seconds",
                            "Time a compaction of one namespace took, by kind");
  for (size_t k = 0; k < policy::kCompactionKinds; ++k) {
    const policy::DurationHistogram& h = snap.durations[k];
    add_histogram(f, policy::kCompactionBounds, h.buckets, h.count, h.sum_seconds,
                  {{"kind", policy::compaction_kind_name(static_cast<policy::CompactionKind>(k))}});
  }
  return f;
}

void collect_counters(Families& out, Store& store, const policy::SpaceManager& space) {
  policy::SpaceCountersSnapshot snap = space.counters().snapshot();
  // Every namespace gets its series from the start (at 0), so that rates
  // and the dashboard's panels work before the first compaction.
  if (auto list = store.list_namespaces()) {
    for (const auto& ns : *list) snap.ns.try_emplace(ns.name);
  }
  auto runs = counter_family("gocachefs_compactions_total",
                             "Compactions of a namespace finished, by kind "
                             "(background, urgent: the space worker; manual: gocachectl compact)");
  auto compacted = counter_family(
      "gocachefs_compacted_bytes_total",
      "Bytes compactions reclaimed: the namespace's SST + memtable bytes before minus after "
      "(0 for a compaction that writes meanwhile outgrew)");
  auto evictions =
      counter_family("gocachefs_evictions_total",
                     "Files evicted (size limits, gocachectl evict and trim, --min-free)");
  auto evicted = counter_family("gocachefs_evicted_bytes_total",
                                "Live bytes freed by eviction (estimated: file data and overhead)");
  auto settled = counter_family("gocachefs_settled_files_total",
                                "Files whose stored data settling recompressed with LZ4HC");
  auto settled_bytes = counter_family(
      "gocachefs_settled_bytes_total",
      "Stored bytes of the data settling rewrote, before and after (their difference is saved "
      "once a compaction drops the old values)");
  for (const auto& [name, c] : snap.ns) {
    add_sample(settled, static_cast<double>(c.settled_files), {{"namespace", name}});
    add_sample(settled_bytes, static_cast<double>(c.settled_bytes_before),
               {{"namespace", name}, {"state", "before"}});
    add_sample(settled_bytes, static_cast<double>(c.settled_bytes_after),
               {{"namespace", name}, {"state", "after"}});
    for (size_t k = 0; k < policy::kCompactionKinds; ++k) {
      add_sample(runs, static_cast<double>(c.compactions[k]),
                 {{"kind", policy::compaction_kind_name(static_cast<policy::CompactionKind>(k))},
                  {"namespace", name}});
    }
    add_sample(compacted, static_cast<double>(c.compacted_bytes), {{"namespace", name}});
    add_sample(evictions, static_cast<double>(c.evictions), {{"namespace", name}});
    add_sample(evicted, static_cast<double>(c.evicted_bytes), {{"namespace", name}});
  }
  for (auto* f : {&runs, &compacted, &evictions, &evicted, &settled, &settled_bytes}) {
    out.push_back(std::move(*f));
  }
  auto passes = counter_family("gocachefs_settle_passes_total",
                               "Settling passes over an idle store, by result (complete, or "
                               "stopped: a writer came and the rest waits for the next pass)");
  add_sample(passes, static_cast<double>(snap.settle_complete), {{"result", "complete"}});
  add_sample(passes, static_cast<double>(snap.settle_stopped), {{"result", "stopped"}});
  out.push_back(std::move(passes));
  auto cpu = counter_family("gocachefs_settle_cpu_seconds_total",
                            "CPU time settling took (one thread at the lowest priority)");
  add_sample(cpu, snap.settle_cpu_seconds);
  out.push_back(std::move(cpu));
  out.push_back(durations(snap));
  auto blocked = counter_family(
      "gocachefs_eviction_limit_in_use_total",
      "Eviction rounds that left a size limit exceeded because only entries in use were left");
  add_sample(blocked, static_cast<double>(snap.limit_in_use_rounds));
  out.push_back(std::move(blocked));
  auto excess = gauge_family(
      "gocachefs_size_limit_in_use_excess_bytes",
      "Live bytes over a size limit held by entries in use (used within --protect-recent, or "
      "in a namespace swapped since): the limit is below the working set (0: limits met)");
  add_sample(excess, static_cast<double>(space.in_use_excess_bytes()));
  out.push_back(std::move(excess));
}

}  // namespace

void add_space_metrics(Metrics& m, Store& store, const policy::SpaceManager& space) {
  m.add_collector([&space](Families& out) { collect_config(out, space.options()); });
  m.add_collector([&store, &space](Families& out) { collect_counters(out, store, space); });
}

}  // namespace gcfs::fusefs
