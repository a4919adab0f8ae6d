// Snapshots of namespaces and their export/import archives: the value types
// of the Store's "snapshots and archives" methods (store.hpp).
//
// A snapshot is a hidden, read-only column family of the same RocksDB store,
// captured by hard-linking the namespace's SST files (instant whatever the
// size).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "store/progress.hpp"
#include "store/result.hpp"
#include "store/types.hpp"

namespace gcfs {

struct SnapshotInfo {
  std::string name;
  uint32_t id = 0;         // id of its column family (shared counter with namespaces)
  std::string source_ns;   // namespace it was taken from (or imported as)
  int64_t created = 0;     // unix seconds
  std::string go_version;  // "go1.19.8" when the source name looks like one, else ""
  NsStats stats;           // the snapshot's own counters
};

struct SwapResult {
  NsId old_id = 0;            // the replaced live family, now a snapshot
  NsId new_id = 0;            // the namespace's new id
  std::string auto_snapshot;  // name the old content is kept under
};

struct ArchiveSummary {
  std::string ns;  // namespace name recorded in the archive
  std::string go_version;
  int64_t created = 0;
  uint64_t entries = 0;
  uint64_t parts = 0;
  uint64_t logical_bytes = 0;
  uint64_t stored_bytes = 0;
  uint64_t files = 0;
  uint64_t archive_bytes = 0;
  std::string content_id;  // 32 hex digits; "" for an archive of format 1
  std::string base_id;     // a delta's base content; "" for a full archive
  uint64_t deltas = 0;     // deltas applied after the full archive (import)
};

// What a delta archive is taken against: a snapshot, or an archive file
// (e.g. the full archive a CI job restored). Both empty: a full archive.
struct DeltaBase {
  std::string snapshot;
  std::string archive;
};

// The checks of import's first pass alone (nothing is written).
Result<ArchiveSummary> check_archive(const std::string& path, uint32_t chunk_size,
                                     const Progress& progress = {});

// "go1.19.8" style names (go + digits and dots, optional pre-release suffix).
bool looks_like_go_version(std::string_view name);

}  // namespace gcfs
