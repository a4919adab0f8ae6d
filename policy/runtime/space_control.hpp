// gocachectl compact / evict / trim, run by the daemon's control socket.
#pragma once

#include <string>

#include "policy/runtime/space_manager.hpp"
#include "store/admin/control.hpp"

namespace gcfs::policy {

control::json run_space_command(SpaceManager& space, const std::string& cmd,
                                const control::json& req);

}  // namespace gcfs::policy
