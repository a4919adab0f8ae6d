// Uploads at eviction (--remote-upload evict): the remote gets an entry
// before the space policy drops it here.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include "store/remote/go_entry.hpp"
#include "store/remote/object_key.hpp"
#include "store/tiered/remote_tier.hpp"

namespace gcfs::tiered {

void RemoteTier::evicting(NsId ns, Ino ino, std::string_view name) {
  // A miss remembered from before the entry was written here must not hide
  // the copy the remote now has (uploaded at commit, or just below).
  misses_.forget(ns, name);
  if (!demotes_ || closed_.load(std::memory_order_relaxed)) return;
  if (name.size() != 66 || name[64] != '-') return;
  if (name[65] == 'a') return demote_action(ns, ino);
  if (name[65] == 'd') return demote_output(ns, ino, name);
}

void RemoteTier::demote_action(NsId ns, Ino ino) {
  std::string why;
  auto p = read_pair(ns, ino, &why);
  auto skip = [&](std::string_view w) {
    stats_.demote_skipped.fetch_add(1, std::memory_order_relaxed);
    spdlog::debug("remote demotion of {}:{} skipped: {}", ns, ino, w);
  };
  if (!p) return skip(why);
  // Already there (fetched from it, or demoted before): nothing to send.
  if (auto e = client_->exists(p->ns_name, p->action_name); e && *e) return skip("on the remote");
  Status s;
  if (p->output) {
    s = client_->put_pair(p->ns_name, p->action_name, p->action, *p->output);
  } else if (auto e = client_->exists(p->ns_name, p->output_name); e && *e) {
    // Its output went first (older in the LRU order) and was demoted then:
    // the -a may follow it, the remote still never shows an -a without it.
    s = client_->put(p->ns_name, p->action_name, p->action);
  } else {
    return skip("output neither here nor on the remote");
  }
  if (!s) {
    stats_.demote_failed.fetch_add(1, std::memory_order_relaxed);
    log_once(s.error(), "demotion");
    return;
  }
  stats_.demoted.fetch_add(1, std::memory_order_relaxed);
}

void RemoteTier::demote_output(NsId ns, Ino ino, std::string_view name) {
  auto skip = [&](std::string_view w) {
    stats_.demote_skipped.fetch_add(1, std::memory_order_relaxed);
    spdlog::debug("remote demotion of {}:{} skipped: {}", ns, ino, w);
  };
  auto ns_name = names_.name(ns);
  if (!ns_name) return skip("namespace gone");
  const std::string out_name = fmt::format("{}/{}", name.substr(0, 2), name);
  if (!remote::parse_entry_name(out_name)) return skip("not a Go output name");
  auto attr = store_.getattr(ns, ino);
  if (!attr || !S_ISREG(attr->mode)) return skip("not a file");
  if (attr->size > options_.remote.max_object_size) return skip("too big");
  if (auto e = client_->exists(*ns_name, out_name); e && *e) return skip("on the remote");
  std::string bytes(attr->size, '\0');
  auto got = store_.read(ns, ino, 0, bytes);
  if (!got || *got != attr->size) return skip("unreadable");
  // Only an output that is what its name says travels (Go names it by its
  // SHA-256): a file being rewritten is left alone.
  if (remote::sha256_hex(bytes) != name.substr(0, 64)) return skip("content differs from its name");
  if (Status s = client_->put(*ns_name, out_name, bytes); !s) {
    stats_.demote_failed.fetch_add(1, std::memory_order_relaxed);
    log_once(s.error(), "demotion");
    return;
  }
  stats_.demoted.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace gcfs::tiered
