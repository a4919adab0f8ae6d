// Store configuration. Plain struct; every field says its default.
#pragma once

#include <cstdint>
#include <string>

namespace gcfs {

struct StoreOptions {
  // Directory holding the RocksDB files. Created if missing.
  // Default: none (required).
  std::string path;

  // Size of the unit a file's data is split into, compressed and checksummed.
  // Fixed when the store is created (recorded in the store; a different value
  // on reopen is ignored in favour of the recorded one).
  // Default: 128 KiB.
  uint32_t chunk_size = 128 * 1024;

  // Files up to this size keep their data inside the inode record, so a
  // getattr + read of a small file is one point read.
  // Default: 4 KiB.
  uint32_t inline_max = 4096;

  // Values at least this large go to RocksDB blob files, out of the LSM tree;
  // 0 keeps everything in SST files. Off by default: RocksDB 7.8 cannot
  // export or import blob files with a column family, and hard-linked column
  // family export/import is what makes snapshots instant (docs/design.md).
  // Default: 0 (off).
  uint32_t min_blob_size = 0;

  // Largest file the store accepts (EFBIG beyond).
  // Default: 64 GiB.
  uint64_t max_file_size = uint64_t{64} << 30;

  // Refuse writes (ENOSPC) when the store's disk would have less than this
  // many bytes free after the write, so RocksDB never hits a full disk mid-way.
  // Default: 16 MiB.
  uint64_t reserve_bytes = uint64_t{16} << 20;

  // RocksDB block cache for metadata, small files and the SST index and
  // filter blocks (so they do not grow outside it with the store's size).
  // Default: 64 MiB.
  uint64_t block_cache_bytes = uint64_t{64} << 20;

  // Memtable budget per column family.
  // Default: 32 MiB.
  uint64_t write_buffer_bytes = uint64_t{32} << 20;

  // Memtable budget of all column families together: past it the largest
  // memtable is flushed, so many namespaces do not multiply memory.
  // Default: 64 MiB.
  uint64_t memtable_total_bytes = uint64_t{64} << 20;

  // Write rate of a background (low-priority) compaction, bytes/s; urgent
  // compactions are not throttled.
  // Default: 32 MiB/s.
  int64_t background_compaction_rate = int64_t{32} << 20;

  // Open without writing anything (gocachectl inspection).
  // Default: false.
  bool read_only = false;

  // Create the store if it does not exist.
  // Default: true.
  bool create_if_missing = true;
};

}  // namespace gcfs
