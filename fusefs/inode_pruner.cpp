#include "fusefs/inode_pruner.hpp"

#include <spdlog/spdlog.h>
#include <sys/uio.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

namespace gcfs::fusefs {

namespace {

// FUSE protocol 7.45 (linux/fuse.h); libfuse 3.14 predates it.
constexpr int32_t kNotifyPrune = 9;
struct NotifyHeader {  // struct fuse_out_header
  uint32_t len;
  int32_t error;    // the notify code
  uint64_t unique;  // 0: a notification
};
struct NotifyPruneOut {  // struct fuse_notify_prune_out
  uint32_t count;
  uint32_t padding;
  uint64_t spare;
};
// The kernel copies node ids in batches of 512; keep messages that size.
constexpr size_t kBatch = 512;
constexpr auto kInterval = std::chrono::milliseconds(500);

}  // namespace

InodePruner::InodePruner(NodeTable& nodes, fuse_session* se, size_t max_inodes)
    : nodes_(nodes), se_(se), max_(max_inodes), loop_("inode pruner", kInterval, [this] {
        // Once the kernel refused, asking again is pointless.
        if (!refused_ && !sweep()) refused_ = true;
      }) {}

InodePruner::~InodePruner() { stop(); }

void InodePruner::start() {
  if (max_ == 0) return;
  loop_.start();
}

void InodePruner::stop() { loop_.stop(); }

bool InodePruner::sweep() {
  size_t size = nodes_.size();
  if (size <= max_) return true;
  // Down to 90%, so a steady stream of new entries does not prune per entry.
  size_t want = size - max_ * 9 / 10;
  // Two passes at most: the first may only clear the second-chance bits.
  for (int pass = 0; pass < 2 && want > 0; ++pass) {
    std::vector<fuse_ino_t> inos = nodes_.prune_candidates(want);
    for (size_t i = 0; i < inos.size(); i += kBatch) {
      size_t n = std::min(kBatch, inos.size() - i);
      if (!send(std::span(inos).subspan(i, n))) return false;
    }
    want -= std::min(want, inos.size());
  }
  return true;
}

bool InodePruner::send(std::span<const fuse_ino_t> inos) {
  static_assert(sizeof(fuse_ino_t) == sizeof(uint64_t), "node ids go to the kernel as they are");
  const size_t bytes = inos.size_bytes();
  NotifyPruneOut out{static_cast<uint32_t>(inos.size()), 0, 0};
  NotifyHeader hdr{static_cast<uint32_t>(sizeof hdr + sizeof out + bytes), kNotifyPrune, 0};
  iovec iov[3] = {
      {&hdr, sizeof hdr}, {&out, sizeof out}, {const_cast<fuse_ino_t*>(inos.data()), bytes}};
  ssize_t n = ::writev(fuse_session_fd(se_), iov, 3);
  if (n < 0) {
    if (errno == ENOENT) return true;                     // an inode went meanwhile: fine
    if (errno == ENODEV || errno == EBADF) return false;  // unmounted
    spdlog::warn(
        "the kernel refused to drop cached inodes ({}): kernel before 6.18? "
        "--max-inodes is not enforced",
        std::strerror(errno));
    return false;
  }
  nodes_.note_pruned(inos.size());
  spdlog::debug("asked the kernel to drop {} cached inodes", inos.size());
  return true;
}

}  // namespace gcfs::fusefs
