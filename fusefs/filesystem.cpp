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

void Filesystem::shutdown() {
  nodes_.for_each([this](Node& node) {
    std::lock_guard lock(node.mu);
    if (Status s = commit_locked(node); !s) {
      spdlog::error("commit at shutdown of {}:{} failed: {}", node.id.ns, node.id.ino,
                    s.error().message());
    }
  });
  if (Status s = store_.sync(); !s) spdlog::error("sync at shutdown: {}", s.error().message());
}

Filesystem& fs_of(fuse_req_t req) { return *static_cast<Filesystem*>(fuse_req_userdata(req)); }

Credentials creds_of(fuse_req_t req) {
  const fuse_ctx* ctx = fuse_req_ctx(req);
  return {ctx->uid, ctx->gid};
}

void reply_err(fuse_req_t req, const Error& e) { fuse_reply_err(req, to_errno(e)); }

void reply_attr(fuse_req_t req, Filesystem& fs, NsId ns, const Attr& attr) {
  struct stat st;
  fs.fill_stat(ns, attr, &st);
  fuse_reply_attr(req, &st, fs.options().cache_timeout);
}

void reply_entry(fuse_req_t req, Filesystem& fs, NsId ns, const Attr& attr, bool action) {
  fuse_entry_param e;
  Node* node = fs.make_entry(ns, attr, &e);
  if (action) node->action.store(true, std::memory_order_relaxed);
  if (fuse_reply_entry(req, &e) != 0) {
    // The kernel did not take the reference (interrupted request): give it back.
    NodeId id;
    fs.nodes().forget(e.ino, 1, &id);
  }
}

}  // namespace gcfs::fusefs
