// Pass one of the integrity check: reads every record of a namespace once, in
// key order, verifies what a record proves on its own (key and value shapes,
// inode records, every chunk and inline datum), recounts the counters as
// recount() does, and keeps compact facts for the cross-checks of
// check_rules.cpp. About 150 bytes of facts per file are held meanwhile.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/check.hpp"
#include "store/local/check_view.hpp"
#include "store/progress.hpp"

namespace gcfs {

struct InodeFact {
  Ino ino = 0;
  uint32_t mode = 0;
  uint32_t nlink = 0;
  uint64_t size = 0;
  uint64_t stored = 0;
  Ino parent = 0;       // directories: the parent the record names
  int64_t used_ns = 0;  // max(atime, mtime): re-indexing time for the LRU
  uint32_t data_len = 0;
  bool chunked = false;
  bool xattrs = false;  // the record says it has `X` records
};

struct RefFact {  // one `D` record
  Ino child = 0;
  Ino parent = 0;
  uint32_t type = 0;  // S_IFMT bits the entry claims
};

struct ChunkFact {
  Ino ino = 0;
  uint64_t idx = 0;
  uint32_t size = 0;  // stored value bytes
};

struct MapFact {
  Ino ino = 0;
  std::vector<uint32_t> sizes;  // stored size of each chunk; 0 = hole
};

struct XattrFact {  // one `X` record
  Ino ino = 0;
  std::string key;
};

struct LinkFact {  // one `K` record: a name of an inode with two or more links
  Ino ino = 0;
  Ino parent = 0;
  std::string key;
  std::string_view name() const { return std::string_view(key).substr(17); }
};

struct UseFact {  // a `U` record, or the (time, ino) of an `L` key
  Ino ino = 0;
  int64_t time_ns = 0;
};

struct ScanFacts {
  std::vector<InodeFact> inodes;          // readable records, by ino
  std::map<Ino, std::string> bad_inodes;  // unreadable records: why
  std::map<Ino, std::string> bad_data;    // data failing verification: first reason
  std::vector<RefFact> refs;              // sorted by (child, parent) at the end
  std::vector<ChunkFact> chunks;          // by (ino, idx)
  std::vector<MapFact> maps;              // by ino; garbled maps are in bad_data
  std::vector<Ino> orphans;               // by ino
  std::vector<UseFact> uses;              // `U`, by ino
  std::vector<UseFact> lrus;              // `L`, sorted by (ino, time) at the end
  std::vector<XattrFact> xattrs;          // `X`, by ino
  std::vector<LinkFact> links;            // `K`, by ino
  std::optional<uint64_t> next_ino;       // the `N` record
  NsStats counters;                       // the `S` records
  std::vector<std::string> garbled_counters;
  NsStats recount;  // what they must be
  // Records wrong on their own (garbled keys and values), with their fixes.
  std::vector<CheckProblem> problems;
  std::vector<Fix> fixes;
  uint64_t bytes = 0;  // key and value bytes read
};

struct ScanOptions {
  uint32_t chunk_size = 0;
  // Decode and verify every chunk and inline datum (repair's later rounds
  // skip it: its batch only deletes data, so the first round's verdicts hold).
  bool verify_data = true;
  Progress progress;
};

Result<ScanFacts> scan_records(CheckView& view, const ScanOptions& options);

// The `S` counters by name ("files", ..., "live_bytes") and their fields.
inline constexpr std::array<std::string_view, 7> kCounterNames = {
    "files", "dirs", "symlinks", "logical_bytes", "stored_bytes", "orphans", "live_bytes"};
std::array<uint64_t*, 7> counter_fields(NsStats& st);

}  // namespace gcfs
