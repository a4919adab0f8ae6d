#include "store/rocks_reclaim.hpp"

#include <spdlog/spdlog.h>

namespace gcfs {

namespace {

// Less deleted data than this is not worth a compaction.
constexpr uint64_t kWorthReclaiming = uint64_t{4} << 20;

}  // namespace

SpaceReclaimer::SpaceReclaimer(Families families, Compact compact)
    : families_(std::move(families)), compact_(std::move(compact)), thread_([this] { loop(); }) {}

SpaceReclaimer::~SpaceReclaimer() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cancel_ = true;
  cv_.notify_all();
  thread_.join();
}

void SpaceReclaimer::request() {
  {
    std::lock_guard lock(mu_);
    requested_ = true;
  }
  cv_.notify_all();
}

void SpaceReclaimer::loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return requested_ || stop_; });
    if (stop_) return;
    requested_ = false;
    lock.unlock();
    run();
    lock.lock();
    // Coalesce: a burst of refused writes triggers one run every few seconds.
    cv_.wait_for(lock, std::chrono::seconds(2), [this] { return stop_; });
  }
}

void SpaceReclaimer::run() {
  for (const Family& f : families_()) {
    if (cancel_) return;
    if (f.sst_bytes < f.live_bytes + kWorthReclaiming) continue;
    const uint64_t dead = f.sst_bytes - f.live_bytes;
    spdlog::info(
        "store disk nearly full: compacting namespace {} to reclaim ~{} bytes of deleted "
        "data",
        f.ns, dead);
    if (auto s = compact_(f.ns, &cancel_); !s) {
      spdlog::warn("store disk full: cannot reclaim namespace {}'s deleted data: {}", f.ns,
                   s.error().message());
    }
  }
}

}  // namespace gcfs
