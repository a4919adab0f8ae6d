// Uploads at commit (--remote-upload commit): the feed's handler reads an
// entry and its output back from the store and queues the pair.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "store/tiered/local_entry.hpp"
#include "store/tiered/remote_tier.hpp"

namespace gcfs::tiered {

void RemoteTier::committed(NsId ns, Ino ino) {
  if (!feed_) return;
  if (!feed_->push(ns, ino)) stats_.feed_dropped.fetch_add(1, std::memory_order_relaxed);
}

std::optional<RemoteTier::LocalPair> RemoteTier::read_pair(NsId ns, Ino ino, std::string* why) {
  // Read back what was committed: the entry, then the output it names
  // (local_entry.hpp).
  auto fail = [&](std::string_view w) {
    *why = w;
    return std::nullopt;
  };
  auto entry = read_action_entry(store_, ns, ino);
  if (!entry) {
    return fail(entry.code() == Errc::corrupt ? "not a Go action entry" : entry.error().message());
  }
  if (entry->output_size > options_.remote.max_object_size) return fail("output too big");
  auto ns_name = names_.name(ns);
  if (!ns_name) return fail("namespace gone");
  LocalPair p;
  p.ns_name = *ns_name;
  p.output = read_output(store_, ns, *entry);
  p.action_name = std::move(entry->action_name);
  p.action = std::move(entry->action);
  p.output_name = std::move(entry->output_name);
  return p;
}

void RemoteTier::upload(NsId ns, Ino ino) {
  std::string why;
  auto p = read_pair(ns, ino, &why);
  if (p && !p->output) why = "output missing or incomplete";
  if (!p || !p->output) {
    stats_.feed_skipped.fetch_add(1, std::memory_order_relaxed);
    spdlog::debug("remote upload of {}:{} skipped: {}", ns, ino, why);
    return;
  }
  // put_pair checks the pair again (IDs, SHA-256) and writes the -d first.
  if (Status s = uploader_->enqueue_pair(p->ns_name, p->action_name, std::move(p->action),
                                         std::move(*p->output));
      !s) {
    stats_.uploads_refused.fetch_add(1, std::memory_order_relaxed);
    log_once(s.error(), "upload");
    return;
  }
  stats_.uploads_queued.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace gcfs::tiered
