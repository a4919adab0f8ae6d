#include "fusefs/disk_guard.hpp"

#include <spdlog/spdlog.h>
#include <sys/statvfs.h>

#include "fusefs/metrics.hpp"

namespace gcfs::fusefs {

DiskGuard::DiskGuard(DiskGuardOptions o)
    : o_(std::move(o)),
      low_events_(Metrics::instance().counter(
          "gocachefs_disk_low_events_total",
          "Times the store disk's free space dropped below --min-free")),
      evictions_requested_(Metrics::instance().counter(
          "gocachefs_disk_low_evictions_requested_total",
          "Evictions asked for because the store disk was below --min-free")),
      bytes_evicted_(Metrics::instance().counter(
          "gocachefs_disk_low_evicted_bytes_total",
          "Bytes freed by evictions asked for because of low disk space")) {
  Metrics::instance()
      .gauge("gocachefs_disk_min_free_ratio", "The --min-free floor, as a ratio of the disk")
      .Set(o_.min_free_pct / 100.0);
}

DiskGuard::~DiskGuard() { stop(); }

void DiskGuard::set_eviction(Evict evict) {
  std::lock_guard lock(mu_);
  evict_ = std::move(evict);
}

void DiskGuard::start() {
  if (o_.min_free_pct <= 0) return;
  thread_.start(
      o_.interval,
      [this] {
        check();
        return true;
      },
      "disk guard");
}

void DiskGuard::stop() { thread_.stop(); }

void DiskGuard::check() {
  struct statvfs vfs {};
  if (::statvfs(o_.path.c_str(), &vfs) != 0 || vfs.f_blocks == 0) return;
  const double total = static_cast<double>(vfs.f_blocks) * vfs.f_frsize;
  const double free = static_cast<double>(vfs.f_bavail) * vfs.f_frsize;
  const double pct = 100.0 * free / total;
  std::unique_lock lock(mu_);
  if (pct >= o_.min_free_pct) {
    if (low_) spdlog::info("store disk {} has {:.1f}% free again", o_.path, pct);
    low_ = false;
    return;
  }
  const bool crossed = !low_;
  low_ = true;
  // Free enough to get one percent point above the floor (hysteresis).
  const auto wanted = static_cast<uint64_t>((o_.min_free_pct + 1.0) / 100.0 * total - free);
  if (crossed) {
    low_events_.Increment();
    spdlog::warn("store disk {} has {:.1f}% free, below --min-free {}%", o_.path, pct,
                 o_.min_free_pct);
  }
  if (!evict_) {
    if (crossed) spdlog::warn("store disk low: no eviction available to free {} bytes", wanted);
    return;
  }
  Evict evict = evict_;
  lock.unlock();
  evictions_requested_.Increment();
  const uint64_t freed = evict(wanted);
  bytes_evicted_.Increment(static_cast<double>(freed));
  spdlog::info("store disk low ({:.1f}% free < {}%): eviction freed {} of {} bytes wanted", pct,
               o_.min_free_pct, freed, wanted);
}

}  // namespace gcfs::fusefs
