// What Store::check and Store::repair report about one namespace
// (docs/gocachectl.md, "verify"). Plain values, no backend types.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/types.hpp"

namespace gcfs {

// One damaged item. Damage is data, not an error: a check that could read
// everything returns every problem it found.
struct CheckProblem {
  // What is damaged: "entry", "inode", "directory", "data", "chunk",
  // "chunk map", "orphan", "lru", "attribute", "link" (the names of a
  // hard-linked inode), "counter" or "key" (a record that is not one of the
  // schema's).
  std::string kind;
  Ino ino = 0;         // the inode concerned; 0 when there is none
  std::string path;    // "/ab/x-d" when one can be derived, else ""
  std::string reason;  // one line
  std::string repair;  // what repair did about it; "" from a check
};

struct CheckReport {
  uint64_t files = 0;          // regular files with a name
  uint64_t bytes_read = 0;     // their logical bytes, every stored byte verified
  uint64_t bytes_checked = 0;  // key and value bytes read
  // check: everything found. repair: everything found and repaired, each
  // with its `repair`, including what earlier repairs of the same batch
  // uncovered (e.g. the entries of a removed directory).
  std::vector<CheckProblem> problems;
  // repair only: what is still damaged after the repair.
  std::vector<CheckProblem> remaining;
  bool wrote = false;  // repair wrote a batch (false: the namespace was clean)
};

}  // namespace gcfs
