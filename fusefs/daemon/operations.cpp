#include "fusefs/operations.hpp"

#include <spdlog/spdlog.h>

#include "fusefs/filesystem.hpp"
#include "fusefs/metrics_fs.hpp"
#include "fusefs/metrics_space.hpp"

namespace gcfs::fusefs {

Result<std::unique_ptr<Operations>> start_operations(const OperationsOptions& o, Store& store,
                                                     Filesystem& fs, const SpaceManager& space) {
  std::unique_ptr<Operations> ops(new Operations);
  Metrics& m = Metrics::instance();
  add_filesystem_metrics(m, store, fs.activity(), fs.nodes());
  add_space_metrics(m, store, space);
  if (o.metrics_listen != "off") {
    if (Status s = m.listen(o.metrics_listen); !s) {
      // Several mounts on one machine share the default port: only the first
      // gets it, the others mount without metrics. A chosen address must work.
      if (o.metrics_listen != OperationsOptions().metrics_listen) {
        m.clear_collectors();
        return s.error();
      }
      spdlog::warn("{}; serving no metrics (choose a port with --metrics-listen)",
                   s.error().message());
    } else {
      ops->serving_ = true;
      spdlog::info("metrics on http://{}/metrics", o.metrics_listen);
    }
  }
  ops->guard_ = std::make_unique<DiskGuard>(o.disk);
  ops->guard_->start();
  return ops;
}

Operations::~Operations() {
  if (guard_) guard_->stop();
  Metrics& m = Metrics::instance();
  m.stop();  // no scrape may run once the collectors' store goes
  m.clear_collectors();
}

}  // namespace gcfs::fusefs
