// Directory operations: opendir, readdir, readdirplus, releasedir.
#include <algorithm>
#include <cerrno>
#include <mutex>
#include <shared_mutex>

#include "fusefs/ops/dir_buffer.hpp"
#include "fusefs/ops/ops.hpp"
#include "fusefs/ops/root.hpp"

namespace gcfs::fusefs::ops {

namespace {

// Offsets: 1 and 2 follow "." and ".."; an entry's offset is its cookie, so
// the next call resumes at cookie + 1 however the directory changed.
Result<DirOut> list(const Request& rq, fuse_ino_t ino, size_t size, off_t off, bool plus) {
  Filesystem& fs = rq.fs;
  if (fs.inos().is_virtual_root(ino)) return root::readdir(rq, size, off, plus);
  NodeId id = fs.inos().from_fuse(ino);
  DirBuffer buf(rq.req, fs, size, plus);
  if (!buf.add_dots(off, ino)) return buf.take();
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
  // On an error, `buf` gives back the references it took (reply.hpp).
  GCFS_TRY(s);
  if (failed) return failure;
  return buf.take();
}

}  // namespace

Result<OpenOut> opendir(const Request&, fuse_ino_t, fuse_file_info* fi) {
  fi->fh = 0;
  return OpenOut{fi, {}};
}

Result<DirOut> readdir(const Request& rq, fuse_ino_t ino, size_t size, off_t off, fuse_file_info*) {
  return list(rq, ino, size, off, false);
}

Result<DirOut> readdirplus(const Request& rq, fuse_ino_t ino, size_t size, off_t off,
                           fuse_file_info*) {
  return list(rq, ino, size, off, true);
}

Status releasedir(const Request&, fuse_ino_t, fuse_file_info*) { return Status::ok(); }

}  // namespace gcfs::fusefs::ops
