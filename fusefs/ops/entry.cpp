// Name and attribute operations: lookup, forget, getattr, setattr, and the
// calls that create, remove or move names. Each returns what to reply
// (dispatch.hpp replies).
#include <linux/fs.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <shared_mutex>

#include "fusefs/ops/ops.hpp"
#include "fusefs/ops/root.hpp"

namespace gcfs::fusefs::ops {

namespace {

Timespec to_timespec(const struct timespec& ts) {
  return {ts.tv_sec, static_cast<uint32_t>(ts.tv_nsec)};
}

Result<EntryOut> make_node(const Request& rq, fuse_ino_t parent, const char* name, uint32_t mode,
                           const char* target = "", uint64_t rdev = 0) {
  Filesystem& fs = rq.fs;
  if (fs.inos().is_virtual_root(parent)) return Error(Errc::permission, "");
  NodeId p = fs.inos().from_fuse(parent);
  GCFS_TRY_ASSIGN(Attr attr, fs.store().mknode(p.ns, p.ino, name, mode, rq.creds(), now_timespec(),
                                               target, rdev));
  return make_entry(fs, p.ns, attr);
}

SetAttr to_setattr(const struct stat* st, int to_set) {
  SetAttr sa;
  sa.now = now_timespec();
  if (to_set & FUSE_SET_ATTR_MODE) sa.mode = st->st_mode & 07777;
  if (to_set & FUSE_SET_ATTR_UID) sa.uid = st->st_uid;
  if (to_set & FUSE_SET_ATTR_GID) sa.gid = st->st_gid;
  if (to_set & FUSE_SET_ATTR_SIZE) sa.size = static_cast<uint64_t>(st->st_size);
  if (to_set & FUSE_SET_ATTR_ATIME_NOW) {
    sa.atime = sa.now;
  } else if (to_set & FUSE_SET_ATTR_ATIME) {
    sa.atime = to_timespec(st->st_atim);
  }
  if (to_set & FUSE_SET_ATTR_MTIME_NOW) {
    sa.mtime = sa.now;
  } else if (to_set & FUSE_SET_ATTR_MTIME) {
    sa.mtime = to_timespec(st->st_mtim);
  }
  return sa;
}

// An entry of the content a swap replaced: cached briefly, see swap_grace.hpp.
EntryOut grace_entry(Filesystem& fs, NsId ns, const Attr& attr) {
  EntryOut out = make_entry(fs, ns, attr);
  out.e.entry_timeout = out.e.attr_timeout = 1.0;
  return out;
}

// Applies `sa` to a file being written: its uncommitted content becomes a
// version only at the writer's close, never here. A size change joins that
// content and an explicit mtime is kept for its commit; the rest applies to
// the committed inode at once. Caller holds node.mu.
Status apply_to_pending(Node& node, SetAttr& sa) {
  if (!node.pending) return Status::ok();
  Status s;
  if (sa.size) s = node.pending->truncate(*sa.size);
  if (s && sa.mtime) node.pending->set_mtime(*sa.mtime);
  node.publish();
  sa.size.reset();
  return s;
}

}  // namespace

Result<EntryOut> lookup(const Request& rq, fuse_ino_t parent, const char* name) {
  Filesystem& fs = rq.fs;
  if (fs.inos().is_virtual_root(parent)) return root::lookup(fs, name);
  NodeId p = fs.inos().from_fuse(parent);
  const bool action = is_action_name(name);
  // From the store read until the kernel's reference is taken, no eviction:
  // the entry found is still there when the kernel gets it.
  std::shared_lock fence(fs.evict_fence());
  auto attr = fs.store().lookup(p.ns, p.ino, name);
  bool fetched = false;
  if (!attr) {
    fence.unlock();
    if (attr.code() != Errc::not_found) return attr.error();
    if (auto prev = fs.swap_grace().fallback(fs.store(), p.ns, p.ino, name)) {
      return grace_entry(fs, prev->first, prev->second);  // swap_grace.hpp
    }
    // A local miss the second tier may answer: it commits the entry and its
    // output locally (no lock is held across the round trip), then the
    // entry is read like any other, under the fence.
    if (action && fs.tier() && fs.tier()->fetch(p.ns, p.ino, name)) {
      fetched = true;
      fence.lock();
      attr = fs.store().lookup(p.ns, p.ino, name);
      if (!attr) fence.unlock();
    }
    if (!attr) {
      if (attr.code() != Errc::not_found) return attr.error();
      if (action) fs.activity().miss(p.ns);
      return negative_entry(fs, name);
    }
  }
  fs.apply_pending(fs.inos().to_fuse(p.ns, attr->ino), *attr);
  if (S_ISREG(attr->mode)) fs.uses().record(p.ns, attr->ino, p.ino, name, action);  // LRU
  return make_entry(fs, p.ns, *attr, action, fetched);
}

NoReply forget(const Request& rq, fuse_ino_t ino, uint64_t nlookup) {
  rq.fs.forget(ino, nlookup);
  return {};
}

NoReply forget_multi(const Request& rq, size_t count, fuse_forget_data* forgets) {
  for (size_t i = 0; i < count; ++i) rq.fs.forget(forgets[i].ino, forgets[i].nlookup);
  return {};
}

Result<AttrOut> getattr(const Request& rq, fuse_ino_t ino, fuse_file_info*) {
  Filesystem& fs = rq.fs;
  NodeId id = fs.inos().from_fuse(ino);
  GCFS_TRY_ASSIGN(Attr attr, fs.current_attr(ino, id));
  if (S_ISREG(attr.mode)) fs.uses().record(id.ns, id.ino);
  return make_attr(fs, id.ns, attr);
}

Result<AttrOut> setattr(const Request& rq, fuse_ino_t ino, struct stat* st, int to_set,
                        fuse_file_info*) {
  Filesystem& fs = rq.fs;
  if (fs.inos().is_virtual_root(ino)) return Error(Errc::permission, "");
  NodeId id = fs.inos().from_fuse(ino);
  SetAttr sa = to_setattr(st, to_set);
  if (sa.size && *sa.size > fs.options().max_file_bytes) return Error(Errc::too_big, "");
  Node* node = fs.nodes().find(ino);
  std::unique_lock<std::mutex> lock;
  if (node && node->has_pending.load(std::memory_order_acquire)) {
    lock = std::unique_lock(node->mu);
    GCFS_TRY(apply_to_pending(*node, sa));
  }
  auto attr = fs.store().setattr(id.ns, id.ino, sa);
  if (lock.owns_lock()) lock.unlock();
  if (!attr) return attr.error();
  // The Go command marks a cache entry used by setting its mtime.
  if (sa.mtime && S_ISREG(attr->mode)) fs.uses().record_mtime(id.ns, id.ino, *sa.mtime);
  fs.apply_pending(ino, *attr);
  return make_attr(fs, id.ns, *attr);
}

Result<std::string> readlink(const Request& rq, fuse_ino_t ino) {
  NodeId id = rq.fs.inos().from_fuse(ino);
  return rq.fs.store().readlink(id.ns, id.ino);
}

Result<EntryOut> mknod(const Request& rq, fuse_ino_t parent, const char* name, mode_t mode,
                       dev_t rdev) {
  const uint32_t type = mode & S_IFMT;
  const bool device = S_ISCHR(mode) || S_ISBLK(mode);
  // As on a local filesystem, devices need CAP_MKNOD. The kernel checks it
  // before sending the request; the caller's uid is what the daemon can
  // check too, so a device is never stored for a non-root caller.
  if (device && rq.creds().uid != 0) return Error(Errc::permission, "");
  if (!device && !S_ISREG(mode) && !S_ISFIFO(mode) && !S_ISSOCK(mode)) {
    return Error(Errc::invalid, "");
  }
  // The opened fifo or device is the kernel's: FUSE never sees its I/O.
  return make_node(rq, parent, name, type | (mode & 07777), "", device ? rdev : 0);
}

Result<EntryOut> mkdir(const Request& rq, fuse_ino_t parent, const char* name, mode_t mode) {
  if (rq.fs.inos().is_virtual_root(parent)) return root::mkdir(rq, name, mode);
  return make_node(rq, parent, name, S_IFDIR | (mode & 07777));
}

Result<EntryOut> symlink(const Request& rq, const char* link, fuse_ino_t parent, const char* name) {
  return make_node(rq, parent, name, S_IFLNK | 0777, link);
}

Status unlink(const Request& rq, fuse_ino_t parent, const char* name) {
  Filesystem& fs = rq.fs;
  if (fs.inos().is_virtual_root(parent)) {
    if (fs.store().find_namespace(name)) return Error(Errc::is_dir, "");
    return Error(Errc::not_found, "");
  }
  NodeId p = fs.inos().from_fuse(parent);
  GCFS_TRY_ASSIGN(Ino ino, fs.store().unlink(p.ns, p.ino, name, now_timespec()));
  // Purged once unreferenced, if this was its last name (purge checks).
  fs.orphaned(p.ns, ino);
  return Status::ok();
}

Status rmdir(const Request& rq, fuse_ino_t parent, const char* name) {
  Filesystem& fs = rq.fs;
  if (fs.inos().is_virtual_root(parent)) return root::rmdir(fs, name);
  NodeId p = fs.inos().from_fuse(parent);
  return fs.store().rmdir(p.ns, p.ino, name, now_timespec());
}

Status rename(const Request& rq, fuse_ino_t parent, const char* name, fuse_ino_t newparent,
              const char* newname, unsigned int flags) {
  Filesystem& fs = rq.fs;
  if (flags != 0 && flags != RENAME_NOREPLACE && flags != RENAME_EXCHANGE) {
    return Error(Errc::invalid, "");
  }
  bool from_root = fs.inos().is_virtual_root(parent);
  bool to_root = fs.inos().is_virtual_root(newparent);
  if (from_root && to_root) return root::rename(fs, name, newname, flags);  // EXCHANGE: EINVAL
  // Namespaces are separate trees, like separate filesystems.
  if (from_root || to_root) return Error(Errc::cross_device, "");
  NodeId p = fs.inos().from_fuse(parent);
  NodeId np = fs.inos().from_fuse(newparent);
  if (p.ns != np.ns) return Error(Errc::cross_device, "");
  GCFS_TRY_ASSIGN(auto replaced,
                  fs.store().rename(p.ns, p.ino, name, np.ino, newname, flags, now_timespec()));
  if (replaced) fs.orphaned(p.ns, *replaced);
  return Status::ok();
}

Result<EntryOut> link(const Request& rq, fuse_ino_t ino, fuse_ino_t newparent,
                      const char* newname) {
  Filesystem& fs = rq.fs;
  if (fs.inos().is_virtual_root(ino)) return Error(Errc::permission, "");
  // Files at the root of a multi-namespace mount are refused as mknod does.
  if (fs.inos().is_virtual_root(newparent)) return Error(Errc::permission, "");
  NodeId id = fs.inos().from_fuse(ino);
  NodeId np = fs.inos().from_fuse(newparent);
  // Namespaces are separate trees, like separate filesystems.
  if (id.ns != np.ns) return Error(Errc::cross_device, "");
  // As for a lookup: no eviction between the new name and the kernel's
  // reference, or the kernel could keep a name the eviction removed.
  std::shared_lock fence(fs.evict_fence());
  GCFS_TRY_ASSIGN(Attr attr, fs.store().link(id.ns, id.ino, np.ino, newname, now_timespec()));
  fs.apply_pending(ino, attr);  // a file being written: its size so far
  return make_entry(fs, id.ns, attr);
}

}  // namespace gcfs::fusefs::ops
