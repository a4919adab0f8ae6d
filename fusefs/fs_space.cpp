// The Filesystem's part in the space policy: dropping evicted entries from
// the kernel's view. Called from the space worker's threads only, never from
// inside a FUSE request (the kernel may wait on the parent directory).
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>

#include "fusefs/filesystem.hpp"

namespace gcfs::fusefs {

void Filesystem::invalidate_entry(NsId ns, Ino parent, std::string_view name) {
  if (session_ == nullptr) return;
  int rc = fuse_lowlevel_notify_inval_entry(session_, inos_.to_fuse(ns, parent), name.data(),
                                            name.size());
  // ENOENT: the kernel had no such entry cached; nothing to drop.
  if (rc != 0 && rc != -ENOENT) {
    spdlog::debug("invalidating {}:{}/{}: {}", ns, parent, name, std::strerror(-rc));
  }
}

void Filesystem::evicted(NsId ns, Ino ino, Ino parent, std::string_view name) {
  const fuse_ino_t fino = inos_.to_fuse(ns, ino);
  // An open file keeps its data until closed (purged at release); a file the
  // kernel only remembers goes now, so the live bytes drop at once (the
  // kernel's later forget finds nothing left to purge).
  const bool open = nodes_.is_open(fino);
  nodes_.mark_orphan(fino);
  if (!open) purge({ns, ino});
  invalidate_entry(ns, parent, name);
}

}  // namespace gcfs::fusefs
