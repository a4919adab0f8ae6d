// Extended attributes: none are stored, so every inode's list is empty
// (cp -a, rsync -X and tar --xattrs list first and copy nothing). getxattr
// and setxattr are not in the operations table: see table.cpp.
#include "fusefs/ops/ops.hpp"

namespace gcfs::fusefs::ops {

Result<XattrOut> listxattr(const Request&, fuse_ino_t, size_t size) {
  return XattrOut{std::string(), size};
}

}  // namespace gcfs::fusefs::ops
