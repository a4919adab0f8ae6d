// Where the Go command keeps an ID in its cache directory: `XX/<64 hex>-a`
// for an action entry, `XX/<64 hex>-d` for an output, XX the first byte in
// hex. The FUSE front end sees exactly these names; the cacheprog front end
// reads and writes the same ones, so both serve one cache.
#pragma once

#include <string>

#include "store/gocache/go_hash.hpp"

namespace gcfs::gocache {

std::string subdir_of(const GoHash& id);
std::string action_name(const GoHash& action);
std::string output_name(const GoHash& output);
// "XX/<hex>-d", relative to a cache root.
std::string output_path(const GoHash& output);

}  // namespace gcfs::gocache
