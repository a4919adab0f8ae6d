// In-memory state of the inodes the kernel currently references.
//
// Only inodes with a kernel lookup count or an open handle are here, so the
// table is bounded by the kernel's inode cache, not by the store's size.
//
// Lock order: NodeTable::mu_ is a leaf: nothing else is locked under it (no
// Node::mu, no store call), and it may be taken while a Node::mu is held by
// the caller only to read or count (ref/forget/open/close never are: see
// Filesystem::close_handle). docs/design.md has the daemon-wide table.
#pragma once

#include <fuse_lowlevel.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "fusefs/ino_map.hpp"
#include "store/pending_write.hpp"

namespace gcfs::fusefs {

struct Node {
  explicit Node(fuse_ino_t f, NodeId i) : fino(f), id(i) {}
  const fuse_ino_t fino;
  const NodeId id;

  // Guarded by NodeTable::mu_.
  uint64_t nlookup = 0;
  uint32_t opens = 0;
  bool orphan = false;  // unlinked in the store; purge when unreferenced
  bool recent = true;   // referenced since the last prune sweep passed it
  // Set once looked up under a Go action entry name: opens count as hits.
  std::atomic<bool> action{false};
  // Committed by the second tier at its lookup: the next read-only open is
  // a remote hit (a fetched entry that is only stat'ed is not a hit at all).
  std::atomic<bool> fetched{false};

  // Serializes writes, truncates and commits of this file; guards `pending`.
  std::mutex mu;
  std::unique_ptr<PendingWrite> pending;
  uint32_t writers = 0;  // open handles with write access (guarded by mu)
  // Lets readers skip `mu` when nothing is pending (the common case).
  std::atomic<bool> has_pending{false};
  // Size of the uncommitted content, -1 when clean: getattr reads it without
  // waiting for a commit in progress.
  std::atomic<int64_t> dirty_size{-1};

  // Refreshes the two atomics from `pending` (caller holds mu).
  void publish() {
    has_pending.store(pending != nullptr, std::memory_order_release);
    dirty_size.store(pending && pending->dirty() ? static_cast<int64_t>(pending->size()) : -1,
                     std::memory_order_release);
  }
};

class NodeTable {
 public:
  // Adds one kernel reference (an entry reply), creating the node if needed.
  Node* ref(fuse_ino_t fino, NodeId id);
  // Takes `n` kernel references away (forget). Returns true if the node was
  // an orphan that nothing references any more: the caller purges it.
  bool forget(fuse_ino_t fino, uint64_t n, NodeId* id_out);
  // Open handles keep a node alive independently of lookups.
  Node* open(fuse_ino_t fino, NodeId id);
  bool close(Node* node, NodeId* id_out);
  // Marks a node unlinked. Returns false if the kernel holds no reference
  // (the caller purges at once).
  bool mark_orphan(fuse_ino_t fino);
  // For an evicted inode, in one step: true if the kernel holds no
  // reference (the caller purges now); else marks it an orphan, purged at
  // the last forget or close.
  bool orphan_unless_referenced(fuse_ino_t fino);
  // Only for the inode a request is about: the kernel pins it meanwhile.
  Node* find(fuse_ino_t fino);
  // The size of the file's uncommitted content, if it has any. Safe for any
  // inode: looks the node up and reads it under the table lock.
  std::optional<uint64_t> pending_size(fuse_ino_t fino);
  // Up to `max` inodes the kernel may drop from its cache (no open handle,
  // nothing pending), in second-chance order: a node referenced since the
  // previous sweep is spared once. At most one round over the table per
  // call, continuing where the previous call stopped.
  std::vector<fuse_ino_t> prune_candidates(size_t max);
  // Calls f on every node with pending writes (shutdown: commit them), each
  // pinned as by an open handle meanwhile, without holding the table's lock.
  // A pinned orphan nothing else references is purged by the caller's
  // `purge` afterwards, as close() would.
  void for_each_pending(const std::function<void(Node&)>& f,
                        const std::function<void(NodeId)>& purge = {});
  size_t size();
  // Open handles on inodes of namespace id `ns` (a restore's replaced
  // content is deleted only once none is left: fusefs/discards.hpp).
  size_t open_in(NsId ns);
  // Inodes the kernel was asked to drop (InodePruner), for metrics.
  void note_pruned(uint64_t n) { pruned_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t pruned() const { return pruned_.load(std::memory_order_relaxed); }

 private:
  bool unreferenced_orphan(const Node& n) const {
    return n.nlookup == 0 && n.opens == 0 && n.orphan;
  }
  void erase_if_unused(fuse_ino_t fino, const Node& n);

  // Buckets and nodes prune_candidates visits per hold of mu_.
  static constexpr size_t kPruneSlice = 4096;

  std::mutex mu_;
  std::unordered_map<fuse_ino_t, std::unique_ptr<Node>> nodes_;
  // Open handles per namespace id (open_in() without a walk of nodes_).
  std::unordered_map<NsId, size_t> open_by_ns_;
  size_t hand_ = 0;  // prune_candidates' clock hand: a bucket index
  std::atomic<uint64_t> pruned_{0};
};

}  // namespace gcfs::fusefs
