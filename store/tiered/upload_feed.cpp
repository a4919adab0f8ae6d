#include "store/tiered/upload_feed.hpp"

#include "store/guarded.hpp"

namespace gcfs::tiered {

UploadFeed::UploadFeed(size_t capacity, Handler handler)
    : capacity_(capacity), handler_(std::move(handler)), thread_([this] { run(); }) {}

UploadFeed::~UploadFeed() { stop(); }

bool UploadFeed::push(NsId ns, Ino ino) {
  {
    std::lock_guard lock(mu_);
    if (stop_ || queue_.size() >= capacity_) return false;
    queue_.emplace_back(ns, ino);
  }
  cv_.notify_one();
  return true;
}

size_t UploadFeed::size() {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void UploadFeed::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void UploadFeed::run() {
  for (;;) {
    std::pair<NsId, Ino> item;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopped and drained
      item = queue_.front();
      queue_.pop_front();
    }
    guarded("remote upload feed", [&] { handler_(item.first, item.second); });
  }
}

}  // namespace gcfs::tiered
