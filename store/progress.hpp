// Progress of long store operations (export, import, check).
#pragma once

#include <cstdint>
#include <functional>

namespace gcfs {

// Called with (bytes done, bytes total) during long operations.
using Progress = std::function<void(uint64_t done, uint64_t total)>;

}  // namespace gcfs
