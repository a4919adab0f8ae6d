// Test-only hooks into a RocksDB store: write or read raw values of a
// namespace's column family, bypassing every check (to simulate corruption).
// Not for production code.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "store/store.hpp"

namespace gcfs::testing {

// `store` must come from open_rocks_store.
Status put_raw(Store& store, NsId ns, std::string_view key, std::string_view value);
Result<std::optional<std::string>> get_raw(Store& store, NsId ns, std::string_view key);
Status delete_raw(Store& store, NsId ns, std::string_view key);
// Every record of the namespace's family, in key order (counters merged).
Result<std::map<std::string, std::string>> dump_raw(Store& store, NsId ns);
// Delivers a background error to the store's healer as RocksDB's listener
// would: `fatal` is a corruption (read-only mode), otherwise a transient
// I/O error (retried with Resume()).
Status simulate_background_error(Store& store, bool fatal);
// Flushes every memtable now, as RocksDB does when one fills: on a full
// disk that fails and stops writes until the store resumes.
Status flush_memtables(Store& store);

}  // namespace gcfs::testing
