// Extended attributes, stored with the inode (Store::setxattr). The kernel
// has already checked the caller's right (user.* on regular files and
// directories with write permission, trusted.* for CAP_SYS_ADMIN) and the
// 255-byte name and 64 KiB value limits of the VFS; the store applies
// ext4's 4 KiB value limit. A namespace's root in multi-namespace mode has
// attributes like any directory; the mount's own root (the namespace list)
// has none and takes none.
//
// POSIX ACLs (system.posix_acl_*) are not supported, as on a filesystem
// mounted noacl: without FUSE_POSIX_ACL the kernel hands them over as plain
// attributes and enforces nothing, so storing them would claim a protection
// that does not exist. cp -a and tar then keep the mode bits alone.
#include <sys/xattr.h>

#include <string_view>

#include "fusefs/ops/ops.hpp"

namespace gcfs::fusefs::ops {

namespace {

bool is_system(const char* name) { return std::string_view(name).starts_with("system."); }

}  // namespace

Result<XattrOut> getxattr(const Request& rq, fuse_ino_t ino, const char* name, size_t size) {
  Filesystem& fs = rq.fs;
  if (is_system(name)) return Error(Errc::not_supported, "");
  if (fs.inos().is_virtual_root(ino)) return Error(Errc::no_attr, "");
  NodeId id = fs.inos().from_fuse(ino);
  GCFS_TRY_ASSIGN(std::string value, fs.store().getxattr(id.ns, id.ino, name));
  return XattrOut{std::move(value), size};
}

Result<XattrOut> listxattr(const Request& rq, fuse_ino_t ino, size_t size) {
  Filesystem& fs = rq.fs;
  if (fs.inos().is_virtual_root(ino)) return XattrOut{std::string(), size};
  NodeId id = fs.inos().from_fuse(ino);
  GCFS_TRY_ASSIGN(std::vector<std::string> names, fs.store().listxattr(id.ns, id.ino));
  // ext4 lists trusted.* only to a caller with CAP_SYS_ADMIN; root stands
  // for it here (with allow_other, other users must not see root's names,
  // nor have cp -a fail on them).
  const bool privileged = rq.creds().uid == 0;
  std::string out;
  for (const std::string& n : names) {
    if (!privileged && n.starts_with("trusted.")) continue;
    out += n;
    out.push_back('\0');
  }
  return XattrOut{std::move(out), size};
}

Status setxattr(const Request& rq, fuse_ino_t ino, const char* name, const char* value, size_t size,
                int flags) {
  Filesystem& fs = rq.fs;
  if (is_system(name)) return Error(Errc::not_supported, "");
  if (fs.inos().is_virtual_root(ino)) return Error(Errc::permission, "");
  if ((flags & ~(XATTR_CREATE | XATTR_REPLACE)) != 0) return Error(Errc::invalid, "");
  const XattrMode mode{.create = (flags & XATTR_CREATE) != 0,
                       .replace = (flags & XATTR_REPLACE) != 0};
  NodeId id = fs.inos().from_fuse(ino);
  return fs.store().setxattr(id.ns, id.ino, name, std::string_view(value, size), mode,
                             now_timespec());
}

Status removexattr(const Request& rq, fuse_ino_t ino, const char* name) {
  Filesystem& fs = rq.fs;
  if (is_system(name)) return Error(Errc::not_supported, "");
  if (fs.inos().is_virtual_root(ino)) return Error(Errc::no_attr, "");
  NodeId id = fs.inos().from_fuse(ino);
  return fs.store().removexattr(id.ns, id.ino, name, now_timespec());
}

}  // namespace gcfs::fusefs::ops
