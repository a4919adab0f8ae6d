// Kernel-facing side of control requests: after a namespace changed under
// the mount, drop the kernel's cached dentries so new lookups reach the new
// content. Runs on the control socket's threads, never inside a FUSE request.
#include "fusefs/daemon/control_hooks.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstring>
#include <set>

namespace gcfs::fusefs {

std::optional<std::string> KernelHooks::refuse_drop(const std::string& name) {
  if (!fs_.inos().multi() && name == info_.ns) {
    return "namespace " + name + " is mounted as the root of " + info_.mountpoint +
           ": unmount it first";
  }
  return std::nullopt;
}

void KernelHooks::inval(const std::string& name) {
  int rc = fuse_lowlevel_notify_inval_entry(se_, FUSE_ROOT_ID, name.c_str(), name.size());
  if (rc != 0 && rc != -ENOENT) spdlog::debug("inval_entry {}: {}", name, std::strerror(-rc));
}

void KernelHooks::namespace_replaced(const std::string& name, NsId old_id, NsId new_id) {
  fs_.namespace_swapped(old_id, new_id);  // before the kernel forgets the old view
  if (fs_.inos().multi()) {
    // The namespace's dentry goes, and the kernel drops its whole subtree
    // with it: the next lookup by name reaches the new id.
    inval(name);
    spdlog::info("namespace {} replaced (id {} -> {}): kernel view invalidated", name, old_id,
                 new_id);
    return;
  }
  if (name != info_.ns || old_id != fs_.inos().single_ns()) return;  // not what we show
  // The root is the namespace: switch it, then drop every name cached at the
  // root (of the old content, and negative entries for names of the new).
  std::set<std::string> names;
  for (NsId id : {old_id, new_id}) {
    Status s = fs_.store().readdir(id, kRootIno, 0, [&](const DirEntry& e) {
      names.insert(e.name);
      return true;
    });
    if (!s) {
      // Names not listed cannot be invalidated one by one; nothing else can.
      spdlog::error(
          "namespace {} at the root replaced, but listing id {} failed ({}): entries the kernel "
          "cached may show the old content until they expire (--cache-timeout) or a remount",
          name, id, s.error().message());
    }
  }
  fs_.switch_single_ns(new_id);
  for (const auto& n : names) inval(n);
  fuse_lowlevel_notify_inval_inode(se_, FUSE_ROOT_ID, 0, 0);
  spdlog::info("namespace {} at the root replaced (id {} -> {}): {} names invalidated", name,
               old_id, new_id, names.size());
}

void KernelHooks::discard_later(const std::string& snapshot, NsId id) {
  if (info_.discard) {
    info_.discard(snapshot, id);
  } else if (Status s = fs_.store().delete_snapshot(snapshot); !s) {
    spdlog::warn("restore: cannot delete the replaced content {}: {}", snapshot,
                 s.error().message());
  }
}

void KernelHooks::name_changed(const std::string& name) {
  if (fs_.inos().multi()) inval(name);
}

void KernelHooks::namespace_repaired(const std::string& name, NsId id) {
  // Repair may have removed what the kernel caches: drop the namespace's
  // cached names so the next lookups see the repaired content.
  if (fs_.inos().multi()) return inval(name);
  if (id != fs_.inos().single_ns()) return;
  std::set<std::string> names;
  Status s = fs_.store().readdir(id, kRootIno, 0, [&](const DirEntry& e) {
    names.insert(e.name);
    return true;
  });
  if (!s)
    spdlog::warn("namespace {} repaired: listing its root failed: {}", name, s.error().message());
  for (const auto& n : names) inval(n);
  fuse_lowlevel_notify_inval_inode(se_, FUSE_ROOT_ID, 0, 0);
}

control::json KernelHooks::activity(NsId ns) {
  NsActivity& a = fs_.activity().of(ns);
  const int64_t last = a.last_use_sec.load(std::memory_order_relaxed);
  const uint64_t hits = a.hits.load(std::memory_order_relaxed);
  const uint64_t remote = a.remote_hits.load(std::memory_order_relaxed);
  // A remote hit is the first open of an entry the tier fetched; it is a hit
  // too, so the local ones are the rest.
  return {{"hits", hits},
          {"remote_hits", remote},
          {"local_hits", hits > remote ? hits - remote : 0},
          {"misses", a.misses.load(std::memory_order_relaxed)},
          {"last_use", last ? control::json(last) : control::json(nullptr)}};
}

control::json KernelHooks::info() {
  return {{"mountpoint", info_.mountpoint},
          {"mode", fs_.inos().multi() ? "multi" : "single"},
          {"namespace", info_.ns},
          {"store", info_.store_dir},
          {"pid", static_cast<int64_t>(getpid())}};
}

control::json KernelHooks::remote_status() {
  if (!info_.remote) {
    return control::fail("no remote tier: the daemon runs without --remote",
                         control::kNotAvailable);
  }
  return control::ok(info_.remote());
}

control::json KernelHooks::space(const std::string& cmd, const control::json& req) {
  if (!info_.space) return control::fail("the space policy is not running", control::kNotAvailable);
  return info_.space(cmd, req);
}

}  // namespace gcfs::fusefs
