// Remote push: the walk over a namespace's Go cache entries (push.hpp). The
// uploads themselves are PairSender's (push_sender.hpp).
#include "store/tiered/push.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <vector>

#include "store/remote/object_key.hpp"
#include "store/tiered/local_entry.hpp"
#include "store/tiered/push_sender.hpp"

namespace gcfs::tiered {

namespace {

using Clock = std::chrono::steady_clock;

bool is_cache_dir(const DirEntry& e) {
  auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); };
  return S_ISDIR(e.mode) && e.name.size() == 2 && hex(e.name[0]) && hex(e.name[1]);
}

// `<64 hex>-a` in directory `xx`, the hex starting with xx: an action entry.
bool is_action_name(std::string_view xx, std::string_view name) {
  if (name.size() != 66 || !name.ends_with("-a")) return false;
  return remote::parse_entry_name(fmt::format("{}/{}", xx, name)).is_ok();
}

class Walk {
 public:
  Walk(Store& store, remote::RemoteClient& client, NsId ns, std::string ns_name,
       const PushOptions& options, const PushProgress& progress)
      : store_(store),
        client_(client),
        ns_(ns),
        ns_name_(std::move(ns_name)),
        options_(options),
        progress_(progress),
        sender_(client, ns_name_, options) {}

  Result<PushSummary> run() {
    const auto start = Clock::now();
    // The top directories (at most 256 of them) are listed once; entries
    // are never all in memory at once: counted first, then walked in batches.
    GCFS_TRY_ASSIGN(const std::vector<DirEntry> dirs, cache_dirs());
    for (const DirEntry& dir : dirs) {
      Status s = store_.readdir(ns_, dir.ino, 0, [&](const DirEntry& e) {
        if (is_action_name(dir.name, e.name)) ++counts_.entries;
        return true;
      });
      if (!s) return Error(s.code(), fmt::format("listing {}: {}", dir.name, s.error().message()));
    }
    (void)report(true);
    for (const DirEntry& dir : dirs) {
      if (!walk_dir(dir)) break;
    }
    finish();
    PushSummary sum;
    sum.counts = snapshot();
    sum.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    sum.stopped = stop_.empty() ? sender_.stopped() : stop_;
    sum.first_error = sender_.first_error();
    return sum;
  }

 private:
  Result<std::vector<DirEntry>> cache_dirs() {
    std::vector<DirEntry> dirs;
    GCFS_TRY(store_.readdir(ns_, kRootIno, 0, [&](const DirEntry& e) {
      if (is_cache_dir(e)) dirs.push_back(e);
      return true;
    }));
    return dirs;
  }

  // The directory's action entries, a batch at a time: the listing is not
  // kept open while a batch is read and uploaded. false: stop.
  bool walk_dir(const DirEntry& dir) {
    uint64_t cookie = 0;
    for (bool more = true; more;) {
      std::vector<DirEntry> batch;
      more = false;
      Status s = store_.readdir(ns_, dir.ino, cookie, [&](const DirEntry& e) {
        if (!is_action_name(dir.name, e.name)) return true;
        batch.push_back(e);
        if (batch.size() < options_.batch) return true;
        cookie = e.cookie + 1;
        more = true;
        return false;
      });
      if (!s) {
        stop_ = fmt::format("cannot list {}: {}", dir.name, s.error().message());
        return false;
      }
      if (!push_batch(dir.name, batch)) return false;
    }
    return true;
  }

  bool push_batch(const std::string& xx, const std::vector<DirEntry>& batch) {
    std::vector<LocalEntry> entries;
    for (const DirEntry& d : batch) {
      auto e = S_ISREG(d.mode) ? read_action_entry(store_, ns_, d.ino)
                               : Result<LocalEntry>(Error(Errc::corrupt, "not a file"));
      if (!e) {
        // Not Go's format: never uploaded. Gone or unreadable: as a missing pair.
        ++(e.code() == Errc::corrupt ? counts_.skipped_invalid : counts_.skipped_missing);
      } else if (e->action_name != fmt::format("{}/{}", xx, d.name)) {
        ++counts_.skipped_invalid;  // the entry names another action: Go would not use it
      } else if (e->output_size > client_.options().max_object_size) {
        ++counts_.skipped_too_big;
      } else {
        entries.push_back(std::move(*e));
      }
    }
    std::vector<bool> there(entries.size(), false);
    if (options_.skip_existing && !entries.empty()) {
      std::vector<std::string> names;
      for (const LocalEntry& e : entries) {
        names.push_back(e.action_name);
        names.push_back(e.output_name);
      }
      // A failed check only means "not known": the uploads tell the rest.
      if (auto ex = client_.exists_many(ns_name_, names)) {
        for (size_t i = 0; i < entries.size(); ++i) there[i] = (*ex)[2 * i] && (*ex)[2 * i + 1];
      }
    }
    for (size_t i = 0; i < entries.size(); ++i) {
      if (there[i]) {
        ++counts_.already;
        continue;
      }
      if (!sender_.stopped().empty() || !report()) return false;
      auto output = read_output(store_, ns_, entries[i]);
      if (!output) {
        ++counts_.skipped_missing;
        continue;
      }
      PairSender::Pair p{std::move(entries[i].action_name), std::move(entries[i].action),
                         std::move(*output)};
      while (!sender_.send(p, wait())) {
        if (!sender_.stopped().empty() || !report()) return false;
      }
    }
    return report();
  }

  // Lets the uploads queued finish, reporting meanwhile; or drops them when
  // the walk stopped (they are not counted: never tried).
  void finish() {
    if (stop_.empty() && sender_.stopped().empty()) {
      while (!sender_.drain(wait())) {
        if (!report()) break;
      }
    }
    if (!stop_.empty()) {
      sender_.cancel();
    } else {
      sender_.finish();
    }
  }

  // How long to wait for the uploads between two progress reports.
  std::chrono::milliseconds wait() const {
    return std::max(options_.progress_interval, std::chrono::milliseconds(10));
  }

  PushCounts snapshot() const {
    PushCounts c = counts_;
    sender_.add_counts(c);
    c.done = c.pushed + c.already + c.skipped() + c.errors;
    c.entries = std::max(c.entries, c.done);  // entries written during the walk
    return c;
  }

  // Progress, at most every progress_interval (`force`: now). false: the
  // caller gave up, and the push stops.
  bool report(bool force = false) {
    if (!stop_.empty()) return false;
    const auto now = Clock::now();
    if (!progress_ || (!force && now - last_report_ < options_.progress_interval)) return true;
    last_report_ = now;
    if (progress_(snapshot())) return true;
    stop_ = "stopped: the caller went away or the daemon is stopping";
    return false;
  }

  Store& store_;
  remote::RemoteClient& client_;
  const NsId ns_;
  const std::string ns_name_;
  const PushOptions& options_;
  const PushProgress& progress_;
  PairSender sender_;
  PushCounts counts_;  // the walk's own: entries, already and skipped (but invalid uploads)
  std::string stop_;   // why the walk stopped early, "" if it did not
  Clock::time_point last_report_{};
};

}  // namespace

Result<PushSummary> push_namespace(Store& store, remote::RemoteClient& client, std::string_view ns,
                                   const PushOptions& options, const PushProgress& progress) {
  if (client.options().mode == remote::Mode::read_only) {
    return Error(Errc::read_only, "the remote is read-only (--remote-mode read-only): no upload");
  }
  if (auto s = remote::check_namespace(ns); !s) return s.error();
  auto info = store.find_namespace(ns);
  if (!info) {
    if (info.code() == Errc::not_found) {
      return Error(Errc::not_found, fmt::format("no namespace {}", ns));
    }
    return info.error();
  }
  Walk walk(store, client, info->id, std::string(ns), options, progress);
  auto sum = walk.run();
  if (sum) {
    const PushCounts& c = sum->counts;
    spdlog::info(
        "remote push of {}: {} pushed, {} already there, {} skipped, {} errors, {} bytes in "
        "{:.1f} s{}",
        ns, c.pushed, c.already, c.skipped(), c.errors, c.bytes, sum->seconds,
        sum->stopped.empty() ? "" : "; " + sum->stopped);
  }
  return sum;
}

}  // namespace gcfs::tiered
