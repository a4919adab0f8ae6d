// gocachectl env: the GOCACHE line for the running mount and a Go toolchain
// (the go in PATH, or --go PATH): its namespace is named as go_version.hpp
// says, the same name `gocachectl cacheprog` uses.
#pragma once

#include <string>

#include "store/admin/control.hpp"

namespace gcfs::ctl {

control::json env_reply(const std::string& store_dir, const std::string& go = "go");

}  // namespace gcfs::ctl
