// Namespace names become directory names at the mount root and appear in
// gocachectl output, so they are restricted to visible ASCII without '/'.
#include "store/store.hpp"

namespace gcfs {

bool valid_xattr_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxXattrNameLen) return false;
  if (name.find('\0') != std::string_view::npos) return false;
  return name.starts_with("user.") || name.starts_with("trusted.") || name.starts_with("security.");
}

bool valid_namespace_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  if (name == "." || name == "..") return false;
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u > 0x7e || c == '/') return false;
  }
  return true;
}

}  // namespace gcfs
