// The daemon's operations side, started once the store is open: the metrics
// endpoint (--metrics-listen), the disk guard (--min-free) and the heap
// trimmer (heap.hpp). Destroyed before the store closes.
#pragma once

#include <memory>
#include <string>

#include "fusefs/daemon/heap.hpp"
#include "policy/runtime/disk_guard.hpp"
#include "store/result.hpp"

namespace gcfs {
namespace policy {
class SpaceManager;
}  // namespace policy
class Store;
}  // namespace gcfs

namespace gcfs::fusefs {

class Filesystem;

struct OperationsOptions {
  // "HOST:PORT" or "off". Default: 127.0.0.1:9868 (loopback only).
  std::string metrics_listen = "127.0.0.1:9868";
  policy::DiskGuardOptions disk;
};

class Operations {
 public:
  ~Operations();
  // For the space policy to plug its eviction in.
  policy::DiskGuard& disk_guard() { return *guard_; }

 private:
  friend Result<std::unique_ptr<Operations>> start_operations(const OperationsOptions&, Store&,
                                                              Filesystem&,
                                                              const policy::SpaceManager&);
  Operations() = default;
  bool serving_ = false;
  std::unique_ptr<policy::DiskGuard> guard_;
  std::unique_ptr<HeapTrimmer> trimmer_;
};

// `space` must outlive the Operations (its counters are scraped).
Result<std::unique_ptr<Operations>> start_operations(const OperationsOptions& o, Store& store,
                                                     Filesystem& fs,
                                                     const policy::SpaceManager& space);

}  // namespace gcfs::fusefs
