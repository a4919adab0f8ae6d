#include "policy/runtime/space_worker.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "store/guarded.hpp"

namespace gcfs::policy {

SpaceWorker::SpaceWorker(Store& store, SpaceManager& manager, UseTracker& uses,
                         SpaceWorkerOptions options)
    : store_(store),
      manager_(manager),
      uses_(uses),
      options_(options),
      idle_flush_(options.idle_flush_after),
      settle_timer_(options.settle_after),
      limits_loop_("space: limits", options.use_interval, [this] { limits_round(); }),
      compaction_loop_("space: compaction", options.compaction_interval,
                       [this] { compaction_round(); }) {}

SpaceWorker::~SpaceWorker() { stop(); }

void SpaceWorker::start() {
  limits_loop_.start();
  compaction_loop_.start(/*at_once=*/false);
}

void SpaceWorker::stop() {
  cancel_ = true;
  limits_loop_.stop();
  compaction_loop_.stop();
  // What the last seconds used survives the unmount.
  guarded("space: recording uses", [&] { flush_uses(); });
}

void SpaceWorker::wake() { limits_loop_.wake(); }

void SpaceWorker::flush_uses() {
  for (auto& [ns, d] : uses_.drain()) {
    // not_found: dropped, or swapped out (a snapshot now: its index stays).
    if (Status s = store_.record_uses(ns, d.uses); !s && s.code() != Errc::not_found) {
      spdlog::warn("space: recording uses in namespace {}: {}", ns, s.error().message());
    }
    manager_.note_action_uses(ns, d.actions);
  }
}

// Each round runs through guarded() (BackgroundLoop): an exception is logged
// and the loop carries on at its next round. A commit wakes this loop.
void SpaceWorker::limits_round() {
  const auto& l = manager_.options().limits;
  const bool limited = l.max_bytes != 0 || l.ns_max_bytes != 0;
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
  if (over || now >= next_flush_) {
    flush_uses();
    next_flush_ = now + options_.use_interval;
  }
  limits_loop_.next_round_at(next_flush_);
  if (over) {
    if (auto r = manager_.enforce_limits(); !r) {
      spdlog::error("space: eviction failed: {}", r.error().message());
    }
  }
}

void SpaceWorker::compaction_round() {
  if (Status s = manager_.compaction_round(&cancel_); !s) {
    spdlog::error("space: compaction failed: {}", s.error().message());
  }
  // One read of the statistics serves both (it walks every namespace's counters).
  auto all = store_.space_all();
  if (!all) return;
  log_space(*all);
  flush_if_idle(*all);
  settle_if_idle();
}

void SpaceWorker::settle_if_idle() {
  const uint64_t idle_seq = store_.write_sequence();
  if (!settle_timer_.observe(idle_seq, std::chrono::steady_clock::now())) return;
  if (!niced_) {
    // This thread only asks for compactions (RocksDB's threads do them) and
    // settles: its CPU is the settling's, which must never slow a build.
    // Linux keeps a nice value per thread (setpriority(2), NOTES).
    if (::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 19) != 0) {
      spdlog::debug("space: cannot lower the settling thread's priority: {}", std::strerror(errno));
    }
    niced_ = true;
  }
  auto r = manager_.settle_round(&cancel_, idle_seq);
  if (!r) spdlog::warn("space: settling failed: {}", r.error().message());
  // Where the pass's own writes left the store: a write after that (during
  // the compaction, say) makes the next idle period settle again.
  settle_timer_.finished(r ? r->sequence : store_.write_sequence(), r && r->complete,
                         std::chrono::steady_clock::now());
  // What it wrote leaves the log at once: the idle store's footprint is its SSTs.
  if (r && r->files > 0) {
    if (Status s = store_.flush_memtables(); !s) {
      spdlog::warn("space: flushing after settling: {}", s.error().message());
    }
  }
}

void SpaceWorker::flush_if_idle(const StoreSpace& all) {
  if (!idle_flush_.observe(all.total.wal_bytes, std::chrono::steady_clock::now())) return;
  if (Status s = store_.flush_memtables(); !s) {
    spdlog::warn("space: flushing an idle store: {}", s.error().message());
    return;
  }
  auto after = store_.space_all();
  spdlog::info("space: store idle {} s: memtables flushed, write-ahead log {} -> {} bytes",
               options_.idle_flush_after.count() / 1000, all.total.wal_bytes,
               after ? after->total.wal_bytes : 0);
}

void SpaceWorker::log_space(const StoreSpace& all) {
  auto line = [](const SpaceStats& s) {
    return fmt::format(
        "logical={} stored={} live={} physical={} sst={} wal={} occupancy={:.4f} histogram={}",
        s.logical_bytes, s.stored_bytes, s.live_bytes, s.physical_bytes, s.sst_bytes, s.wal_bytes,
        s.occupancy(), fmt::join(s.histogram, ","));
  };
  for (const auto& ns : all.namespaces) {
    spdlog::debug("space: ns={} {}", ns.name, line(ns.stats));
  }
  spdlog::debug("space: total {}", line(all.total));
}

}  // namespace gcfs::policy
