// Redis keys of Go cache entries. An object's key is
//   gcfs:<schema>:<namespace>:{<name>}
// with <name> = XX/<64 hex>-a|-d, and its pieces
//   gcfs:<schema>:<namespace>:{<name>}:<whole-object XXH3, 16 hex>:<index>
// The schema version keeps a format change from reading old values; the
// namespace (Go version) keeps versions apart. The hash tag is the entry
// name only, never the namespace, so a namespace spreads over every shard
// and cluster node while an object's manifest and pieces share one (an
// endpoint lost loses whole objects, and one round trip fetches a window of
// pieces). Braces, '%' and ':' in a namespace are %-escaped so that the
// only hash tag in a key is ours.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "store/result.hpp"

namespace gcfs::remote {

inline constexpr int kSchema = 1;

enum class EntryKind { action, output };  // -a, -d

struct EntryName {
  std::string hex;  // 64 lower-case hex digits
  EntryKind kind = EntryKind::output;
};

// Accepts exactly XX/<64 lower-case hex>-a|-d with XX the first two digits.
Result<EntryName> parse_entry_name(std::string_view name);
std::string entry_name(std::string_view hex, EntryKind kind);

// Namespaces as the store allows them: 1-64 bytes of 0x21-0x7e.
Status check_namespace(std::string_view ns);

std::string object_key(std::string_view ns, std::string_view name);
std::string piece_key(std::string_view object_key, uint64_t object_xxh3, uint32_t index);

}  // namespace gcfs::remote
