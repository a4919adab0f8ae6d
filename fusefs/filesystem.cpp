#include "fusefs/filesystem.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "fusefs/errno_map.hpp"

namespace gcfs::fusefs {

Timespec now_timespec() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return {ts.tv_sec, static_cast<uint32_t>(ts.tv_nsec)};
}

Filesystem::Filesystem(Store& store, FsOptions options)
    : store_(store), options_(options), inos_(options.single_ns), mount_time_(now_timespec()) {}

void Filesystem::fill_stat(NsId ns, const Attr& a, struct stat* st) const {
  std::memset(st, 0, sizeof(*st));
  st->st_ino = inos_.to_fuse(ns, a.ino);
  st->st_mode = a.mode;
  st->st_nlink = a.nlink;
  st->st_uid = a.uid;
  st->st_gid = a.gid;
  st->st_rdev = static_cast<dev_t>(a.rdev);
  st->st_size = static_cast<off_t>(a.size);
  // Blocks show the stored (compressed) size, so du reports the real cost.
  st->st_blocks = static_cast<blkcnt_t>((a.stored + 511) / 512);
  st->st_blksize = static_cast<blksize_t>(store_.chunk_size());
  st->st_atim = {a.atime.sec, a.atime.nsec};
  st->st_mtim = {a.mtime.sec, a.mtime.nsec};
  st->st_ctim = {a.ctime.sec, a.ctime.nsec};
}

Node* Filesystem::make_entry(NsId ns, const Attr& attr, fuse_entry_param* e) {
  std::memset(e, 0, sizeof(*e));
  e->ino = inos_.to_fuse(ns, attr.ino);
  e->attr_timeout = options_.cache_timeout;
  e->entry_timeout = options_.cache_timeout;
  fill_stat(ns, attr, &e->attr);
  return nodes_.ref(e->ino, NodeId{ns, attr.ino});
}

Attr Filesystem::virtual_root_attr() {
  Attr a;
  a.ino = FUSE_ROOT_ID;
  a.mode = S_IFDIR | 0755;
  a.nlink = 2;
  a.uid = getuid();
  a.gid = getgid();
  a.atime = a.mtime = a.ctime = mount_time_;
  return a;
}

Result<Attr> Filesystem::current_attr(fuse_ino_t fino, NodeId id) {
  if (inos_.is_virtual_root(fino)) return virtual_root_attr();
  auto attr = store_.getattr(id.ns, id.ino);
  if (attr) apply_pending(fino, *attr);
  return attr;
}

void Filesystem::apply_pending(fuse_ino_t fino, Attr& attr) {
  if (auto size = nodes_.pending_size(fino)) attr.size = *size;
}

Status Filesystem::commit_locked(Node& node) {
  if (!node.pending || !node.pending->dirty()) return Status::ok();
  auto attr = store_.commit(*node.pending, now_timespec());
  node.publish();
  if (attr && commit_listener_) commit_listener_(node.id.ns);
  // A Go action entry written here: the second tier may upload it (it only
  // queues two numbers; the reading and the network come later, elsewhere).
  if (attr && tier_ && node.action.load(std::memory_order_relaxed)) {
    tier_->committed(node.id.ns, node.id.ino);
  }
  return attr.status();
}

void Filesystem::purge(NodeId id) {
  if (Status s = store_.purge(id.ns, id.ino); !s) {
    spdlog::warn("purge of {}:{} failed: {}", id.ns, id.ino, s.error().message());
  }
}

void Filesystem::orphaned(NsId ns, Ino ino) {
  if (!nodes_.mark_orphan(inos_.to_fuse(ns, ino))) purge({ns, ino});
}

void Filesystem::forget(fuse_ino_t fino, uint64_t n) {
  NodeId id;
  if (nodes_.forget(fino, n, &id)) purge(id);
}

void Filesystem::close_handle(FileHandle h) {
  Node* node = h.node;
  if (h.writable) {
    std::lock_guard lock(node->mu);
    // RELEASE is asynchronous: it may arrive after the next open of the file
    // and writes of a version not closed yet (a rewrite in place, then
    // ftruncate). Those are no version of the file: another writer's close
    // commits them, not this. (This handle's writes were committed at its
    // FLUSH; a commit here only catches what that missed.)
    if (node->writers == 1) {
      if (Status s = commit_locked(*node); !s) {
        spdlog::error("commit at release of {}:{} failed, its new content is lost: {}", node->id.ns,
                      node->id.ino, s.error().message());
      }
    }
    if (--node->writers == 0) node->pending.reset();
    node->publish();
  }
  // Node::mu is released: the table's lock is never taken under it.
  NodeId id;
  if (nodes_.close(node, &id)) purge(id);
}

void Filesystem::shutdown() {
  // The table's lock is held only to pin the nodes with pending writes; each
  // commits outside it (no store call under NodeTable::mu_).
  nodes_.for_each_pending(
      [this](Node& node) {
        std::lock_guard lock(node.mu);
        if (Status s = commit_locked(node); !s) {
          spdlog::error("commit at shutdown of {}:{} failed: {}", node.id.ns, node.id.ino,
                        s.error().message());
        }
      },
      [this](NodeId id) { purge(id); });
  if (Status s = store_.sync(); !s) spdlog::error("sync at shutdown: {}", s.error().message());
}

}  // namespace gcfs::fusefs
