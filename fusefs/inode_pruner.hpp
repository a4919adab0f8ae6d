// Keeps the daemon's per-inode memory bounded by configuration: when the
// kernel references more than `max_inodes` inodes, asks it to drop unused
// ones from its cache (FUSE_NOTIFY_PRUNE, kernel 6.18+). The kernel then
// sends FORGETs and the node table shrinks; a later access is one LOOKUP.
#pragma once

#include <fuse_lowlevel.h>

#include <cstddef>
#include <cstdint>
#include <span>

#include "fusefs/node_table.hpp"
#include "store/background_loop.hpp"

namespace gcfs::fusefs {

class InodePruner {
 public:
  // max_inodes 0: never prune.
  InodePruner(NodeTable& nodes, fuse_session* se, size_t max_inodes);
  ~InodePruner();
  InodePruner(const InodePruner&) = delete;
  InodePruner& operator=(const InodePruner&) = delete;

  void start();
  void stop();

 private:
  // One sweep: prunes down to the low mark. False once the kernel refused.
  bool sweep();
  bool send(std::span<const fuse_ino_t> inos);

  NodeTable& nodes_;
  fuse_session* se_;
  size_t max_;
  bool refused_ = false;  // only the loop's thread uses it
  BackgroundLoop loop_;   // last: stops before the state it uses goes
};

}  // namespace gcfs::fusefs
