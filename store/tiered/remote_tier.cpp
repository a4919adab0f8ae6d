#include "store/tiered/remote_tier.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <ctime>

#include "store/remote/go_entry.hpp"
#include "store/remote/object_key.hpp"

namespace gcfs::tiered {

namespace {

Timespec wall_now() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return {ts.tv_sec, static_cast<uint32_t>(ts.tv_nsec)};
}

// "remote <kind>: ..." -> kind (the client's errors all start so).
std::string_view error_kind(const Error& e) {
  std::string_view m = e.message();
  if (!m.starts_with("remote ")) return errc_name(e.code());
  m.remove_prefix(7);
  return m.substr(0, m.find(':'));
}

}  // namespace

Result<std::unique_ptr<RemoteTier>> RemoteTier::create(Store& store, const TierOptions& options) {
  auto client = remote::RemoteClient::create(options.remote);
  if (!client) return client.error();
  return std::make_unique<RemoteTier>(store, options, std::move(client).value());
}

RemoteTier::RemoteTier(Store& store, const TierOptions& options,
                       std::unique_ptr<remote::RemoteClient> client)
    : store_(store),
      options_(options),
      uploads_(options.upload && options.remote.mode == remote::Mode::read_write),
      demotes_(options.demote && options.remote.mode == remote::Mode::read_write),
      client_(std::move(client)),
      misses_(std::chrono::milliseconds(options.miss_ttl_ms), options.miss_capacity),
      names_(store) {
  if (uploads_) {
    uploader_ = std::make_unique<remote::Uploader>(*client_);
    feed_ = std::make_unique<UploadFeed>(options.feed_capacity,
                                         [this](NsId ns, Ino ino) { upload(ns, ino); });
  }
}

RemoteTier::~RemoteTier() { close(); }

void RemoteTier::close() {
  if (closed_.exchange(true)) return;
  if (feed_) feed_->stop();  // queues what was committed before the unmount
  if (uploader_) {
    const auto deadline = remote::Clock::now() + std::chrono::milliseconds(options_.drain_ms);
    if (size_t left = uploader_->close(deadline)) {
      spdlog::warn("remote: {} uploads still queued after {} ms at unmount were dropped", left,
                   options_.drain_ms);
    }
  }
}

void RemoteTier::log_once(const Error& e, std::string_view what) {
  // One line per kind of failure for the daemon's life: a dead remote must
  // not flood the log (the counters and the breaker's state say the rest).
  const std::string_view kind = error_kind(e);
  const uint64_t bit = uint64_t{1} << (std::hash<std::string_view>{}(kind) % 64);
  if (logged_kinds_.fetch_or(bit) & bit) {
    spdlog::debug("remote {}: {}", what, e.message());
    return;
  }
  spdlog::warn(
      "remote {}: {} (treated as a miss; further failures of this kind are counted, "
      "not logged)",
      what, e.message());
}

std::optional<Attr> RemoteTier::cache_dir(NsId ns, Ino parent, std::string_view name) {
  // Only the Go cache's own layout travels: <ns root>/XX/<XX...>-a.
  auto dir = store_.lookup(ns, kRootIno, name.substr(0, 2));
  if (!dir || dir->ino != parent || !S_ISDIR(dir->mode)) return std::nullopt;
  return *dir;
}

std::optional<Attr> RemoteTier::fetch(NsId ns, Ino parent, std::string_view name) {
  if (closed_.load(std::memory_order_relaxed)) return std::nullopt;
  const std::string action_name = fmt::format("{}/{}", name.substr(0, 2), name);
  if (!remote::parse_entry_name(action_name)) return std::nullopt;
  if (misses_.recent(ns, name)) {
    stats_.fetch_remembered.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  auto dir = cache_dir(ns, parent, name);
  auto ns_name = names_.name(ns);
  if (!dir || !ns_name) {
    stats_.fetch_not_cache.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  auto got = client_->get_pair(*ns_name, action_name);
  if (!got || !got->has_value()) {
    if (!got) {
      stats_.fetch_errors.fetch_add(1, std::memory_order_relaxed);
      log_once(got.error(), "fetch");
    } else {
      stats_.fetch_misses.fetch_add(1, std::memory_order_relaxed);
    }
    misses_.remember(ns, name);
    return std::nullopt;
  }
  // get_pair verified both: the -a is Go's 175-byte format naming this
  // action, the -d has its recorded size and its SHA-256 is its name.
  remote::EntryPair& pair = **got;
  std::string_view out_name = pair.output_name;  // YY/<hex>-d
  auto out_dir = store_.lookup(ns, kRootIno, out_name.substr(0, 2));
  if (!out_dir || !S_ISDIR(out_dir->mode)) {
    stats_.fetch_not_cache.fetch_add(1, std::memory_order_relaxed);
    misses_.remember(ns, name);
    return std::nullopt;
  }
  // The cache's files belong to whoever owns its directories.
  const NewFile files[] = {
      {out_dir->ino, std::string(out_name.substr(3)), 0644, pair.output},
      {parent, std::string(name), 0644, pair.action},
  };
  auto made = store_.create_files(ns, files, Credentials{dir->uid, dir->gid}, wall_now());
  if (!made) {
    stats_.commit_failed.fetch_add(1, std::memory_order_relaxed);
    log_once(made.error(), "fetch commit");
    return std::nullopt;
  }
  stats_.fetch_hits.fetch_add(1, std::memory_order_relaxed);
  stats_.fetched_bytes.fetch_add(pair.action.size() + pair.output.size(),
                                 std::memory_order_relaxed);
  return made->back();
}

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
