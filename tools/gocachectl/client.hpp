// How gocachectl reaches the store: the running daemon's control socket, or
// the store opened directly when no daemon runs.
#pragma once

#include <string>

#include "store/admin/control.hpp"

namespace gcfs::ctl {

// Sends `req` and returns the reply (an error reply when neither way works).
control::json run_request(const std::string& store_dir, const control::json& req);

}  // namespace gcfs::ctl
