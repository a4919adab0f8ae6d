// gocachectl health: the tiered checks of tools/health, with the running
// daemon's mountpoint found through its control socket.
#pragma once

#include <string>

namespace gcfs::ctl {

// Prints one line per check (or JSON) and returns the monitoring-plugin
// exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
int run_health(const std::string& store_dir, std::string mountpoint, const std::string& metrics,
               bool as_json);

}  // namespace gcfs::ctl
