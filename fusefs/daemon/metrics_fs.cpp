#include "fusefs/daemon/metrics_fs.hpp"

#include <string.h>

#include <algorithm>
#include <map>

#include "fusefs/activity.hpp"
#include "fusefs/daemon/heap.hpp"
#include "fusefs/node_table.hpp"
#include "fusefs/ops/op_stats.hpp"
#include "store/store.hpp"

namespace gcfs::fusefs {

namespace {

using Label = prometheus::ClientMetric::Label;

std::string errno_label(int e) {
  if (e >= kMaxErrno) return "other";
  const char* n = strerrorname_np(e);
  return n ? n : std::to_string(e);
}

void collect_ops(Families& out) {
  const OpSnapshot snap = op_snapshot();
  auto ops = counter_family("gocachefs_fuse_operations_total", "FUSE requests by operation");
  auto errs = counter_family("gocachefs_fuse_operation_errors_total",
                             "FUSE requests answered with an error, by operation and errno");
  auto lat = histogram_family("gocachefs_fuse_operation_duration_seconds",
                              "Time from receiving a FUSE request to replying");
  for (size_t i = 0; i < kOpCount; ++i) {
    const OpTotals& t = snap.ops[i];
    const std::string op = op_name(static_cast<Op>(i));
    add_sample(ops, static_cast<double>(t.count), {{"op", op}});
    for (const auto& [e, n] : t.errors) {
      add_sample(errs, static_cast<double>(n), {{"errno", errno_label(e)}, {"op", op}});
    }
    add_histogram(lat, kLatencyBounds, t.buckets, t.count, t.sum_seconds, {{"op", op}});
  }
  auto rd = counter_family("gocachefs_read_bytes_total", "Logical bytes returned by read");
  add_sample(rd, static_cast<double>(snap.read_bytes));
  auto wr = counter_family("gocachefs_written_bytes_total", "Logical bytes accepted by write");
  add_sample(wr, static_cast<double>(snap.written_bytes));
  for (auto* f : {&ops, &errs, &lat, &rd, &wr}) out.push_back(std::move(*f));
}

void collect_store(Families& out, Store& store, Activity& activity) {
  const EngineStats eng = store.engine_stats();
  std::map<NsId, NsPhysical> physical;
  for (const auto& p : eng.ns_physical) physical[p.ns] = p;

  auto hits = counter_family("gocachefs_cache_hits_total",
                             "Go action entries (-a) opened for reading: cache hits");
  auto misses = counter_family("gocachefs_cache_misses_total",
                               "Lookups of Go action entries (-a) that do not exist: misses");
  auto files = gauge_family("gocachefs_namespace_files", "Regular files in the namespace");
  auto logical = gauge_family("gocachefs_namespace_logical_bytes",
                              "Sum of the namespace's file sizes (uncompressed)");
  auto stored = gauge_family("gocachefs_namespace_stored_bytes",
                             "The namespace's file data as stored (after LZ4)");
  auto phys = gauge_family("gocachefs_namespace_physical_bytes",
                           "SST and blob files of the namespace's column family on disk");
  auto mem = gauge_family("gocachefs_namespace_memtable_bytes",
                          "The namespace's writes not yet flushed to SST files (memtables)");
  auto occ = gauge_family(
      "gocachefs_namespace_occupancy_ratio",
      "Stored (live) bytes / (physical + memtable bytes), at most 1; 1 for an empty namespace");
  auto count = gauge_family("gocachefs_namespaces", "Namespaces in the store");
  auto list = store.list_namespaces();
  if (list) {
    add_sample(count, static_cast<double>(list->size()));
    for (const NsInfo& ns : *list) {
      std::vector<Label> l = {{"namespace", ns.name}};
      const NsActivity& a = activity.of(ns.id);
      add_sample(hits, static_cast<double>(a.hits.load(std::memory_order_relaxed)), l);
      add_sample(misses, static_cast<double>(a.misses.load(std::memory_order_relaxed)), l);
      auto st = store.stats(ns.id);
      if (!st) continue;  // dropped meanwhile
      const NsPhysical& p = physical[ns.id];
      // Memtables hold data not in files yet: counting them keeps the ratio
      // honest right after a burst of writes (live bytes would exceed files).
      const double held = static_cast<double>(p.bytes + p.memtable_bytes);
      add_sample(files, static_cast<double>(st->files), l);
      add_sample(logical, static_cast<double>(st->logical_bytes), l);
      add_sample(stored, static_cast<double>(st->stored_bytes), l);
      add_sample(phys, static_cast<double>(p.bytes), l);
      add_sample(mem, static_cast<double>(p.memtable_bytes), l);
      add_sample(occ, held == 0 ? 1.0 : std::min(1.0, static_cast<double>(st->stored_bytes) / held),
                 l);
    }
  }
  for (auto* f : {&hits, &misses, &files, &logical, &stored, &phys, &mem, &occ, &count}) {
    out.push_back(std::move(*f));
  }

  const StoreUsage u = store.usage();
  auto g = [&out](const char* name, const char* help, double v) {
    auto f = gauge_family(name, help);
    add_sample(f, v);
    out.push_back(std::move(f));
  };
  auto c = [&out](const char* name, const char* help, double v) {
    auto f = counter_family(name, help);
    add_sample(f, v);
    out.push_back(std::move(f));
  };
  g("gocachefs_store_physical_bytes", "All files of the store directory on disk",
    static_cast<double>(u.physical_bytes));
  g("gocachefs_store_disk_total_bytes", "Size of the filesystem holding the store",
    static_cast<double>(u.disk_total_bytes));
  g("gocachefs_store_disk_free_bytes", "Bytes available to the daemon on the store's filesystem",
    static_cast<double>(u.disk_free_bytes));
  c("gocachefs_rocksdb_background_errors_total",
    "RocksDB background errors since the store opened (rocksdb.background-errors)",
    static_cast<double>(eng.background_errors));
  g("gocachefs_rocksdb_write_stopped", "1 while RocksDB stops writes (rocksdb.is-write-stopped)",
    eng.write_stopped ? 1 : 0);
  g("gocachefs_rocksdb_delayed_write_rate_bytes_per_second",
    "Write rate RocksDB slows writers to; 0 without a stall (rocksdb.actual-delayed-write-rate)",
    static_cast<double>(eng.delayed_write_rate));
  g("gocachefs_rocksdb_pending_compaction_bytes",
    "Bytes RocksDB estimates its compactions still have to rewrite",
    static_cast<double>(eng.pending_compaction_bytes));
  c("gocachefs_store_resume_attempts_total",
    "Self-healing: db->Resume() retries after a transient background error",
    static_cast<double>(eng.resume_attempts));
  c("gocachefs_store_resume_failures_total", "Self-healing: Resume() retries that failed",
    static_cast<double>(eng.resume_failures));
  g("gocachefs_store_read_only", "1 once the store refuses writes (EROFS) as unsafe to write",
    eng.read_only ? 1 : 0);
  c("gocachefs_store_read_only_refusals_total", "Writes refused with EROFS in read-only mode",
    static_cast<double>(eng.read_only_refusals));

  // Where the resident memory goes: RocksDB's caches and buffers (the
  // configured budgets) and the heap around them (heap.hpp).
  auto memory = gauge_family("gocachefs_memory_bytes",
                             "Memory the daemon holds, by part (RocksDB properties, malloc)");
  add_sample(memory, static_cast<double>(eng.block_cache_usage), {{"part", "block_cache"}});
  add_sample(memory, static_cast<double>(eng.block_cache_pinned), {{"part", "block_cache_pinned"}});
  add_sample(memory, static_cast<double>(eng.memtables_bytes), {{"part", "memtables"}});
  add_sample(memory, static_cast<double>(eng.table_readers_bytes), {{"part", "table_readers"}});
  const HeapFigures heap = heap_figures();
  add_sample(memory, static_cast<double>(heap.in_use), {{"part", "heap_in_use"}});
  add_sample(memory, static_cast<double>(heap.free), {{"part", "heap_free"}});
  out.push_back(std::move(memory));
  g("gocachefs_memory_block_cache_capacity_bytes", "The block cache's size (--cache-size)",
    static_cast<double>(eng.block_cache_capacity));
}

void collect_process(Families& out) {
  auto rss =
      gauge_family("gocachefs_process_resident_memory_bytes", "Resident memory of the daemon");
  add_sample(rss, static_cast<double>(resident_bytes()));
  out.push_back(std::move(rss));
  auto info = gauge_family("gocachefs_build_info", "Version of the running daemon (always 1)");
  add_sample(info, 1, {{"version", GOCACHEFS_VERSION}});
  out.push_back(std::move(info));
}

void collect_nodes(Families& out, NodeTable& nodes) {
  auto cached = gauge_family("gocachefs_kernel_cached_inodes",
                             "Inodes the kernel references (the daemon keeps state for each)");
  add_sample(cached, static_cast<double>(nodes.size()));
  out.push_back(std::move(cached));
  auto pruned = counter_family("gocachefs_kernel_pruned_inodes_total",
                               "Unused inodes the kernel was asked to drop (--max-inodes)");
  add_sample(pruned, static_cast<double>(nodes.pruned()));
  out.push_back(std::move(pruned));
}

}  // namespace

void add_filesystem_metrics(Metrics& m, Store& store, Activity& activity, NodeTable& nodes) {
  m.add_collector([&nodes](Families& out) { collect_nodes(out, nodes); });
  m.add_collector(collect_ops);
  m.add_collector([&store, &activity](Families& out) { collect_store(out, store, activity); });
  m.add_collector(collect_process);
}

}  // namespace gcfs::fusefs
