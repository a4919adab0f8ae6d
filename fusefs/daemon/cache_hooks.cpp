// The daemon's side of the cacheprog front end (store/admin/cache_cmds.cpp):
// its lookups count as hits and misses and as uses for the LRU index, like
// the go command's opens on the mount; what its puts create or rewrite is
// dropped from the kernel's caches (a negative entry would otherwise hide a
// new file for the 24 h entry timeout) and handed to the second tier for
// upload. Runs on control threads, never inside a FUSE request.
#include <spdlog/spdlog.h>

#include <cstring>

#include "fusefs/daemon/control_hooks.hpp"
#include "store/gocache/layout.hpp"

namespace gcfs::fusefs {

void KernelHooks::cache_looked_up(NsId ns, const gocache::CacheHit* hit) {
  if (hit == nullptr) return fs_.activity().miss(ns);
  fs_.activity().hit(ns);
  fs_.uses().record(ns, hit->action_ino, hit->action_dir, gocache::action_name(hit->entry.action),
                    true);
  fs_.uses().record(ns, hit->output_ino, hit->output_dir, gocache::output_name(hit->entry.output));
}

void KernelHooks::cache_stored(NsId ns, const gocache::PutResult& put) {
  for (const gocache::Changed& c : put.changed) {
    if (c.created) {
      fs_.invalidate_entry(ns, c.parent, c.name);
      continue;
    }
    // New content under a name the kernel may cache: attributes and pages.
    const int rc = fuse_lowlevel_notify_inval_inode(se_, fs_.inos().to_fuse(ns, c.ino), 0, 0);
    if (rc != 0 && rc != -ENOENT) {
      spdlog::debug("cache.put: invalidating {}:{}: {}", ns, c.ino, std::strerror(-rc));
    }
  }
  fs_.note_commit(ns);
  // An entry stored through the helper is shared like one written on the
  // mount: the second tier queues it for upload (nothing waits here).
  if (SecondTier* tier = fs_.tier(); tier != nullptr && put.action_ino != 0) {
    tier->committed(ns, put.action_ino);
  }
}

}  // namespace gcfs::fusefs
