#include "fusefs/daemon/operations.hpp"

#include <spdlog/spdlog.h>

#include "fusefs/daemon/metrics_fs.hpp"
#include "fusefs/daemon/metrics_space.hpp"
#include "fusefs/filesystem.hpp"

namespace gcfs::fusefs {

namespace {

// The disk guard's counters (policy/runtime keeps them as plain atomics).
void collect_disk_guard(Families& out, const policy::DiskGuard& g) {
  auto counter = [&](const char* name, const char* help, uint64_t v) {
    auto f = counter_family(name, help);
    add_sample(f, static_cast<double>(v));
    out.push_back(std::move(f));
  };
  counter("gocachefs_disk_low_events_total",
          "Times the store disk's free space dropped below --min-free", g.low_events());
  counter("gocachefs_disk_low_evictions_requested_total",
          "Evictions asked for because the store disk was below --min-free",
          g.evictions_requested());
  counter("gocachefs_disk_low_evicted_bytes_total",
          "Bytes freed by evictions asked for because of low disk space", g.bytes_evicted());
  auto floor =
      gauge_family("gocachefs_disk_min_free_ratio", "The --min-free floor, as a ratio of the disk");
  add_sample(floor, g.options().min_free_pct / 100.0);
  out.push_back(std::move(floor));
}

// Freed memory is given back at most this often, once at least this much of
// it waits: a trim walks every arena (ms), a soak freed tens of MiB at a time.
constexpr std::chrono::seconds kHeapTrimInterval{30};
constexpr uint64_t kHeapTrimMinFree = uint64_t{16} << 20;

void collect_heap_trims(Families& out, const HeapTrimmer& t) {
  const HeapTrimStats s = t.stats();
  auto trims = counter_family("gocachefs_heap_trims_total",
                              "Times freed heap memory was given back to the system");
  add_sample(trims, static_cast<double>(s.trims));
  out.push_back(std::move(trims));
  auto released = counter_family("gocachefs_heap_trimmed_bytes_total",
                                 "Resident memory the heap trims gave back");
  add_sample(released, static_cast<double>(s.released_bytes));
  out.push_back(std::move(released));
}

}  // namespace

Result<std::unique_ptr<Operations>> start_operations(const OperationsOptions& o, Store& store,
                                                     Filesystem& fs,
                                                     const policy::SpaceManager& space) {
  std::unique_ptr<Operations> ops(new Operations);
  Metrics& m = Metrics::instance();
  add_filesystem_metrics(m, store, fs.activity(), fs.nodes());
  add_space_metrics(m, store, space);
  if (o.metrics_listen != "off") {
    if (Status s = m.listen(o.metrics_listen); !s) {
      // Several mounts on one machine share the default port: only the first
      // gets it, the others mount without metrics. A chosen address must work.
      if (o.metrics_listen != OperationsOptions().metrics_listen) {
        m.clear_collectors();
        return s.error();
      }
      spdlog::warn("{}; serving no metrics (choose a port with --metrics-listen)",
                   s.error().message());
    } else {
      ops->serving_ = true;
      spdlog::info("metrics on http://{}/metrics", o.metrics_listen);
    }
  }
  ops->guard_ = std::make_unique<policy::DiskGuard>(o.disk);
  m.add_collector([guard = ops->guard_.get()](Families& out) { collect_disk_guard(out, *guard); });
  ops->guard_->start();
  ops->trimmer_ = std::make_unique<HeapTrimmer>(kHeapTrimInterval, kHeapTrimMinFree);
  m.add_collector([t = ops->trimmer_.get()](Families& out) { collect_heap_trims(out, *t); });
  ops->trimmer_->start();
  return ops;
}

Operations::~Operations() {
  if (guard_) guard_->stop();
  if (trimmer_) trimmer_->stop();
  Metrics& m = Metrics::instance();
  m.stop();  // no scrape may run once the collectors' store goes
  m.clear_collectors();
}

}  // namespace gcfs::fusefs
