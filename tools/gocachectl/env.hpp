// gocachectl env: the GOCACHE line for the running mount and the go in PATH.
#pragma once

#include <string>

#include "store/admin/control.hpp"

namespace gcfs::ctl {

control::json env_reply(const std::string& store_dir);

}  // namespace gcfs::ctl
