// Uploads at commit (--remote-upload commit): the feed's handler reads an
// entry and its output back from the store and queues the pair.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include "store/remote/go_entry.hpp"
#include "store/remote/object_key.hpp"
#include "store/tiered/remote_tier.hpp"

namespace gcfs::tiered {

void RemoteTier::committed(NsId ns, Ino ino) {
  if (!feed_) return;
  if (!feed_->push(ns, ino)) stats_.feed_dropped.fetch_add(1, std::memory_order_relaxed);
}

std::optional<RemoteTier::LocalPair> RemoteTier::read_pair(NsId ns, Ino ino, std::string* why) {
  // Read back what was committed: the entry, then the output it names,
  // complete (Go writes the -d before its -a, so it is there unless it was
  // removed, evicted or is being rewritten).
  auto fail = [&](std::string_view w) {
    *why = w;
    return std::nullopt;
  };
  LocalPair p;
  p.action.assign(remote::kActionEntrySize + 1, '\0');
  auto n = store_.read(ns, ino, 0, p.action);
  if (!n) return fail(n.error().message());
  p.action.resize(*n);
  auto entry = remote::parse_action_entry(p.action);
  if (!entry) return fail("not a Go action entry");
  if (entry->size > options_.remote.max_object_size) return fail("output too big");
  auto ns_name = names_.name(ns);
  if (!ns_name) return fail("namespace gone");
  p.ns_name = *ns_name;
  p.action_name = remote::entry_name(entry->action_hex, remote::EntryKind::action);
  p.output_name = remote::entry_name(entry->output_hex, remote::EntryKind::output);
  const std::string_view out_name = p.output_name;
  auto out_dir = store_.lookup(ns, kRootIno, out_name.substr(0, 2));
  if (!out_dir) return p;
  auto out = store_.lookup(ns, out_dir->ino, out_name.substr(3));
  if (!out || !S_ISREG(out->mode) || out->size != entry->size) return p;
  std::string output(entry->size, '\0');
  auto got = store_.read(ns, out->ino, 0, output);
  if (got && *got == entry->size) p.output = std::move(output);
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
