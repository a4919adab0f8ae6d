// RocksDB health figures and the store's self-healing state, as plain values
// for metrics and health checks (no backend types leak out of store/).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/types.hpp"

namespace gcfs {

struct NsPhysical {
  NsId ns = 0;
  uint64_t bytes = 0;           // SST and blob files of the namespace's column family
  uint64_t memtable_bytes = 0;  // written but not flushed to a file yet (in memory + WAL)
};

struct EngineStats {
  // rocksdb.background-errors: background errors since the store opened.
  uint64_t background_errors = 0;
  // rocksdb.is-write-stopped: writes are stalled completely.
  bool write_stopped = false;
  // rocksdb.actual-delayed-write-rate: bytes/s while writes are slowed, 0 otherwise.
  uint64_t delayed_write_rate = 0;
  // rocksdb.estimate-pending-compaction-bytes, summed over the column families.
  uint64_t pending_compaction_bytes = 0;
  // Self-healing: db->Resume() retries after a transient background error.
  uint64_t resume_attempts = 0;
  uint64_t resume_failures = 0;
  // Read-only mode: set once the store cannot be written safely; every write
  // is then refused with Errc::read_only.
  bool read_only = false;
  std::string read_only_reason;
  uint64_t read_only_refusals = 0;
  std::vector<NsPhysical> ns_physical;
  // Memory RocksDB holds, for attributing the daemon's resident memory: the
  // shared block cache (its capacity, what it holds, the pinned part of that),
  // every family's memtables (active and not yet flushed) and the table
  // readers' indexes and filters kept outside the cache.
  uint64_t block_cache_capacity = 0;
  uint64_t block_cache_usage = 0;
  uint64_t block_cache_pinned = 0;
  uint64_t memtables_bytes = 0;
  uint64_t table_readers_bytes = 0;
};

}  // namespace gcfs
