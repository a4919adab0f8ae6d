// The FUSE operations table, built in one place, and the session hooks.
#include <spdlog/spdlog.h>

#include "fusefs/ops/dispatch.hpp"
#include "fusefs/ops/ops.hpp"
#include "store/guarded.hpp"

namespace gcfs::fusefs {

namespace ops {

static void init_conn(void* userdata, fuse_conn_info* conn) {
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

// Session callbacks are thread boundaries too (libfuse is C).
void init(void* userdata, fuse_conn_info* conn) {
  guarded("fuse init", [&] { init_conn(userdata, conn); });
}

void destroy(void* userdata) {
  guarded("fuse destroy", [&] { static_cast<Filesystem*>(userdata)->shutdown(); });
}

}  // namespace ops

const fuse_lowlevel_ops& Filesystem::operations() {
  static const fuse_lowlevel_ops table = [] {
    fuse_lowlevel_ops o{};
    o.init = ops::init;
    o.destroy = ops::destroy;
    o.lookup = Dispatch<Op::lookup, ops::lookup>::call;
    o.forget = Dispatch<Op::forget, ops::forget>::call;
    o.forget_multi = Dispatch<Op::forget_multi, ops::forget_multi>::call;
    o.getattr = Dispatch<Op::getattr, ops::getattr>::call;
    o.setattr = Dispatch<Op::setattr, ops::setattr>::call;
    o.readlink = Dispatch<Op::readlink, ops::readlink>::call;
    o.mknod = Dispatch<Op::mknod, ops::mknod>::call;
    o.mkdir = Dispatch<Op::mkdir, ops::mkdir>::call;
    o.symlink = Dispatch<Op::symlink, ops::symlink>::call;
    o.unlink = Dispatch<Op::unlink, ops::unlink>::call;
    o.rmdir = Dispatch<Op::rmdir, ops::rmdir>::call;
    o.rename = Dispatch<Op::rename, ops::rename>::call;
    o.link = Dispatch<Op::link, ops::link>::call;
    o.create = Dispatch<Op::create, ops::create>::call;
    o.open = Dispatch<Op::open, ops::open>::call;
    o.read = Dispatch<Op::read, ops::read>::call;
    o.write = Dispatch<Op::write, ops::write>::call;
    o.flush = Dispatch<Op::flush, ops::flush>::call;
    o.release = Dispatch<Op::release, ops::release>::call;
    o.fsync = Dispatch<Op::fsync, ops::fsync>::call;
    o.opendir = Dispatch<Op::opendir, ops::opendir>::call;
    o.readdir = Dispatch<Op::readdir, ops::readdir>::call;
    o.readdirplus = Dispatch<Op::readdirplus, ops::readdirplus>::call;
    o.releasedir = Dispatch<Op::releasedir, ops::releasedir>::call;
    o.statfs = Dispatch<Op::statfs, ops::statfs>::call;
    o.fallocate = Dispatch<Op::fallocate, ops::fallocate>::call;
    o.getxattr = Dispatch<Op::getxattr, ops::getxattr>::call;
    o.setxattr = Dispatch<Op::setxattr, ops::setxattr>::call;
    o.listxattr = Dispatch<Op::listxattr, ops::listxattr>::call;
    o.removexattr = Dispatch<Op::removexattr, ops::removexattr>::call;
    // No poll: libfuse answers ENOSYS and the kernel stops asking.
    // No lock methods: flock and fcntl locks are handled by the kernel.
    return o;
  }();
  return table;
}

}  // namespace gcfs::fusefs
