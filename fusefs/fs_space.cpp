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

Result<UnlinkIf> Filesystem::evict(NsId ns, Ino parent, const std::string& name, Ino ino,
                                   int64_t used_before_ns) {
  const fuse_ino_t fino = inos_.to_fuse(ns, ino);
  // --remote-upload evict: the remote gets the entry before it goes here.
  // No lock is held across that upload (this is the space worker's thread
  // or a control request's, never a FUSE request).
  if (tier_) tier_->evicting(ns, ino, name);
  bool purge_now = false;
  std::vector<EntryName> others;  // the file's other names (hard links)
  {
    std::unique_lock fence(evict_fence_);
    // Used since the space worker last wrote uses to the index.
    if (uses_.pending(ns, ino)) return UnlinkIf::used;
    auto r =
        store_.unlink_if_unused(ns, parent, name, ino, used_before_ns, now_timespec(), &others);
    if (!r || *r != UnlinkIf::unlinked) return r;
    // An inode the kernel holds (an entry it may open through, an open
    // file) keeps its data until forgotten or closed; one it does not know
    // goes now, so the live bytes drop at once.
    purge_now = nodes_.orphan_unless_referenced(fino);
  }
  if (purge_now) purge({ns, ino});
  invalidate_entry(ns, parent, name);
  for (const EntryName& n : others) invalidate_entry(ns, n.parent, n.name);
  return UnlinkIf::unlinked;
}

}  // namespace gcfs::fusefs
