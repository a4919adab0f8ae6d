// Remote key names: see object_key.hpp.
#include "store/remote/object_key.hpp"

#include <fmt/format.h>

namespace gcfs::remote {

namespace {

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

std::string escape_ns(std::string_view ns) {
  std::string out;
  for (char c : ns) {
    if (c == '%' || c == '{' || c == '}' || c == ':') {
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

Result<EntryName> parse_entry_name(std::string_view name) {
  // "XX/" + 64 hex + "-a"
  if (name.size() != 3 + 64 + 2 || name[2] != '/' || name[67] != '-' ||
      (name[68] != 'a' && name[68] != 'd') || name.substr(0, 2) != name.substr(3, 2)) {
    return Error(Errc::invalid, fmt::format("'{}' is not a Go cache entry name", name));
  }
  for (char c : name.substr(3, 64)) {
    if (!is_hex(c))
      return Error(Errc::invalid, fmt::format("'{}' is not a Go cache entry name", name));
  }
  return EntryName{std::string(name.substr(3, 64)),
                   name[68] == 'a' ? EntryKind::action : EntryKind::output};
}

std::string entry_name(std::string_view hex, EntryKind kind) {
  return fmt::format("{}/{}-{}", hex.substr(0, 2), hex, kind == EntryKind::action ? 'a' : 'd');
}

Status check_namespace(std::string_view ns) {
  if (ns.empty() || ns.size() > 64) return Error(Errc::invalid, "namespace must be 1-64 bytes");
  for (char c : ns) {
    if (c < 0x21 || c > 0x7e) return Error(Errc::invalid, "namespace must be printable ASCII");
  }
  return Status::ok();
}

std::string object_key(std::string_view ns, std::string_view name) {
  return fmt::format("gcfs:{}:{}:{{{}}}", kSchema, escape_ns(ns), name);
}

std::string piece_key(std::string_view object_key, uint64_t object_xxh3, uint32_t index) {
  return fmt::format("{}:{:016x}:{}", object_key, object_xxh3, index);
}

}  // namespace gcfs::remote
