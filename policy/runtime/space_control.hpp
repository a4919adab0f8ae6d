// gocachectl compact / evict / trim, run by the daemon's control socket.
#pragma once

#include <string>

#include "fusefs/space_manager.hpp"
#include "tools/control/control.hpp"

namespace gcfs::fusefs {

control::json run_space_command(SpaceManager& space, const std::string& cmd,
                                const control::json& req);

}  // namespace gcfs::fusefs
