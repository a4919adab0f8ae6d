// Per-operation FUSE statistics: counts, latency histogram, errors by errno,
// logical bytes read and written.
//
// Hot path (every FUSE request): no lock and no shared atomic. Each worker
// thread writes its own shard (relaxed load + store of its own cache lines,
// no locked instruction); a scrape sums the shards. Shards of exited threads
// are reused, so memory stays bounded by the peak thread count.
//
// The dispatcher (dispatch.hpp) records each request once it replied: it
// knows the errno and the byte count of the reply.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>

namespace gcfs::fusefs {

enum class Op : uint8_t {
  lookup,
  forget,
  forget_multi,
  getattr,
  setattr,
  readlink,
  mknod,
  mkdir,
  symlink,
  unlink,
  rmdir,
  rename,
  link,
  create,
  open,
  read,
  write,
  flush,
  release,
  fsync,
  opendir,
  readdir,
  readdirplus,
  releasedir,
  statfs,
  fallocate,
  listxattr,
  getxattr,
  setxattr,
  removexattr,
  count_
};
constexpr size_t kOpCount = static_cast<size_t>(Op::count_);
const char* op_name(Op op);

// Upper bounds of the latency buckets, seconds (FUSE round trips here are
// 2 us cached .. tens of ms for a large commit).
constexpr std::array<double, 14> kLatencyBounds = {1e-5,   2.5e-5, 5e-5, 1e-4,   2.5e-4, 5e-4, 1e-3,
                                                   2.5e-3, 5e-3,   1e-2, 2.5e-2, 0.1,    0.5,  2.5};
// errno values above this are counted as this (none are expected).
constexpr int kMaxErrno = 160;

// Files one request's outcome in the calling thread's shard: `err` the errno
// replied (0: success), `bytes` the bytes read or written.
void record_op(Op op, uint64_t elapsed_ns, int err, uint64_t bytes);

struct OpTotals {
  uint64_t count = 0;
  double sum_seconds = 0;
  std::array<uint64_t, kLatencyBounds.size() + 1> buckets{};  // per bucket, +Inf last
  std::map<int, uint64_t> errors;                             // errno -> count
};

struct OpSnapshot {
  std::array<OpTotals, kOpCount> ops;
  uint64_t read_bytes = 0;
  uint64_t written_bytes = 0;
};

// Sums every shard: for the scrape, not the hot path.
OpSnapshot op_snapshot();

}  // namespace gcfs::fusefs
