// Go cache entries read back from the local store for upload: an action
// entry (`XX/<hex>-a`) and the output (`YY/<hex>-d`) it names. The tier's
// uploads (at commit, at eviction) and remote push read them the same way.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "store/result.hpp"
#include "store/store.hpp"

namespace gcfs::tiered {

struct LocalEntry {
  std::string action_name;  // XX/<action ID>-a, from the entry's content
  std::string action;       // Go's 175-byte entry
  std::string output_name;  // YY/<output ID>-d
  uint64_t output_size = 0;
};

// The action entry of inode `ino`: Errc::corrupt when it is not Go's
// format, the store's error when it cannot be read.
Result<LocalEntry> read_action_entry(Store& store, NsId ns, Ino ino);

// The output `e` names, complete: nullopt when it is missing, not a regular
// file, of another size than the entry says (removed, evicted, being
// rewritten) or unreadable. Reads output_size bytes: check it first.
std::optional<std::string> read_output(Store& store, NsId ns, const LocalEntry& e);

}  // namespace gcfs::tiered
