// The FUSE operations table, built in one place, and the session hooks.
#include <spdlog/spdlog.h>

#include <ctime>

#include "fusefs/filesystem.hpp"
#include "fusefs/guarded.hpp"
#include "fusefs/op_guard.hpp"
#include "fusefs/op_stats.hpp"

namespace gcfs::fusefs {

namespace {

uint64_t now_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

// Every request handler runs inside this: its count, latency and the errno
// of its reply go to the calling thread's op_stats shard (no lock), and an
// exception it throws ends as an EIO reply instead of the daemon (op_guard.hpp).
template <Op op, auto Fn>
struct Timed;
template <Op op, class... A, void (*Fn)(fuse_req_t, A...)>
struct Timed<op, Fn> {
  static void call(fuse_req_t req, A... args) {
    begin_op();
    const uint64_t t0 = now_ns();
    guard_op(op, req, [&] { Fn(req, args...); });
    end_op(op, now_ns() - t0);
  }
};

}  // namespace

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
    o.lookup = Timed<Op::lookup, ops::lookup>::call;
    o.forget = Timed<Op::forget, ops::forget>::call;
    o.forget_multi = Timed<Op::forget_multi, ops::forget_multi>::call;
    o.getattr = Timed<Op::getattr, ops::getattr>::call;
    o.setattr = Timed<Op::setattr, ops::setattr>::call;
    o.readlink = Timed<Op::readlink, ops::readlink>::call;
    o.mknod = Timed<Op::mknod, ops::mknod>::call;
    o.mkdir = Timed<Op::mkdir, ops::mkdir>::call;
    o.symlink = Timed<Op::symlink, ops::symlink>::call;
    o.unlink = Timed<Op::unlink, ops::unlink>::call;
    o.rmdir = Timed<Op::rmdir, ops::rmdir>::call;
    o.rename = Timed<Op::rename, ops::rename>::call;
    o.link = Timed<Op::link, ops::link>::call;
    o.create = Timed<Op::create, ops::create>::call;
    o.open = Timed<Op::open, ops::open>::call;
    o.read = Timed<Op::read, ops::read>::call;
    o.write = Timed<Op::write, ops::write>::call;
    o.flush = Timed<Op::flush, ops::flush>::call;
    o.release = Timed<Op::release, ops::release>::call;
    o.fsync = Timed<Op::fsync, ops::fsync>::call;
    o.opendir = Timed<Op::opendir, ops::opendir>::call;
    o.readdir = Timed<Op::readdir, ops::readdir>::call;
    o.readdirplus = Timed<Op::readdirplus, ops::readdirplus>::call;
    o.releasedir = Timed<Op::releasedir, ops::releasedir>::call;
    o.statfs = Timed<Op::statfs, ops::statfs>::call;
    // No poll: libfuse answers ENOSYS and the kernel stops asking.
    // No lock methods: flock and fcntl locks are handled by the kernel.
    return o;
  }();
  return table;
}

}  // namespace gcfs::fusefs
