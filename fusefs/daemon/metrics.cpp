#include "fusefs/daemon/metrics.hpp"

#include <fmt/format.h>
#include <prometheus/collectable.h>
#include <prometheus/exposer.h>

#include <limits>

#include "store/guarded.hpp"

namespace gcfs::fusefs {

// Scrape-time families: the registered collector functions, in order.
class Metrics::Collector final : public prometheus::Collectable {
 public:
  explicit Collector(const Metrics& m) : m_(m) {}
  Families Collect() const override {
    std::vector<std::function<void(Families&)>> fns;
    {
      std::lock_guard lock(m_.mu_);
      fns = fns_;
    }
    Families out;
    // Runs on the exposer's HTTP thread: a collector that throws loses its
    // families for this scrape, not the daemon.
    for (const auto& fn : fns) guarded("metrics collector", [&] { fn(out); });
    return out;
  }
  std::vector<std::function<void(Families&)>> fns_;  // guarded by Metrics::mu_

 private:
  const Metrics& m_;
};

Metrics& Metrics::instance() {
  static Metrics* m = new Metrics;  // leaked: collectors may run during exit
  return *m;
}

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      collector_(std::make_shared<Collector>(*this)) {}

Metrics::~Metrics() = default;

prometheus::Counter& Metrics::counter(const std::string& name, const std::string& help,
                                      const prometheus::Labels& labels) {
  std::lock_guard lock(mu_);
  return prometheus::BuildCounter().Name(name).Help(help).Register(*registry_).Add(labels);
}

prometheus::Gauge& Metrics::gauge(const std::string& name, const std::string& help,
                                  const prometheus::Labels& labels) {
  std::lock_guard lock(mu_);
  return prometheus::BuildGauge().Name(name).Help(help).Register(*registry_).Add(labels);
}

prometheus::Histogram& Metrics::histogram(const std::string& name, const std::string& help,
                                          const prometheus::Histogram::BucketBoundaries& buckets,
                                          const prometheus::Labels& labels) {
  std::lock_guard lock(mu_);
  return prometheus::BuildHistogram()
      .Name(name)
      .Help(help)
      .Register(*registry_)
      .Add(labels, buckets);
}

void Metrics::add_collector(std::function<void(Families&)> collect) {
  std::lock_guard lock(mu_);
  collector_->fns_.push_back(std::move(collect));
}

void Metrics::clear_collectors() {
  std::lock_guard lock(mu_);
  collector_->fns_.clear();
}

Status Metrics::listen(const std::string& address) {
  if (address.empty() || address.find(':') == std::string::npos) {
    return Error(Errc::invalid, fmt::format("metrics address '{}' is not HOST:PORT", address));
  }
  try {
    auto exposer = std::make_unique<prometheus::Exposer>(address, 1);
    exposer->RegisterCollectable(registry_);
    exposer->RegisterCollectable(collector_);
    std::lock_guard lock(mu_);
    exposer_ = std::move(exposer);
  } catch (const std::exception& e) {
    return Error(Errc::invalid, fmt::format("cannot serve metrics on {}: {}", address, e.what()));
  }
  return Status::ok();
}

void Metrics::stop() {
  std::unique_ptr<prometheus::Exposer> e;
  {
    std::lock_guard lock(mu_);
    e = std::move(exposer_);
  }
  e.reset();  // joins the HTTP threads outside the lock (a scrape may hold it)
}

Families Metrics::collect() const {
  Families out;
  {
    std::lock_guard lock(mu_);
    out = registry_->Collect();
  }
  auto more = collector_->Collect();
  out.insert(out.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  return out;
}

prometheus::MetricFamily gauge_family(const std::string& name, const std::string& help) {
  return {name, help, prometheus::MetricType::Gauge, {}};
}

prometheus::MetricFamily counter_family(const std::string& name, const std::string& help) {
  return {name, help, prometheus::MetricType::Counter, {}};
}

void add_sample(prometheus::MetricFamily& f, double value,
                std::vector<prometheus::ClientMetric::Label> labels) {
  prometheus::ClientMetric m;
  m.label = std::move(labels);
  if (f.type == prometheus::MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  f.metric.push_back(std::move(m));
}

prometheus::MetricFamily histogram_family(const std::string& name, const std::string& help) {
  return {name, help, prometheus::MetricType::Histogram, {}};
}

void add_histogram(prometheus::MetricFamily& f, std::span<const double> bounds,
                   std::span<const uint64_t> buckets, uint64_t count, double sum,
                   std::vector<prometheus::ClientMetric::Label> labels) {
  prometheus::ClientMetric m;
  m.label = std::move(labels);
  m.histogram.sample_count = count;
  m.histogram.sample_sum = sum;
  uint64_t cumulative = 0;
  for (size_t b = 0; b < buckets.size(); ++b) {
    cumulative += buckets[b];
    const double bound = b < bounds.size() ? bounds[b] : std::numeric_limits<double>::infinity();
    m.histogram.bucket.push_back({cumulative, bound});
  }
  f.metric.push_back(std::move(m));
}

}  // namespace gcfs::fusefs
