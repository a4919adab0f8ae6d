// The daemon's Prometheus metrics (prometheus-cpp): one registry per process,
// served over HTTP by prometheus::Exposer on --metrics-listen.
//
// Registration API for the other subsystems (space policy, snapshots): event
// counts and durations are registered once and updated where they happen,
// e.g.
//   static auto& runs = Metrics::instance().counter(
//       "gocachefs_compactions_total", "Compaction runs", {{"namespace", ns}});
//   runs.Increment();
// Values that are cheap to read but expensive to track (store sizes) are
// computed at scrape time by a collector instead (add_collector).
// Hot-path counters (one per FUSE request) do not belong here: see op_stats.hpp.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "store/result.hpp"

namespace prometheus {
class Exposer;
}

namespace gcfs::fusefs {

using Families = std::vector<prometheus::MetricFamily>;

class Metrics {
 public:
  // The process-wide instance (exists whether or not it is served).
  static Metrics& instance();

  // Registers (or finds) the series `name{labels}`. Names follow Prometheus
  // conventions: gocachefs_ prefix, _total for counters, _seconds/_bytes units.
  prometheus::Counter& counter(const std::string& name, const std::string& help,
                               const prometheus::Labels& labels = {});
  prometheus::Gauge& gauge(const std::string& name, const std::string& help,
                           const prometheus::Labels& labels = {});
  prometheus::Histogram& histogram(const std::string& name, const std::string& help,
                                   const prometheus::Histogram::BucketBoundaries& buckets,
                                   const prometheus::Labels& labels = {});
  // `collect` appends families computed at scrape time (on the HTTP thread).
  void add_collector(std::function<void(Families&)> collect);
  void clear_collectors();

  // Serves /metrics on "HOST:PORT" (IPv6: "[::1]:PORT"); invalid or busy
  // addresses are an error. stop() ends serving.
  Status listen(const std::string& address);
  void stop();
  // Everything a scrape would return (tests, the health library's self-check).
  Families collect() const;

 private:
  Metrics();
  ~Metrics();
  class Collector;
  mutable std::mutex mu_;  // guards the registry calls and the collector list
  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<Collector> collector_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

// Helpers for collectors: one family with its samples.
prometheus::MetricFamily gauge_family(const std::string& name, const std::string& help);
prometheus::MetricFamily counter_family(const std::string& name, const std::string& help);
void add_sample(prometheus::MetricFamily& f, double value,
                std::vector<prometheus::ClientMetric::Label> labels = {});
prometheus::MetricFamily histogram_family(const std::string& name, const std::string& help);
// One histogram sample from per-bucket counts (`buckets` has one more entry
// than `bounds`: above the last bound), made cumulative as Prometheus wants.
void add_histogram(prometheus::MetricFamily& f, std::span<const double> bounds,
                   std::span<const uint64_t> buckets, uint64_t count, double sum,
                   std::vector<prometheus::ClientMetric::Label> labels);

}  // namespace gcfs::fusefs
