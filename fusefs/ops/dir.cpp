// Directory listing and filesystem statistics.
#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <shared_mutex>

#include "fusefs/dir_buffer.hpp"
#include "fusefs/filesystem.hpp"
#include "fusefs/root_ops.hpp"

namespace gcfs::fusefs::ops {

namespace {

// Offsets: 1 and 2 follow "." and ".."; an entry's offset is its cookie, so
// the next call resumes at cookie + 1 however the directory changed.
void list(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, bool plus) {
  Filesystem& fs = fs_of(req);
  if (fs.inos().is_virtual_root(ino)) return root::readdir(req, fs, size, off, plus);
  NodeId id = fs.inos().from_fuse(ino);
  DirBuffer buf(req, fs, size, plus);
  if (!buf.add_dots(off, ino)) return buf.reply();
  uint64_t from = std::max<uint64_t>(static_cast<uint64_t>(off) + 1, 3);
  Error failure;
  bool failed = false;
  // readdirplus hands out references like lookup does (see lookup).
  std::shared_lock<std::shared_mutex> fence;
  if (plus) fence = std::shared_lock(fs.evict_fence());
  Status s = fs.store().readdir(id.ns, id.ino, from, [&](const DirEntry& de) {
    Attr attr;
    if (plus) {
      auto a = fs.store().getattr(id.ns, de.ino);
      if (!a) {
        failed = a.code() != Errc::not_found;  // removed meanwhile: skip it
        if (failed) failure = a.error();
        return !failed;
      }
      attr = *a;
      fs.apply_pending(fs.inos().to_fuse(id.ns, de.ino), attr);
    } else {
      attr.ino = de.ino;
      attr.mode = de.mode;
    }
    return buf.add(de.name, id.ns, attr, de.cookie);
  });
  if (fence.owns_lock()) fence.unlock();
  if (!s) return reply_err(req, s.error());
  if (failed) return reply_err(req, failure);
  buf.reply();
}

}  // namespace

void opendir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  fi->fh = 0;
  fuse_reply_open(req, fi);
}

void readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info*) {
  list(req, ino, size, off, false);
}

void readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info*) {
  list(req, ino, size, off, true);
}

void releasedir(fuse_req_t req, fuse_ino_t, fuse_file_info*) { fuse_reply_err(req, 0); }

void statfs(fuse_req_t req, fuse_ino_t) {
  Filesystem& fs = fs_of(req);
  StoreUsage u = fs.store().usage();
  struct statvfs st;
  std::memset(&st, 0, sizeof(st));
  constexpr uint64_t kBlock = 4096;
  st.f_bsize = kBlock;
  st.f_frsize = kBlock;
  // The store's own bytes count as used; what its disk has left is free.
  st.f_blocks = (u.physical_bytes + u.disk_free_bytes) / kBlock;
  st.f_bfree = u.disk_free_bytes / kBlock;
  st.f_bavail = u.disk_free_bytes / kBlock;
  st.f_files = u.inodes + (uint64_t{1} << 32);
  st.f_ffree = uint64_t{1} << 32;
  st.f_favail = st.f_ffree;
  st.f_namemax = kMaxNameLen;
  fuse_reply_statfs(req, &st);
}

}  // namespace gcfs::fusefs::ops
