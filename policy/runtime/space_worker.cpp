#include "fusefs/space_worker.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "fusefs/guarded.hpp"

namespace gcfs::fusefs {

SpaceWorker::SpaceWorker(Store& store, SpaceManager& manager, UseTracker& uses,
                         SpaceWorkerOptions options)
    : store_(store), manager_(manager), uses_(uses), options_(options) {}

SpaceWorker::~SpaceWorker() { stop(); }

void SpaceWorker::start() {
  limits_thread_ = std::thread([this] { limits_loop(); });
  compaction_thread_ = std::thread([this] { compaction_loop(); });
}

void SpaceWorker::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cancel_ = true;
  cv_.notify_all();
  if (limits_thread_.joinable()) limits_thread_.join();
  if (compaction_thread_.joinable()) compaction_thread_.join();
  // What the last seconds used survives the unmount.
  guarded("space: recording uses", [&] { flush_uses(); });
}

void SpaceWorker::wake() {
  std::lock_guard lock(mu_);
  if (woken_) return;
  woken_ = true;
  cv_.notify_all();
}

void SpaceWorker::flush_uses() {
  for (auto& [ns, d] : uses_.drain()) {
    // not_found: dropped, or swapped out (a snapshot now: its index stays).
    if (Status s = store_.record_uses(ns, d.uses); !s && s.code() != Errc::not_found) {
      spdlog::warn("space: recording uses in namespace {}: {}", ns, s.error().message());
    }
    manager_.note_action_uses(ns, d.actions);
  }
}

// One round of each loop runs through guarded(): an exception is logged and
// the loop carries on at its next round (thread boundary, guarded.hpp).
void SpaceWorker::limits_loop() {
  const auto& l = manager_.options().limits;
  const bool limited = l.max_bytes != 0 || l.ns_max_bytes != 0;
  auto next_flush = std::chrono::steady_clock::now();
  while (true) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_until(lock, next_flush, [&] { return stop_ || woken_; });
      if (stop_) return;
      woken_ = false;
    }
    if (!guarded("space: limits", [&] { limits_round(limited, &next_flush); })) {
      // Not at once again: a round that throws would spin.
      next_flush = std::chrono::steady_clock::now() + options_.use_interval;
    }
  }
}

void SpaceWorker::limits_round(bool limited, std::chrono::steady_clock::time_point* next_flush) {
  const auto& l = manager_.options().limits;
  const auto now = std::chrono::steady_clock::now();
  bool over = false;
  if (limited) {
    if (auto use = manager_.usage()) {
      uint64_t total = 0;
      for (const auto& [ns, bytes] : *use) {
        total += bytes;
        over = over || (l.ns_max_bytes != 0 && bytes > l.ns_max_bytes);
      }
      over = over || (l.max_bytes != 0 && total > l.max_bytes);
    }
  }
  // Uses go to the index every interval, and before any eviction so that
  // what a build just used is not what goes.
  if (over || now >= *next_flush) {
    flush_uses();
    *next_flush = now + options_.use_interval;
  }
  if (over) {
    if (auto r = manager_.enforce_limits(); !r) {
      spdlog::error("space: eviction failed: {}", r.error().message());
    }
  }
}

void SpaceWorker::compaction_loop() {
  while (true) {
    {
      std::unique_lock lock(mu_);
      if (cv_.wait_for(lock, options_.compaction_interval, [&] { return stop_; })) return;
    }
    guarded("space: compaction", [&] {
      if (Status s = manager_.compaction_round(&cancel_); !s) {
        spdlog::error("space: compaction failed: {}", s.error().message());
      }
      log_space();
    });
  }
}

void SpaceWorker::log_space() {
  auto all = store_.space_all();
  if (!all) return;
  auto line = [](const SpaceStats& s) {
    return fmt::format(
        "logical={} stored={} live={} physical={} sst={} wal={} occupancy={:.4f} histogram={}",
        s.logical_bytes, s.stored_bytes, s.live_bytes, s.physical_bytes, s.sst_bytes, s.wal_bytes,
        s.occupancy(), fmt::join(s.histogram, ","));
  };
  for (const auto& ns : all->namespaces) {
    spdlog::debug("space: ns={} {}", ns.name, line(ns.stats));
  }
  spdlog::debug("space: total {}", line(all->total));
}

}  // namespace gcfs::fusefs
