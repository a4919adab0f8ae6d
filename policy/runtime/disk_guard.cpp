#include "policy/runtime/disk_guard.hpp"

#include <spdlog/spdlog.h>
#include <sys/statvfs.h>

namespace gcfs::policy {

DiskGuard::DiskGuard(DiskGuardOptions o)
    : o_(std::move(o)), loop_("disk guard", o_.interval, [this] { check(); }) {}

DiskGuard::~DiskGuard() { stop(); }

void DiskGuard::set_eviction(Evict evict) {
  std::lock_guard lock(mu_);
  evict_ = std::move(evict);
}

void DiskGuard::start() {
  if (o_.min_free_pct <= 0) return;
  loop_.start();
}

void DiskGuard::stop() { loop_.stop(); }

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
    low_events_.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("store disk {} has {:.1f}% free, below --min-free {}%", o_.path, pct,
                 o_.min_free_pct);
  }
  if (!evict_) {
    if (crossed) spdlog::warn("store disk low: no eviction available to free {} bytes", wanted);
    return;
  }
  Evict evict = evict_;
  lock.unlock();
  evictions_requested_.fetch_add(1, std::memory_order_relaxed);
  const uint64_t freed = evict(wanted);
  bytes_evicted_.fetch_add(freed, std::memory_order_relaxed);
  spdlog::info("store disk low ({:.1f}% free < {}%): eviction freed {} of {} bytes wanted", pct,
               o_.min_free_pct, freed, wanted);
}

}  // namespace gcfs::policy
