// Name and attribute operations: lookup, forget, getattr, setattr, and the
// calls that create, remove or move names.
#include <linux/fs.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <shared_mutex>

#include "fusefs/filesystem.hpp"
#include "fusefs/root_ops.hpp"

namespace gcfs::fusefs::ops {

namespace {

void reply_negative(fuse_req_t req, Filesystem& fs) {
  fuse_entry_param e;
  std::memset(&e, 0, sizeof(e));
  e.entry_timeout = fs.options().cache_timeout;  // the kernel caches the miss
  fuse_reply_entry(req, &e);
}

Timespec to_timespec(const struct timespec& ts) {
  return {ts.tv_sec, static_cast<uint32_t>(ts.tv_nsec)};
}

void make_node(fuse_req_t req, fuse_ino_t parent, const char* name, uint32_t mode,
               const char* target = "") {
  Filesystem& fs = fs_of(req);
  if (fs.inos().is_virtual_root(parent)) return (void)fuse_reply_err(req, EPERM);
  NodeId p = fs.inos().from_fuse(parent);
  auto attr = fs.store().mknode(p.ns, p.ino, name, mode, creds_of(req), now_timespec(), target);
  if (!attr) return reply_err(req, attr.error());
  reply_entry(req, fs, p.ns, *attr);
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
void reply_grace_entry(fuse_req_t req, Filesystem& fs, NsId ns, const Attr& attr) {
  fuse_entry_param e;
  fs.make_entry(ns, attr, &e);
  e.entry_timeout = e.attr_timeout = 1.0;
  if (fuse_reply_entry(req, &e) != 0) {
    NodeId id;
    fs.nodes().forget(e.ino, 1, &id);
  }
}

}  // namespace

void lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Filesystem& fs = fs_of(req);
  if (fs.inos().is_virtual_root(parent)) return root::lookup(req, fs, name);
  NodeId p = fs.inos().from_fuse(parent);
  const bool action = is_action_name(name);
  fuse_entry_param e;
  {
    // From the store read until the kernel's reference is taken, no
    // eviction: the entry found is still there when the kernel gets it.
    std::shared_lock fence(fs.evict_fence());
    auto attr = fs.store().lookup(p.ns, p.ino, name);
    if (!attr) {
      fence.unlock();
      if (attr.code() != Errc::not_found) return reply_err(req, attr.error());
      if (auto prev = fs.swap_grace().fallback(fs.store(), p.ns, p.ino, name)) {
        return reply_grace_entry(req, fs, prev->first, prev->second);  // swap_grace.hpp
      }
      if (action) fs.activity().miss(p.ns);
      return reply_negative(req, fs);
    }
    fs.apply_pending(fs.inos().to_fuse(p.ns, attr->ino), *attr);
    if (S_ISREG(attr->mode)) fs.uses().record(p.ns, attr->ino, p.ino, name, action);  // LRU
    Node* node = fs.make_entry(p.ns, *attr, &e);
    if (action) node->action.store(true, std::memory_order_relaxed);
  }
  if (fuse_reply_entry(req, &e) != 0) {
    // The kernel did not take the reference (interrupted request): give it back.
    NodeId id;
    if (fs.nodes().forget(e.ino, 1, &id)) fs.purge(id);
  }
}

void forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
  Filesystem& fs = fs_of(req);
  NodeId id;
  if (fs.nodes().forget(ino, nlookup, &id)) fs.purge(id);
  fuse_reply_none(req);
}

void forget_multi(fuse_req_t req, size_t count, fuse_forget_data* forgets) {
  Filesystem& fs = fs_of(req);
  for (size_t i = 0; i < count; ++i) {
    NodeId id;
    if (fs.nodes().forget(forgets[i].ino, forgets[i].nlookup, &id)) fs.purge(id);
  }
  fuse_reply_none(req);
}

void getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  Filesystem& fs = fs_of(req);
  NodeId id = fs.inos().from_fuse(ino);
  auto attr = fs.current_attr(ino, id);
  if (!attr) return reply_err(req, attr.error());
  if (S_ISREG(attr->mode)) fs.uses().record(id.ns, id.ino);
  reply_attr(req, fs, id.ns, *attr);
}

void setattr(fuse_req_t req, fuse_ino_t ino, struct stat* st, int to_set, fuse_file_info*) {
  Filesystem& fs = fs_of(req);
  if (fs.inos().is_virtual_root(ino)) return (void)fuse_reply_err(req, EPERM);
  NodeId id = fs.inos().from_fuse(ino);
  SetAttr sa = to_setattr(st, to_set);
  if (sa.size && *sa.size > fs.options().max_file_bytes) return (void)fuse_reply_err(req, EFBIG);
  Node* node = fs.nodes().find(ino);
  std::unique_lock<std::mutex> lock;
  if (node && node->has_pending.load(std::memory_order_acquire)) {
    // A file being written: its uncommitted content becomes a version only at
    // the writer's close, never here. A size change joins that content and an
    // explicit mtime is kept for its commit; the rest applies to the
    // committed inode at once.
    lock = std::unique_lock(node->mu);
    if (node->pending) {
      Status s;
      if (sa.size) s = node->pending->truncate(*sa.size);
      if (s && sa.mtime) node->pending->set_mtime(*sa.mtime);
      node->publish();
      if (!s) return reply_err(req, s.error());
      sa.size.reset();
    }
  }
  auto attr = fs.store().setattr(id.ns, id.ino, sa);
  if (lock.owns_lock()) lock.unlock();
  if (!attr) return reply_err(req, attr.error());
  // The Go command marks a cache entry used by setting its mtime.
  if (sa.mtime && S_ISREG(attr->mode)) fs.uses().record_mtime(id.ns, id.ino, *sa.mtime);
  fs.apply_pending(ino, *attr);
  reply_attr(req, fs, id.ns, *attr);
}

void readlink(fuse_req_t req, fuse_ino_t ino) {
  Filesystem& fs = fs_of(req);
  NodeId id = fs.inos().from_fuse(ino);
  auto target = fs.store().readlink(id.ns, id.ino);
  if (!target) return reply_err(req, target.error());
  fuse_reply_readlink(req, target->c_str());
}

void mknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t) {
  // Only regular files: a build cache has no use for devices, fifos or sockets.
  if (!S_ISREG(mode)) return (void)fuse_reply_err(req, EPERM);
  make_node(req, parent, name, S_IFREG | (mode & 07777));
}

void mkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
  Filesystem& fs = fs_of(req);
  if (fs.inos().is_virtual_root(parent)) return root::mkdir(req, fs, name, mode);
  make_node(req, parent, name, S_IFDIR | (mode & 07777));
}

void symlink(fuse_req_t req, const char* link, fuse_ino_t parent, const char* name) {
  make_node(req, parent, name, S_IFLNK | 0777, link);
}

void unlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Filesystem& fs = fs_of(req);
  if (fs.inos().is_virtual_root(parent)) {
    return (void)fuse_reply_err(req, fs.store().find_namespace(name) ? EISDIR : ENOENT);
  }
  NodeId p = fs.inos().from_fuse(parent);
  auto ino = fs.store().unlink(p.ns, p.ino, name, now_timespec());
  if (!ino) return reply_err(req, ino.error());
  fs.orphaned(p.ns, *ino);
  fuse_reply_err(req, 0);
}

void rmdir(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Filesystem& fs = fs_of(req);
  if (fs.inos().is_virtual_root(parent)) return root::rmdir(req, fs, name);
  NodeId p = fs.inos().from_fuse(parent);
  Status s = fs.store().rmdir(p.ns, p.ino, name, now_timespec());
  if (!s) return reply_err(req, s.error());
  fuse_reply_err(req, 0);
}

void rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newparent,
            const char* newname, unsigned int flags) {
  Filesystem& fs = fs_of(req);
  if (flags & ~RENAME_NOREPLACE) return (void)fuse_reply_err(req, EINVAL);
  bool from_root = fs.inos().is_virtual_root(parent);
  bool to_root = fs.inos().is_virtual_root(newparent);
  if (from_root && to_root) return root::rename(req, fs, name, newname, flags);
  if (from_root || to_root) return (void)fuse_reply_err(req, EXDEV);
  NodeId p = fs.inos().from_fuse(parent);
  NodeId np = fs.inos().from_fuse(newparent);
  // Namespaces are separate trees, like separate filesystems.
  if (p.ns != np.ns) return (void)fuse_reply_err(req, EXDEV);
  auto replaced = fs.store().rename(p.ns, p.ino, name, np.ino, newname, flags, now_timespec());
  if (!replaced) return reply_err(req, replaced.error());
  if (*replaced) fs.orphaned(p.ns, **replaced);
  fuse_reply_err(req, 0);
}

void link(fuse_req_t req, fuse_ino_t, fuse_ino_t, const char*) {
  // The Go command never links in its cache; refusing keeps nlink == 1 for
  // every file, which the orphan and eviction logic rely on.
  fuse_reply_err(req, EPERM);
}

}  // namespace gcfs::fusefs::ops
