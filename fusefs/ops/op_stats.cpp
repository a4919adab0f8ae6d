#include "fusefs/ops/op_stats.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

namespace gcfs::fusefs {

namespace {

constexpr size_t kBuckets = kLatencyBounds.size() + 1;

using Cell = std::atomic<uint64_t>;
// Only the owning thread writes a cell: a load and a store, never a locked add.
inline void bump(Cell& c, uint64_t v = 1) {
  c.store(c.load(std::memory_order_relaxed) + v, std::memory_order_relaxed);
}

struct alignas(64) Shard {
  std::array<Cell, kOpCount> count{};
  std::array<Cell, kOpCount> sum_ns{};
  std::array<std::array<Cell, kBuckets>, kOpCount> buckets{};
  std::array<std::array<Cell, kMaxErrno + 1>, kOpCount> errors{};
  Cell read_bytes{0};
  Cell written_bytes{0};
};

// Every shard ever made; never freed (a thread exiting hands its shard back
// for the next thread, keeping the counts).
struct Shards {
  std::mutex mu;
  std::vector<std::unique_ptr<Shard>> all;
  std::vector<Shard*> free;
};
Shards& shards() {
  static Shards* s = new Shards;  // leaked: threads may exit during static destruction
  return *s;
}

struct ShardLease {
  Shard* shard;
  ShardLease() {
    Shards& s = shards();
    std::lock_guard lock(s.mu);
    if (!s.free.empty()) {
      shard = s.free.back();
      s.free.pop_back();
    } else {
      s.all.push_back(std::make_unique<Shard>());
      shard = s.all.back().get();
    }
  }
  ~ShardLease() {
    Shards& s = shards();
    std::lock_guard lock(s.mu);
    s.free.push_back(shard);
  }
};

Shard& local_shard() {
  thread_local ShardLease lease;
  return *lease.shard;
}

size_t bucket_of(uint64_t ns) {
  const double s = static_cast<double>(ns) * 1e-9;
  size_t i = 0;
  while (i < kLatencyBounds.size() && s > kLatencyBounds[i]) ++i;
  return i;
}

constexpr std::array<const char*, kOpCount> kOpNames = {
    "lookup",  "forget",    "forget_multi", "getattr",  "setattr",     "readlink",
    "mknod",   "mkdir",     "symlink",      "unlink",   "rmdir",       "rename",
    "link",    "create",    "open",         "read",     "write",       "flush",
    "release", "fsync",     "opendir",      "readdir",  "readdirplus", "releasedir",
    "statfs",  "fallocate", "listxattr",    "getxattr", "setxattr",    "removexattr"};

}  // namespace

const char* op_name(Op op) { return kOpNames[static_cast<size_t>(op)]; }

void record_op(Op op, uint64_t elapsed_ns, int err, uint64_t bytes) {
  Shard& s = local_shard();
  const size_t i = static_cast<size_t>(op);
  bump(s.count[i]);
  bump(s.sum_ns[i], elapsed_ns);
  bump(s.buckets[i][bucket_of(elapsed_ns)]);
  if (err != 0) {
    bump(s.errors[i][err > 0 && err < kMaxErrno ? err : kMaxErrno]);
  } else if (op == Op::read) {
    bump(s.read_bytes, bytes);
  } else if (op == Op::write) {
    bump(s.written_bytes, bytes);
  }
}

OpSnapshot op_snapshot() {
  OpSnapshot out;
  Shards& all = shards();
  std::lock_guard lock(all.mu);
  for (const auto& sp : all.all) {
    const Shard& s = *sp;
    for (size_t i = 0; i < kOpCount; ++i) {
      OpTotals& t = out.ops[i];
      t.count += s.count[i].load(std::memory_order_relaxed);
      t.sum_seconds += static_cast<double>(s.sum_ns[i].load(std::memory_order_relaxed)) * 1e-9;
      for (size_t b = 0; b < kBuckets; ++b) {
        t.buckets[b] += s.buckets[i][b].load(std::memory_order_relaxed);
      }
      for (int e = 1; e <= kMaxErrno; ++e) {
        if (uint64_t n = s.errors[i][e].load(std::memory_order_relaxed)) t.errors[e] += n;
      }
    }
    out.read_bytes += s.read_bytes.load(std::memory_order_relaxed);
    out.written_bytes += s.written_bytes.load(std::memory_order_relaxed);
  }
  return out;
}

}  // namespace gcfs::fusefs
