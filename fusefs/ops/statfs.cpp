// Filesystem statistics.
#include <sys/statvfs.h>

#include <cstring>

#include "fusefs/ops/ops.hpp"

namespace gcfs::fusefs::ops {

Result<StatfsOut> statfs(const Request& rq, fuse_ino_t) {
  StoreUsage u = rq.fs.store().usage();
  StatfsOut out;
  struct statvfs& st = out.st;
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
  return out;
}

}  // namespace gcfs::fusefs::ops
