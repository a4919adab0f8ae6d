// Per-operation FUSE statistics: counts, latency histogram, errors by errno,
// logical bytes read and written.
//
// Hot path (every FUSE request): no lock and no shared atomic. Each worker
// thread writes its own shard (relaxed load + store of its own cache lines,
// no locked instruction); a scrape sums the shards. Shards of exited threads
// are reused, so memory stays bounded by the peak thread count.
//
// The errno and the byte count of a reply are captured by link-time wrappers
// of fuse_reply_err/_buf/_write (op_stats.cpp): handlers reply through many
// paths, and this sees all of them without touching each handler.
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

// Around each handler: begin_op() clears the thread's reply record,
// end_op() files the outcome in the thread's shard.
void begin_op();
void end_op(Op op, uint64_t elapsed_ns);

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
