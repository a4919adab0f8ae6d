#include "fusefs/daemon/mount_args.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>
#include <utility>

namespace gcfs::fusefs {

namespace {

// -o key=value the daemon itself consumes, and its long option.
constexpr std::array<std::pair<std::string_view, std::string_view>, 22> kDaemonOptions = {{
    {"store", "--store"},
    {"namespace", "--namespace"},
    {"log_level", "--log-level"},
    {"log_file", "--log-file"},
    {"log_max_size", "--log-max-size"},
    {"log_files", "--log-files"},
    {"cache_timeout", "--cache-timeout"},
    {"metrics_listen", "--metrics-listen"},
    {"transport", "--transport"},
    {"min_free", "--min-free"},
    {"max_size", "--max-size"},
    {"ns_max_size", "--ns-max-size"},
    {"cache_size", "--cache-size"},
    {"memtable_size", "--memtable-size"},
    {"max_inodes", "--max-inodes"},
    {"protect_recent", "--protect-recent"},
    {"settle_after", "--settle-after"},
    // Repeatable for shards. A comma ends a mount option, so a cluster is
    // given by one seed here (the client learns the other nodes).
    {"remote", "--remote"},
    {"remote_mode", "--remote-mode"},
    {"remote_upload", "--remote-upload"},
    {"remote_auth_file", "--remote-auth-file"},
    {"remote_queue_size", "--remote-queue-size"},
}};

// Handed to libfuse as they are.
constexpr std::array<std::string_view, 20> kFuseOptions = {"rw",
                                                           "ro",
                                                           "dev",
                                                           "nodev",
                                                           "suid",
                                                           "nosuid",
                                                           "exec",
                                                           "noexec",
                                                           "atime",
                                                           "noatime",
                                                           "nodiratime",
                                                           "relatime",
                                                           "sync",
                                                           "async",
                                                           "dirsync",
                                                           "allow_other",
                                                           "allow_root",
                                                           "auto_unmount",
                                                           "default_permissions",
                                                           "fsname"};
// Meaningful to mount(8) or fstab only.
constexpr std::array<std::string_view, 8> kIgnored = {"nofail", "_netdev", "auto",  "noauto",
                                                      "user",   "nouser",  "users", "defaults"};

template <class C>
bool has(const C& c, std::string_view v) {
  return std::find(c.begin(), c.end(), v) != c.end();
}

Status add_option(std::string_view opt, std::vector<std::string>& out,
                  std::vector<std::string>& fuse) {
  if (opt.empty()) return Status::ok();
  const auto eq = opt.find('=');
  const std::string_view key = opt.substr(0, eq);
  for (const auto& [name, flag] : kDaemonOptions) {
    if (key == name) {
      if (eq == std::string_view::npos) {
        return Error(Errc::invalid, fmt::format("mount option '{}' needs a value", key));
      }
      out.emplace_back(flag);
      out.emplace_back(opt.substr(eq + 1));
      return Status::ok();
    }
  }
  if (has(kIgnored, key) || key.starts_with("x-")) return Status::ok();
  if (has(kFuseOptions, key) || key == "subtype" || key == "max_read") {
    fuse.emplace_back(opt);
    return Status::ok();
  }
  return Error(Errc::invalid, fmt::format("unknown mount option '{}'", opt));
}

}  // namespace

Result<std::vector<std::string>> translate_mount_args(const std::vector<std::string>& args) {
  std::vector<std::string> out, fuse;
  bool has_store = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::string opts;
    if (a == "-o") {
      if (i + 1 == args.size()) return Error(Errc::invalid, "-o needs a value");
      opts = args[++i];
    } else if (a.starts_with("-o") && a.size() > 2) {
      opts = a.substr(2);
    } else {
      if (a == "--store" || a.starts_with("--store=")) has_store = true;
      out.push_back(a);
      continue;
    }
    size_t start = 0;
    while (start <= opts.size()) {
      size_t comma = opts.find(',', start);
      if (comma == std::string::npos) comma = opts.size();
      const std::string_view opt = std::string_view(opts).substr(start, comma - start);
      if (opt.starts_with("store=")) has_store = true;
      if (Status s = add_option(opt, out, fuse); !s) return s.error();
      start = comma + 1;
    }
  }
  if (!fuse.empty()) {
    std::string joined;
    for (const auto& f : fuse) joined += (joined.empty() ? "" : ",") + f;
    out.push_back("-o");
    out.push_back(joined);
  }
  // `SOURCE MOUNTPOINT`: find the two bare words that are not option values.
  // Values follow a long option without '=' (CLI11 style "--store DIR").
  std::vector<size_t> bare;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i].starts_with("-")) {
      const bool takes_value = out[i].starts_with("--") && out[i].find('=') == std::string::npos &&
                               out[i] != "--foreground" && out[i] != "--help" &&
                               out[i] != "--version";
      if ((takes_value || out[i] == "-o") && i + 1 < out.size()) ++i;
      continue;
    }
    bare.push_back(i);
  }
  if (bare.size() == 2) {
    std::string source = out[bare[0]];
    if (source.starts_with("gocachefs#")) source = source.substr(10);
    out.erase(out.begin() + static_cast<std::ptrdiff_t>(bare[0]));
    if (source != "gocachefs" && source != "none" && !source.empty()) {
      if (has_store) {
        return Error(Errc::invalid,
                     fmt::format("store given twice: source '{}' and store=", source));
      }
      out.insert(out.begin(), {"--store", source});
    }
  }
  return out;
}

}  // namespace gcfs::fusefs
