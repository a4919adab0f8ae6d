#include "store/gocache/layout.hpp"

namespace gcfs::gocache {

std::string subdir_of(const GoHash& id) { return to_hex(id).substr(0, 2); }
std::string action_name(const GoHash& action) { return to_hex(action) + "-a"; }
std::string output_name(const GoHash& output) { return to_hex(output) + "-d"; }
std::string output_path(const GoHash& output) {
  return subdir_of(output) + "/" + output_name(output);
}

}  // namespace gcfs::gocache
