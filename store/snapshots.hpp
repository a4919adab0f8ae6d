// Snapshots of namespaces and their export/import archives (issue 4).
//
// A snapshot is a hidden, read-only column family of the same RocksDB store,
// captured by hard-linking the namespace's SST files (instant whatever the
// size). Free functions rather than Store methods keep the Store interface
// unchanged; `store` must come from open_rocks_store (not_supported else).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "store/progress.hpp"
#include "store/store.hpp"

namespace gcfs {

struct SnapshotInfo {
  std::string name;
  uint32_t id = 0;         // id of its column family (shared counter with namespaces)
  std::string source_ns;   // namespace it was taken from (or imported as)
  int64_t created = 0;     // unix seconds
  std::string go_version;  // "go1.19.8" when the source name looks like one, else ""
  NsStats stats;           // the snapshot's own counters
};

// Snapshot names follow the namespace name rules.
Result<SnapshotInfo> create_snapshot(Store& store, std::string_view name, std::string_view ns);
Result<std::vector<SnapshotInfo>> list_snapshots(Store& store);
Result<SnapshotInfo> find_snapshot(Store& store, std::string_view name);
Status delete_snapshot(Store& store, std::string_view name);

struct SwapResult {
  NsId old_id = 0;            // the replaced live family, now a snapshot
  NsId new_id = 0;            // the namespace's new id
  std::string auto_snapshot;  // name the old content is kept under
};

// Replaces the content of namespace `ns` with a copy of snapshot `snap` in
// one atomic registry batch. Operations already addressed to the old id (the
// kernel's cached inodes, open files) finish on the old family, which stays
// reachable by id and is kept as snapshot `auto-<ns>-<unix time>`.
Result<SwapResult> swap_snapshot(Store& store, std::string_view snap, std::string_view ns);

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
};

// Streams snapshot `name` to `path` (written as path.tmp, renamed at the end).
Result<ArchiveSummary> export_snapshot(Store& store, std::string_view name, const std::string& path,
                                       const Progress& progress = {});

// Verifies the whole archive, then writes it into a new family registered as
// snapshot `as_name` (as_namespace: as namespace `as_name` instead). A bad
// archive is refused with a one-line reason and nothing changes.
Result<ArchiveSummary> import_archive(Store& store, const std::string& path,
                                      std::string_view as_name, bool as_namespace,
                                      const Progress& progress = {});

// The checks of import's first pass alone (nothing is written).
Result<ArchiveSummary> check_archive(const std::string& path, uint32_t chunk_size,
                                     const Progress& progress = {});

// "go1.19.8" style names (go + digits and dots, optional pre-release suffix).
bool looks_like_go_version(std::string_view name);

}  // namespace gcfs
