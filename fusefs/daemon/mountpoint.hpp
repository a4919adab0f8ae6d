// Checks that a directory can be mounted on, before anything is touched.
#pragma once

#include <string>

#include "store/result.hpp"

namespace gcfs::fusefs {

// Refuses a missing path, a non-directory, a non-empty directory, a path
// that is already a mount point and a dead FUSE mount, with a message that
// says what to do.
Status check_mountpoint(const std::string& path);

}  // namespace gcfs::fusefs
