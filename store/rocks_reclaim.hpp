// Reclaims disk space when a write was refused for lack of it: data deleted
// since (unlinked files) stays on disk until a compaction drops it, so one
// background thread flushes the memtables and compacts every namespace.
#pragma once

#include <rocksdb/db.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace gcfs {

class SpaceReclaimer {
 public:
  // A family to compact, and what keeps its handle alive meanwhile (a
  // namespace may be dropped during a run).
  struct Family {
    std::shared_ptr<void> keep;
    rocksdb::ColumnFamilyHandle* cf;
  };
  using Families = std::function<std::vector<Family>()>;
  SpaceReclaimer(rocksdb::DB* db, Families families);
  ~SpaceReclaimer();  // stops and joins: call before the DB closes
  // Asks for a run; coalesces requests and runs at most every few seconds.
  void request();

 private:
  void loop();
  rocksdb::DB* db_;
  Families families_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool requested_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace gcfs
