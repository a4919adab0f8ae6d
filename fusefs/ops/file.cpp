// Regular file I/O: create, open, read, write, flush, release, fsync.
//
// Writes collect in the inode's PendingWrite and are committed as one atomic
// batch when a handle is flushed (every close), synced or released.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "fusefs/errno_map.hpp"
#include "fusefs/filesystem.hpp"

namespace gcfs::fusefs::ops {

namespace {

// Above this many buffered bytes a file being written is committed in
// pieces, so memory stays bounded for arbitrarily large files (at the cost
// of whole-file atomicity for such files only; Go's largest cache files are
// ~35 MB).
constexpr uint64_t kMaxBuffered = uint64_t{64} << 20;

bool is_writable(int flags) { return (flags & O_ACCMODE) != O_RDONLY; }

FileHandle handle_of(const fuse_file_info* fi) { return FileHandle::unpack(fi->fh); }

// Caller holds node.mu.
Status ensure_pending(Filesystem& fs, Node& node) {
  if (node.pending) return Status::ok();
  auto pw = fs.store().begin_write(node.id.ns, node.id.ino);
  if (!pw) return pw.status();
  node.pending = std::move(*pw);
  node.publish();
  return Status::ok();
}

// Registers an open handle; with write access and O_TRUNC the truncation
// becomes part of the pending content (atomic with what is written next).
Result<FileHandle> open_handle(Filesystem& fs, fuse_ino_t fino, NodeId id, int flags) {
  bool writable = is_writable(flags);
  Node* node = fs.nodes().open(fino, id);
  if (writable) {
    std::lock_guard lock(node->mu);
    ++node->writers;
    if (flags & O_TRUNC) {
      Status s = ensure_pending(fs, *node);
      if (s) s = node->pending->truncate(0);
      node->publish();
      if (!s) {
        --node->writers;
        NodeId ignored;
        fs.nodes().close(node, &ignored);
        return s.error();
      }
    }
  }
  return FileHandle{node, writable};
}

void set_open_flags(fuse_file_info* fi, FileHandle h) {
  fi->fh = h.pack();
  // Every change passes through this daemon, so cached pages stay valid.
  fi->keep_cache = 1;
  // Nothing to commit for a read-only handle: spare the FLUSH round trip.
  fi->noflush = h.writable ? 0 : 1;
}

thread_local std::vector<char> read_buffer;

// Forgets the handle, committing what is pending if it was the file's last
// writer, and frees the inode if it was unlinked and this was the last
// reference.
void release_handle(Filesystem& fs, fuse_file_info* fi) {
  const FileHandle h = handle_of(fi);
  Node* node = h.node;
  if (h.writable) {
    std::lock_guard lock(node->mu);
    // RELEASE is asynchronous: it may arrive after the next open of the file
    // and writes of a version not closed yet (a rewrite in place, then
    // ftruncate). Those are no version of the file: another writer's close
    // commits them, not this. (This handle's writes were committed at its
    // FLUSH; a commit here only catches what that missed.)
    if (node->writers == 1) {
      if (Status s = fs.commit_locked(*node); !s) {
        spdlog::error("commit at release of {}:{} failed, its new content is lost: {}", node->id.ns,
                      node->id.ino, s.error().message());
      }
    }
    if (--node->writers == 0) node->pending.reset();
    node->publish();
  }
  NodeId id;
  if (fs.nodes().close(node, &id)) fs.purge(id);
}

}  // namespace

void create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, fuse_file_info* fi) {
  Filesystem& fs = fs_of(req);
  if (fs.inos().is_virtual_root(parent)) return (void)fuse_reply_err(req, EPERM);
  NodeId p = fs.inos().from_fuse(parent);
  auto attr =
      fs.store().mknode(p.ns, p.ino, name, S_IFREG | (mode & 07777), creds_of(req), now_timespec());
  if (!attr) return reply_err(req, attr.error());
  fuse_ino_t fino = fs.inos().to_fuse(p.ns, attr->ino);
  auto h = open_handle(fs, fino, NodeId{p.ns, attr->ino}, fi->flags & ~O_TRUNC);
  if (!h) return reply_err(req, h.error());
  set_open_flags(fi, *h);
  fuse_entry_param e;
  Node* node = fs.make_entry(p.ns, *attr, &e);
  // A created action entry is one too: later reads through this cached
  // entry (no new lookup) are hits.
  if (is_action_name(name)) node->action.store(true, std::memory_order_relaxed);
  if (fuse_reply_create(req, &e, fi) != 0) {
    NodeId id;
    fs.nodes().forget(e.ino, 1, &id);
    release_handle(fs, fi);
  }
}

void open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Filesystem& fs = fs_of(req);
  NodeId id = fs.inos().from_fuse(ino);
  if ((fi->flags & O_TRUNC) && !is_writable(fi->flags)) {
    SetAttr sa;
    sa.now = now_timespec();
    sa.size = 0;
    if (auto a = fs.store().setattr(id.ns, id.ino, sa); !a) return reply_err(req, a.error());
  }
  auto h = open_handle(fs, ino, id, fi->flags);
  if (!h) return reply_err(req, h.error());
  const bool action = h->node->action.load(std::memory_order_relaxed);
  fs.uses().record(id.ns, id.ino, 0, {}, action);  // LRU, in memory
  if (!h->writable && action) fs.activity().hit(id.ns);
  set_open_flags(fi, *h);
  if (fuse_reply_open(req, fi) != 0) release_handle(fs, fi);
}

void read(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  Filesystem& fs = fs_of(req);
  Node& node = *handle_of(fi).node;
  if (read_buffer.size() < size) read_buffer.resize(size);
  std::span<char> out(read_buffer.data(), size);
  Result<size_t> n = size_t{0};
  if (node.has_pending.load(std::memory_order_acquire)) {
    std::unique_lock lock(node.mu);
    if (node.pending) {
      n = node.pending->read(static_cast<uint64_t>(off), out);
    } else {
      lock.unlock();
      n = fs.store().read(node.id.ns, node.id.ino, static_cast<uint64_t>(off), out);
    }
  } else {
    n = fs.store().read(node.id.ns, node.id.ino, static_cast<uint64_t>(off), out);
  }
  if (!n) return reply_err(req, n.error());
  fuse_reply_buf(req, read_buffer.data(), *n);
}

void write(fuse_req_t req, fuse_ino_t, const char* buf, size_t size, off_t off,
           fuse_file_info* fi) {
  Filesystem& fs = fs_of(req);
  Node& node = *handle_of(fi).node;
  // A file larger than the size limit could never stay: refuse it early.
  if (static_cast<uint64_t>(off) + size > fs.options().max_file_bytes) {
    return (void)fuse_reply_err(req, EFBIG);
  }
  Status s;
  {
    std::lock_guard lock(node.mu);
    s = ensure_pending(fs, node);
    if (s) s = node.pending->write(static_cast<uint64_t>(off), std::string_view(buf, size));
    if (s && node.pending->buffered_bytes() > kMaxBuffered) s = fs.commit_locked(node);
    node.publish();
  }
  if (!s) return reply_err(req, s.error());
  fuse_reply_write(req, size);
}

void flush(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  Filesystem& fs = fs_of(req);
  Node& node = *handle_of(fi).node;
  Status s;
  if (node.has_pending.load(std::memory_order_acquire)) {
    std::lock_guard lock(node.mu);
    s = fs.commit_locked(node);
  }
  fuse_reply_err(req, s ? 0 : to_errno(s.error()));
}

void release(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  release_handle(fs_of(req), fi);
  fuse_reply_err(req, 0);
}

void fsync(fuse_req_t req, fuse_ino_t, int, fuse_file_info* fi) {
  Filesystem& fs = fs_of(req);
  Node& node = *handle_of(fi).node;
  Status s;
  {
    std::lock_guard lock(node.mu);
    s = fs.commit_locked(node);
  }
  if (s) s = fs.store().sync();
  fuse_reply_err(req, s ? 0 : to_errno(s.error()));
}

}  // namespace gcfs::fusefs::ops
