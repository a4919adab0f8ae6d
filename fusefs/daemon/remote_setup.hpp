// The daemon's remote tier: its options from the command line, the JSON of
// `gocachectl remote status` and its Prometheus metrics (docs/remote.md).
#pragma once

#include <optional>

#include "fusefs/daemon/daemon.hpp"
#include "fusefs/daemon/metrics.hpp"
#include "store/admin/control.hpp"
#include "store/result.hpp"
#include "store/tiered/remote_tier.hpp"

namespace gcfs::fusefs {

// nullopt without --remote.
std::optional<tiered::TierOptions> tier_options(const DaemonOptions& o);
// URLs, mode and credentials checked (Errc::invalid, one line).
Status check_remote_options(const DaemonOptions& o);
// {"endpoints": [...], "queue": {...}, "counters": {...}, ...}.
control::json remote_status_json(tiered::RemoteTier& tier);
// Registers the collector; `tier` must outlive the metrics' collectors.
void add_remote_metrics(Metrics& m, tiered::RemoteTier& tier);

}  // namespace gcfs::fusefs
