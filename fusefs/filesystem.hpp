// The gocachefs FUSE filesystem: the state the operations share.
//
// Each operation in fusefs/ops/ does its work and returns a result; the
// dispatcher (fusefs/ops/dispatch.hpp) replies exactly once, after every
// lock the operation took is released. Lock order: docs/design.md.
#pragma once

#include <fuse_lowlevel.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <shared_mutex>
#include <string>

#include "fusefs/activity.hpp"
#include "fusefs/ino_map.hpp"
#include "fusefs/node_table.hpp"
#include "fusefs/swap_grace.hpp"
#include "policy/runtime/space_manager.hpp"
#include "policy/runtime/use_tracker.hpp"
#include "store/second_tier.hpp"
#include "store/store.hpp"

namespace gcfs::fusefs {

struct FsOptions {
  // How long the kernel may trust entries, negative entries and attributes.
  // Safe to be long: every change passes through this daemon, which
  // invalidates the kernel's view when it changes something on its own.
  // Default: 86400 s.
  double cache_timeout = 86400.0;
  // Mount one namespace as the root (0: every root directory is a namespace).
  // Default: 0.
  NsId single_ns = 0;
  // Largest write the kernel sends (libfuse 3.14 caps it at 1 MiB).
  // Default: 1 MiB.
  uint32_t max_write = 1 << 20;
  // Writes past this size fail with EFBIG (the size limit, docs/space.md).
  // Default: no limit.
  uint64_t max_file_bytes = UINT64_MAX;
};

// A handle of an open regular file, packed into fuse_file_info::fh: the
// node's address, lowest bit set for write access. Nothing is allocated, so
// nothing leaks when the kernel drops pending RELEASEs at unmount.
struct FileHandle {
  Node* node;
  bool writable;

  uint64_t pack() const { return reinterpret_cast<uint64_t>(node) | (writable ? 1 : 0); }
  static FileHandle unpack(uint64_t fh) {
    return {reinterpret_cast<Node*>(fh & ~uint64_t{1}), (fh & 1) != 0};
  }
};
static_assert(alignof(Node) >= 2, "FileHandle keeps a flag in the low bit of a Node*");

// Lock order (docs/design.md, "Lock order"): evict_fence_ -> Node::mu ->
// the store's locks, and evict_fence_ -> NodeTable::mu_; NodeTable::mu_ is a
// leaf (no store call, no other lock under it). Store calls may be made
// under evict_fence_ and Node::mu, never under NodeTable::mu_.
class Filesystem final : public policy::Evictor {
 public:
  Filesystem(Store& store, FsOptions options);

  static const fuse_lowlevel_ops& operations();

  void set_session(fuse_session* se) { session_ = se; }
  // Commits every pending write: called when the session ends.
  void shutdown();

  Store& store() { return store_; }
  const FsOptions& options() const { return options_; }
  const InoMap& inos() const { return inos_; }
  // Single-namespace mount: the root now shows namespace `ns` (snapshot swap).
  void switch_single_ns(NsId ns) { inos_.set_single_ns(ns); }
  NodeTable& nodes() { return nodes_; }
  Activity& activity() { return activity_; }
  SwapGrace& swap_grace() { return swap_grace_; }
  // The second tier (docs/remote.md): asked on a local miss of an action
  // entry, told of every action entry committed. Null: none. Set before the
  // session runs; outlives it.
  void set_tier(SecondTier* tier) { tier_ = tier; }
  SecondTier* tier() const { return tier_; }

  // Fills a FUSE entry for (ns, attr) and takes a kernel reference.
  Node* make_entry(NsId ns, const Attr& attr, fuse_entry_param* e);
  // Takes `n` kernel references of `fino` away (FORGET, or a reply the
  // kernel did not get) and purges an orphan nothing references any more.
  void forget(fuse_ino_t fino, uint64_t n);
  // Forgets an open handle, committing what is pending if it was the file's
  // last writer, and purges an orphan this was the last reference of.
  // Takes Node::mu, then (after releasing it) NodeTable::mu_.
  void close_handle(FileHandle h);
  void fill_stat(NsId ns, const Attr& attr, struct stat* st) const;
  // Attributes of the virtual root of a multi-namespace mount.
  Attr virtual_root_attr();
  // The attributes as the kernel should see them: with pending writes applied.
  Result<Attr> current_attr(fuse_ino_t fino, NodeId id);
  void apply_pending(fuse_ino_t fino, Attr& attr);
  // Commits `node`'s pending write (caller holds node.mu).
  Status commit_locked(Node& node);
  // Frees an unlinked inode once nothing refers to it.
  void purge(NodeId id);
  // Called after the store orphaned `ino`: purge now or when the kernel forgets.
  void orphaned(NsId ns, Ino ino);

  // ---- space policy (fs_space.cpp) ----
  // Uses of files, for the LRU index.
  policy::UseTracker& uses() { return uses_; }
  // Called after every successful commit (the space worker checks limits).
  void set_commit_listener(std::function<void(NsId)> f) { commit_listener_ = std::move(f); }
  // A commit made outside the FUSE handlers (control requests).
  void note_commit(NsId ns) {
    if (commit_listener_) commit_listener_(ns);
  }
  // Called when a snapshot swap gave a namespace a new id (before the
  // kernel's view is dropped).
  void set_swap_listener(std::function<void(NsId)> f) { swap_listener_ = std::move(f); }
  void namespace_swapped(NsId old_id, NsId new_id) {
    swap_grace_.replaced(old_id, new_id);
    if (swap_listener_) swap_listener_(new_id);
  }
  // Drops (parent, name) from the kernel's dentry cache. Not from inside a
  // FUSE request.
  void invalidate_entry(NsId ns, Ino parent, std::string_view name);
  // Evicts (parent, name) if it is still `ino` and unused since
  // `used_before_ns`, also by uses not yet in the index; the orphan is
  // purged now if the kernel holds no reference, else when it forgets it.
  // Then the kernel's entry is dropped. Not from inside a FUSE request.
  Result<UnlinkIf> evict(NsId ns, Ino parent, const std::string& name, Ino ino,
                         int64_t used_before_ns) override;
  // Held shared by a lookup from its store read until the kernel's
  // reference is taken, exclusive by an eviction: a lookup either sees the
  // entry and its reference keeps the inode alive, or does not see it.
  std::shared_mutex& evict_fence() { return evict_fence_; }

 private:
  Store& store_;
  FsOptions options_;
  InoMap inos_;
  NodeTable nodes_;
  Activity activity_;
  SwapGrace swap_grace_;
  fuse_session* session_ = nullptr;
  std::shared_mutex evict_fence_;
  Timespec mount_time_;
  policy::UseTracker uses_;
  std::function<void(NsId)> commit_listener_;  // set before the session runs
  std::function<void(NsId)> swap_listener_;    // set before the session runs
  SecondTier* tier_ = nullptr;                 // set before the session runs
};

Timespec now_timespec();

}  // namespace gcfs::fusefs
