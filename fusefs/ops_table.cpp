// The FUSE operations table, built in one place, and the session hooks.
#include <spdlog/spdlog.h>

#include "fusefs/filesystem.hpp"

namespace gcfs::fusefs {

namespace ops {

void init(void* userdata, fuse_conn_info* conn) {
  auto* fs = static_cast<Filesystem*>(userdata);
  // O_TRUNC arrives with open, so truncation joins the pending write.
  if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC) conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
  // Lookups and listings in one directory may run in parallel: reads never lock.
  if (conn->capable & FUSE_CAP_PARALLEL_DIROPS) conn->want |= FUSE_CAP_PARALLEL_DIROPS;
  if (conn->capable & FUSE_CAP_CACHE_SYMLINKS) conn->want |= FUSE_CAP_CACHE_SYMLINKS;
  // Whole-file writes of the Go command go through the daemon as they happen.
  conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
  conn->max_write = fs->options().max_write;
  // Large sequential reads in few round trips: each is a MultiGet of chunks.
  conn->max_readahead = fs->options().max_write;
  conn->max_background = 64;
  conn->congestion_threshold = 48;
  spdlog::debug("fuse init: proto {}.{}, capable {:#x}, want {:#x}", conn->proto_major,
                conn->proto_minor, conn->capable, conn->want);
}

void destroy(void* userdata) { static_cast<Filesystem*>(userdata)->shutdown(); }

}  // namespace ops

const fuse_lowlevel_ops& Filesystem::operations() {
  static const fuse_lowlevel_ops table = [] {
    fuse_lowlevel_ops o{};
    o.init = ops::init;
    o.destroy = ops::destroy;
    o.lookup = ops::lookup;
    o.forget = ops::forget;
    o.forget_multi = ops::forget_multi;
    o.getattr = ops::getattr;
    o.setattr = ops::setattr;
    o.readlink = ops::readlink;
    o.mknod = ops::mknod;
    o.mkdir = ops::mkdir;
    o.symlink = ops::symlink;
    o.unlink = ops::unlink;
    o.rmdir = ops::rmdir;
    o.rename = ops::rename;
    o.link = ops::link;
    o.create = ops::create;
    o.open = ops::open;
    o.read = ops::read;
    o.write = ops::write;
    o.flush = ops::flush;
    o.release = ops::release;
    o.fsync = ops::fsync;
    o.opendir = ops::opendir;
    o.readdir = ops::readdir;
    o.readdirplus = ops::readdirplus;
    o.releasedir = ops::releasedir;
    o.statfs = ops::statfs;
    // No poll: libfuse answers ENOSYS and the kernel stops asking.
    // No lock methods: flock and fcntl locks are handled by the kernel.
    return o;
  }();
  return table;
}

}  // namespace gcfs::fusefs
