#include "store/rocks_reclaim.hpp"

#include <spdlog/spdlog.h>

namespace gcfs {

SpaceReclaimer::SpaceReclaimer(rocksdb::DB* db, Families families)
    : db_(db), families_(std::move(families)), thread_([this] { loop(); }) {}

SpaceReclaimer::~SpaceReclaimer() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
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
    const std::vector<Family> families = families_();
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    for (const auto& f : families) handles.push_back(f.cf);
    spdlog::info("store disk nearly full: compacting {} families to reclaim deleted data",
                 handles.size());
    if (auto s = db_->Flush(rocksdb::FlushOptions(), handles); !s.ok()) {
      spdlog::warn("reclaim flush: {}", s.ToString());
    }
    rocksdb::CompactRangeOptions cro;
    cro.exclusive_manual_compaction = false;
    for (auto* cf : handles) {
      if (auto s = db_->CompactRange(cro, cf, nullptr, nullptr); !s.ok()) {
        spdlog::warn("reclaim compaction of {}: {}", cf->GetName(), s.ToString());
      }
    }
    lock.lock();
    // Coalesce: a burst of refused writes triggers one run every few seconds.
    cv_.wait_for(lock, std::chrono::seconds(2), [this] { return stop_; });
  }
}

}  // namespace gcfs
