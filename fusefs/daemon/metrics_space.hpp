// The space policy's metrics: its configuration (size limit, compaction
// threshold) and what the space manager did (compactions, evictions), read
// from SpaceManager::counters() at scrape time.
#pragma once

#include "fusefs/daemon/metrics.hpp"

namespace gcfs {
namespace policy {
class SpaceManager;
}  // namespace policy
class Store;
}  // namespace gcfs

namespace gcfs::fusefs {

// `store` and `space` must outlive the collector (Metrics::clear_collectors()
// before they go).
void add_space_metrics(Metrics& m, Store& store, const policy::SpaceManager& space);

}  // namespace gcfs::fusefs
