// Regular file I/O: create, open, read, write, flush, release, fsync, fallocate.
//
// Writes collect in the inode's PendingWrite and are committed as one atomic
// batch when a handle is flushed (every close), synced or released.
#include <fcntl.h>
#include <linux/falloc.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "fusefs/ops/ops.hpp"

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
  GCFS_TRY_ASSIGN(node.pending, fs.store().begin_write(node.id.ns, node.id.ino));
  node.publish();
  return Status::ok();
}

// Registers an open handle; with write access and O_TRUNC the truncation
// becomes part of the pending content (atomic with what is written next).
// Node::mu is released before the handle is given back on failure: the node
// table's lock is never taken under a node's.
Result<HandleRef> open_handle(Filesystem& fs, fuse_ino_t fino, NodeId id, int flags) {
  const bool writable = is_writable(flags);
  // Given back (NodeTable::close) if the open fails.
  HandleRef handle(fs, FileHandle{fs.nodes().open(fino, id), false});
  if (!writable) return handle;
  Node* node = handle.handle().node;
  {
    std::lock_guard lock(node->mu);
    ++node->writers;
    if (flags & O_TRUNC) {
      Status s = ensure_pending(fs, *node);
      if (s) s = node->pending->truncate(0);
      node->publish();
      if (!s) {
        --node->writers;
        return s.error();  // `handle` is closed after Node::mu is released
      }
    }
  }
  handle.commit();
  return HandleRef(fs, FileHandle{node, true});
}

void set_open_flags(fuse_file_info* fi, FileHandle h) {
  fi->fh = h.pack();
  // Every change passes through this daemon, so cached pages stay valid.
  fi->keep_cache = 1;
  // Nothing to commit for a read-only handle: spare the FLUSH round trip.
  fi->noflush = h.writable ? 0 : 1;
}

thread_local std::vector<char> read_buffer;

}  // namespace

Result<CreateOut> create(const Request& rq, fuse_ino_t parent, const char* name, mode_t mode,
                         fuse_file_info* fi) {
  Filesystem& fs = rq.fs;
  if (fs.inos().is_virtual_root(parent)) return Error(Errc::permission, "");
  NodeId p = fs.inos().from_fuse(parent);
  auto made =
      fs.store().mknode(p.ns, p.ino, name, S_IFREG | (mode & 07777), rq.creds(), now_timespec());
  int flags = fi->flags & ~O_TRUNC;  // a new file is empty
  if (!made && made.code() == Errc::exists && !(fi->flags & O_EXCL)) {
    // The kernel believed the name absent (a negative entry it cached) but
    // the daemon made it meanwhile (a second tier's fetch): O_CREAT without
    // O_EXCL opens the existing file, as on any filesystem.
    made = fs.store().lookup(p.ns, p.ino, name);
    if (made && !S_ISREG(made->mode)) return Error(Errc::exists, "");
    flags = fi->flags;
  }
  if (!made) return made.error();
  const Attr& attr = *made;
  fuse_ino_t fino = fs.inos().to_fuse(p.ns, attr.ino);
  GCFS_TRY_ASSIGN(HandleRef h, open_handle(fs, fino, NodeId{p.ns, attr.ino}, flags));
  set_open_flags(fi, h.handle());
  // A created action entry is one too: later reads through this cached
  // entry (no new lookup) are hits.
  return CreateOut{make_entry(fs, p.ns, attr, is_action_name(name)), fi, std::move(h)};
}

Result<OpenOut> open(const Request& rq, fuse_ino_t ino, fuse_file_info* fi) {
  Filesystem& fs = rq.fs;
  NodeId id = fs.inos().from_fuse(ino);
  if ((fi->flags & O_TRUNC) && !is_writable(fi->flags)) {
    SetAttr sa;
    sa.now = now_timespec();
    sa.size = 0;
    GCFS_TRY(fs.store().setattr(id.ns, id.ino, sa));
  }
  GCFS_TRY_ASSIGN(HandleRef h, open_handle(fs, ino, id, fi->flags));
  const FileHandle fh = h.handle();
  const bool action = fh.node->action.load(std::memory_order_relaxed);
  fs.uses().record(id.ns, id.ino, 0, {}, action);  // LRU, in memory
  if (!fh.writable && action) {
    fs.activity().hit(id.ns);
    // A load first: the exchange's cache-line write only for a fetched entry.
    if (fh.node->fetched.load(std::memory_order_relaxed) &&
        fh.node->fetched.exchange(false, std::memory_order_relaxed))
      fs.activity().remote_hit(id.ns);
  }
  set_open_flags(fi, fh);
  return OpenOut{fi, std::move(h)};
}

Result<ReadOut> read(const Request& rq, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  Filesystem& fs = rq.fs;
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
  if (!n) return n.error();
  return ReadOut{read_buffer.data(), *n};
}

Result<size_t> write(const Request& rq, fuse_ino_t, const char* buf, size_t size, off_t off,
                     fuse_file_info* fi) {
  Filesystem& fs = rq.fs;
  Node& node = *handle_of(fi).node;
  // A file larger than the size limit could never stay: refuse it early.
  if (static_cast<uint64_t>(off) + size > fs.options().max_file_bytes) {
    return Error(Errc::too_big, "");
  }
  std::lock_guard lock(node.mu);
  Status s = ensure_pending(fs, node);
  if (s) s = node.pending->write(static_cast<uint64_t>(off), std::string_view(buf, size));
  if (s && node.pending->buffered_bytes() > kMaxBuffered) s = fs.commit_locked(node);
  node.publish();
  if (!s) return s.error();
  return size;
}

Status flush(const Request& rq, fuse_ino_t, fuse_file_info* fi) {
  Node& node = *handle_of(fi).node;
  if (!node.has_pending.load(std::memory_order_acquire)) return Status::ok();
  std::lock_guard lock(node.mu);
  return rq.fs.commit_locked(node);
}

Status release(const Request& rq, fuse_ino_t, fuse_file_info* fi) {
  rq.fs.close_handle(handle_of(fi));
  return Status::ok();
}

Status fsync(const Request& rq, fuse_ino_t, int, fuse_file_info* fi) {
  Node& node = *handle_of(fi).node;
  {
    std::lock_guard lock(node.mu);
    GCFS_TRY(rq.fs.commit_locked(node));
  }
  return rq.fs.store().sync();
}

// Space is not reserved ahead in an LSM store: mode 0 and KEEP_SIZE only set
// the size a local filesystem would, and a later write may still meet a full
// disk. Holes and zeroed ranges become zeros in the pending content (LZ4
// stores a chunk of zeros in a few bytes), committed like writes at close.
Status fallocate(const Request& rq, fuse_ino_t, int mode, off_t off, off_t length,
                 fuse_file_info* fi) {
  constexpr int kKnown = FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE;
  if ((mode & ~kKnown) != 0) return Error(Errc::not_supported, "");
  if (off < 0 || length <= 0) return Error(Errc::invalid, "");
  Filesystem& fs = rq.fs;
  const uint64_t start = static_cast<uint64_t>(off);
  const uint64_t end = start + static_cast<uint64_t>(length);
  const bool keep_size = (mode & FALLOC_FL_KEEP_SIZE) != 0;
  if (!keep_size && end > fs.options().max_file_bytes) return Error(Errc::too_big, "");
  Node& node = *handle_of(fi).node;
  std::lock_guard lock(node.mu);
  Status s = ensure_pending(fs, node);
  if (s && (mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE))) {
    // Zeros over the range, within the size unless it may grow.
    const uint64_t stop = keep_size ? std::min(end, node.pending->size()) : end;
    static const std::string zeros(size_t{1} << 20, '\0');
    for (uint64_t at = start; s && at < stop; at += zeros.size()) {
      const uint64_t n = std::min<uint64_t>(zeros.size(), stop - at);
      s = node.pending->write(at, std::string_view(zeros.data(), n));
      if (s && node.pending->buffered_bytes() > kMaxBuffered) s = fs.commit_locked(node);
      if (s) s = ensure_pending(fs, node);
    }
  }
  if (s && !keep_size && end > node.pending->size()) s = node.pending->truncate(end);
  node.publish();
  return s;
}

}  // namespace gcfs::fusefs::ops
