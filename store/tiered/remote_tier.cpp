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

}  // namespace gcfs::tiered
