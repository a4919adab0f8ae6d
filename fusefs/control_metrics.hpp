// gocachefs_snapshot_operations_total: gocachectl's snapshot requests that
// the daemon's control socket handled, by operation and result. Requests of
// a gocachectl that opened the store itself (no daemon) are not seen.
#pragma once

#include <string>

namespace gcfs::fusefs {

// Registers every {op, result} series at 0 (a fresh daemon exports them).
void register_control_metrics();
// Counts one handled request; only "snapshot.*" commands are counted.
void count_control_request(const std::string& cmd, bool ok);

}  // namespace gcfs::fusefs
