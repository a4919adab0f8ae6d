// gocachefs_snapshot_operations_total: gocachectl's snapshot requests that
// the daemon's control socket handled, by operation and result. Requests of
// a gocachectl that opened the store itself (no daemon) are not seen.
// gocachefs_control_refusals_total: what the socket's limits turned away.
#pragma once

#include <string>

namespace gcfs::fusefs {

// Registers every {op, result} and refusal series at 0 (a fresh daemon
// exports them).
void register_control_metrics();
// Counts one handled request; only "snapshot.*" commands are counted.
void count_control_request(const std::string& cmd, bool ok);
// gocachefs_control_refusals_total{reason}: connections or requests the
// control socket turned away: "busy" (all connections taken), "busy_long"
// (too many long commands), "too_long" (request line), "timeout" (no request
// in time), "permission" (peer neither root nor the store's owner).
void count_control_refusal(const char* reason);

}  // namespace gcfs::fusefs
