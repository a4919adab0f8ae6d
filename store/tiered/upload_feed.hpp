// Entries committed locally, waiting to be read back from the store and
// handed to the uploader. A FUSE request (the writer's close) only pushes
// two numbers here; one thread of its own does the reading, so no request
// waits for the store's reads of a large output, nor for the network.
//
// Bounded in entries: push() never waits; beyond capacity an entry is
// dropped (and the caller counts it). Lock order: mu_ only, never held
// while the handler runs.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

#include "store/types.hpp"

namespace gcfs::tiered {

class UploadFeed {
 public:
  using Handler = std::function<void(NsId, Ino)>;
  UploadFeed(size_t capacity, Handler handler);
  ~UploadFeed();  // stop()
  UploadFeed(const UploadFeed&) = delete;
  UploadFeed& operator=(const UploadFeed&) = delete;

  // false: full or stopped (dropped).
  bool push(NsId ns, Ino ino);
  // Handles what is queued (unmount: the store is still open), then joins.
  void stop();
  size_t size();

 private:
  void run();
  const size_t capacity_;
  const Handler handler_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<NsId, Ino>> queue_;  // guarded by mu_
  bool stop_ = false;                       // guarded by mu_
  std::thread thread_;
};

}  // namespace gcfs::tiered
