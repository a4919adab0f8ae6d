#include "store/local/rocks_reclaim.hpp"

#include <spdlog/spdlog.h>

namespace gcfs {

namespace {

// Less deleted data than this is not worth a compaction.
constexpr uint64_t kWorthReclaiming = uint64_t{4} << 20;

}  // namespace

SpaceReclaimer::SpaceReclaimer(Families families, Compact compact)
    : families_(std::move(families)),
      compact_(std::move(compact)),
      loop_("store: reclaiming deleted data", BackgroundLoop::kOnWake, [this] {
        run();
        // Coalesce: a burst of refused writes triggers one run every few seconds.
        loop_.pause(std::chrono::seconds(2));
      }) {
  loop_.start(/*at_once=*/false);
}

SpaceReclaimer::~SpaceReclaimer() {
  cancel_ = true;
  loop_.stop();
}

void SpaceReclaimer::request() { loop_.wake(); }

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
