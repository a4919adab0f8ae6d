// The registry value of a snapshot (default family, key `s` + name):
//   id u32 BE, created i64 BE, source namespace (u16 BE length + bytes),
//   Go version (u16 BE length + bytes).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "store/local/keys.hpp"
#include "store/snapshots.hpp"

namespace gcfs {

using keys::kSnapshotTag;
std::string snapshot_key(std::string_view name);
std::string encode_snapshot_record(const SnapshotInfo& info);
// nullopt for a garbled value; `name` is taken from the key.
std::optional<SnapshotInfo> decode_snapshot_record(std::string_view name, std::string_view value);
// Column family name of a snapshot, and its inverse.
std::string snapshot_family_name(uint32_t id);
std::optional<uint32_t> parse_snapshot_family_name(std::string_view family);

}  // namespace gcfs
