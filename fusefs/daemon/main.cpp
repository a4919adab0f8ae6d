// gocachefs: mount a RocksDB-backed Go build cache. The work is in daemon.cpp.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <exception>

#include "fusefs/daemon/daemon.hpp"
#include "fusefs/daemon/heap.hpp"
#include "fusefs/daemon/mount_args.hpp"
#include "fusefs/daemon/remote_setup.hpp"
#include "policy/cli/checks.hpp"
#include "policy/rules/space.hpp"
#include "store/admin/json_text.hpp"
#include "store/guarded.hpp"
#include "store/paths.hpp"

namespace {

int run(int argc, char** argv) {
  gcfs::fusefs::DaemonOptions o;
  CLI::App app{"gocachefs: a FUSE filesystem for GOCACHE, backed by RocksDB"};
  app.set_version_flag("--version", std::string("gocachefs ") + GOCACHEFS_VERSION);
  app.add_option("MOUNTPOINT", o.mountpoint, "Empty directory to mount on")->required();
  app.add_option("--store", o.store_dir, "RocksDB store directory")
      ->default_str(gcfs::default_store_dir());
  app.add_option("--namespace", o.ns,
                 "Mount this namespace as the root (GOCACHE=MOUNTPOINT); default: every "
                 "directory at the root is a namespace");
  app.add_flag("-f,--foreground", o.foreground, "Stay in the foreground");
  app.add_option("-o", o.fuse_options, "FUSE mount options (repeatable)")->allow_extra_args(false);
  app.add_option("--log-level", o.log_level, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
      ->capture_default_str();
  app.add_option("--log-file", o.log_file,
                 "Log file (default: stderr in the foreground, STORE/gocachefs.log otherwise)");
  app.add_option("--cache-timeout", o.cache_timeout,
                 "Seconds the kernel may cache entries and attributes")
      ->check(gcfs::cli::number_in(0, 1e9))
      ->capture_default_str();
  auto size_option = [&app](const char* name, uint64_t& out, const char* help) {
    app.add_option_function<std::string>(
           name,
           [&out, name](const std::string& v) {
             auto n = gcfs::policy::parse_size(v);
             if (!n) throw CLI::ValidationError(name, "not a size (e.g. 20G, 512M): " + v);
             out = *n;
           },
           help)
        ->type_name("SIZE");
  };
  size_option("--max-size", o.max_size,
              "Size limit of the mount (live bytes, e.g. 20G); least recently used entries are "
              "evicted beyond it");
  size_option("--ns-max-size", o.ns_max_size, "Size limit of each namespace (e.g. 5G)");
  size_option("--cache-size", o.cache_bytes,
              "RocksDB block cache: metadata, small files, index and filter blocks (default 64M)");
  size_option("--memtable-size", o.memtable_bytes,
              "Memory for writes not yet flushed, all namespaces together (default 64M)");
  app.add_option_function<std::string>(
         "--log-max-size",
         [&o](const std::string& v) {
           auto n = gcfs::policy::parse_size(v);
           if (!n || *n < (uint64_t{64} << 10)) {
             throw CLI::ValidationError("--log-max-size", "not a size of at least 64K: " + v);
           }
           o.log_max_bytes = *n;
         },
         "The log file rotates past this size, e.g. 10M (default), at least 64K")
      ->type_name("SIZE");
  app.add_option("--log-files", o.log_files, "Rotated log files kept besides the current one")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  app.add_option("--max-inodes", o.max_inodes,
                 "Inodes the kernel may cache before unused ones are dropped (bounds the "
                 "daemon's memory; 0: no limit)")
      ->check(gcfs::cli::count())
      ->capture_default_str();
  app.add_option("--low-watermark", o.low_watermark_pct,
                 "Eviction stops at this percentage of a size limit")
      ->check(gcfs::cli::number_in(1, 100))
      ->capture_default_str();
  app.add_option_function<std::string>(
         "--protect-recent",
         [&o](const std::string& v) {
           auto n = gcfs::policy::parse_duration_seconds(v);
           if (!n)
             throw CLI::ValidationError("--protect-recent", "not a duration (e.g. 10m): " + v);
           o.protect_recent_s = *n;
         },
         "Entries used within this time are never evicted: a build checks an entry and opens "
         "it later; a size limit below what is in use is exceeded (default 10m)")
      ->type_name("DURATION");
  app.add_option_function<std::string>(
         "--settle-after",
         [&o](const std::string& v) {
           auto n =
               v == "off" ? std::optional<uint64_t>(0) : gcfs::policy::parse_duration_seconds(v);
           if (!n)
             throw CLI::ValidationError("--settle-after", "not a duration (e.g. 60s) or off: " + v);
           o.settle_after_s = *n;
         },
         "Once nothing has been written for this long, recompress the stored file data with "
         "LZ4HC in the background (reads stay as fast; off or 0: never; default 60s)")
      ->type_name("DURATION");
  app.add_option("--space-interval", o.space_interval,
                 "Seconds between checks for blocks to compact")
      ->check(gcfs::cli::number_in(0.001, 604800))
      ->capture_default_str();
  app.add_option_function<std::string>(
         "--transport",
         [&o](const std::string& v) { o.transport = *gcfs::fusefs::parse_transport(v); },
         "How requests reach the daemon: auto (FUSE over io_uring where the kernel has it on, "
         "else /dev/fuse), uring (fail without it) or dev (default auto)")
      ->check(CLI::IsMember({"auto", "uring", "dev"}))
      ->type_name("KIND");
  app.add_option("--metrics-listen", o.metrics_listen,
                 "Serve Prometheus metrics on HOST:PORT (loopback by default), or off")
      ->capture_default_str();
  app.add_option("--min-free", o.min_free_pct,
                 "Free space floor of the store disk, percent: below it the daemon logs and "
                 "evicts (0: off)")
      ->check(gcfs::cli::number_in(0, 99))
      ->capture_default_str();
  app.add_option("--lock-wait", o.lock_wait,
                 "Seconds to wait for the store while a gocachefs that was unmounted or killed "
                 "still closes it")
      ->check(gcfs::cli::number_in(0, 3600))
      ->capture_default_str();
  app.add_option("--remote", o.remote_urls,
                 "Shared second tier: redis://[user@]host[:port][/db][?weight=W] (repeatable: "
                 "shards) or one redis-cluster://host:port[,host:port...]; see docs/remote.md")
      ->type_name("URL")
      ->allow_extra_args(false);
  app.add_option("--remote-mode", o.remote_mode,
                 "read-write, or read-only (fetch only, upload nothing: untrusted jobs)")
      ->check(CLI::IsMember({"read-write", "read-only"}))
      ->capture_default_str();
  app.add_option("--remote-upload", o.remote_upload,
                 "commit (upload each new entry once committed locally), evict (upload what "
                 "the space policy evicts, before dropping it locally) or off")
      ->check(CLI::IsMember({"commit", "evict", "off"}))
      ->capture_default_str();
  app.add_option("--remote-auth-file", o.remote_auth_file,
                 "File with the remote's password, or its user then password (default: "
                 "GOCACHEFS_REMOTE_PASSWORD and GOCACHEFS_REMOTE_USER)")
      ->type_name("FILE");
  size_option("--remote-queue-size", o.remote_queue_bytes,
              "Uploads queued and in flight at most (default 256M); beyond, new ones are "
              "dropped and counted, never waited for");
  // mount -t fuse.gocachefs / fstab: `gocachefs STORE MNT -o store=..,namespace=..`.
  auto args = gcfs::fusefs::translate_mount_args(std::vector<std::string>(argv + 1, argv + argc));
  if (!args) {
    std::fprintf(stderr, "gocachefs: error: %s (see gocachefs --help)\n",
                 args.error().message().c_str());
    return 2;
  }
  std::reverse(args->begin(), args->end());  // CLI11 takes them last-first
  try {
    app.parse(*args);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "gocachefs: error: %s (see gocachefs --help)\n", e.what());
    return 2;
  }
  // URLs, the auth file and the mode checked before anything starts: a
  // usage error, like any other bad option.
  if (auto s = gcfs::fusefs::check_remote_options(o); !s) {
    std::fprintf(stderr, "gocachefs: error: %s (see gocachefs --help)\n",
                 gcfs::control::printable(s.error().message()).c_str());
    return 2;
  }
  return gcfs::fusefs::run_daemon(std::move(o));
}

int fatal(const char* why) {
  const std::string line = gcfs::control::printable(why);
  std::fprintf(stderr, "gocachefs: error: %s\n", line.c_str());
  gcfs::guarded("main", [&] { spdlog::critical("exiting: {}", line); });
  return 1;
}

}  // namespace

// Anything that escapes the daemon is one line and exit status 1, never an
// abort; the threads catch their own (fusefs/guarded.hpp).
int main(int argc, char** argv) {
  gcfs::fusefs::limit_heap_arenas();  // before any thread starts
  gcfs::log_terminate();
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    return fatal(e.what());
  } catch (...) {
    return fatal("unknown exception");
  }
}
