// Runs a program (no shell) and captures its standard output.
#pragma once

#include <string>
#include <vector>

#include "store/result.hpp"

namespace gcfs::ctl {

// stdout of argv[0] (searched in PATH) run with argv; stderr is discarded.
// An error when it cannot be started or exits with a non-zero status.
// `unset`: environment variables the child must not see.
Result<std::string> run_capture(const std::vector<std::string>& argv,
                                const std::vector<std::string>& unset = {});

}  // namespace gcfs::ctl
