// The filesystem's metrics: FUSE operations (from op_stats), cache activity
// per namespace, store sizes and RocksDB health (read at scrape time, never
// on the hot path), process memory.
#pragma once

#include "fusefs/daemon/metrics.hpp"

namespace gcfs {
class Store;
}

namespace gcfs::fusefs {

class Activity;
class NodeTable;

// Adds the collectors to `m`. `store` and `activity` must outlive them
// (Metrics::clear_collectors() before they go).
void add_filesystem_metrics(Metrics& m, Store& store, Activity& activity, NodeTable& nodes);

}  // namespace gcfs::fusefs
