// FUSE inode numbers <-> (namespace, store inode).
//
// A store inode is local to its namespace, so the FUSE number packs both:
// namespace id in the top 16 bits, store inode in the low 48. FUSE inode 1
// is the mount root: a virtual directory of namespaces, or, when one
// namespace is mounted as the root, that namespace's root directory.
#pragma once

#include <fuse_lowlevel.h>

#include <atomic>

#include "store/types.hpp"

namespace gcfs::fusefs {

struct NodeId {
  NsId ns = 0;  // 0: the virtual root of a multi-namespace mount
  Ino ino = 0;
};

class InoMap {
 public:
  // single_ns == 0: every directory at the root is a namespace.
  explicit InoMap(NsId single_ns = 0) : single_ns_(single_ns) {}

  bool multi() const { return single_ns() == 0; }
  NsId single_ns() const { return single_ns_.load(std::memory_order_acquire); }
  // A snapshot swap gives the mounted namespace a new id (never 0 <-> non-0).
  void set_single_ns(NsId ns) { single_ns_.store(ns, std::memory_order_release); }

  fuse_ino_t to_fuse(NsId ns, Ino ino) const {
    if (ns == single_ns() && ino == kRootIno) return FUSE_ROOT_ID;
    return (fuse_ino_t{ns} << 48) | ino;
  }
  NodeId from_fuse(fuse_ino_t f) const {
    const NsId single = single_ns();
    if (f == FUSE_ROOT_ID) return {single, single ? kRootIno : 0};
    return {static_cast<NsId>(f >> 48), f & kMaxIno};
  }
  bool is_virtual_root(fuse_ino_t f) const { return f == FUSE_ROOT_ID && multi(); }

 private:
  std::atomic<NsId> single_ns_;
};

}  // namespace gcfs::fusefs
