// The gocachefs daemon: checks its inputs, opens the store, mounts, serves
// until unmounted or signalled, and shuts down cleanly.
#pragma once

#include <string>
#include <vector>

#include "fusefs/daemon/uring_transport.hpp"

namespace gcfs::fusefs {

struct DaemonOptions {
  std::string mountpoint;
  // Default: default_store_dir().
  std::string store_dir;
  // Mount this namespace as the root; empty: a directory per namespace.
  std::string ns;
  // Default: false (daemonize once the mount works).
  bool foreground = false;
  // Extra FUSE mount options (-o).
  std::vector<std::string> fuse_options;
  // trace, debug, info, warn, error, off. Default: info.
  std::string log_level = "info";
  // Default: stderr in the foreground, STORE/gocachefs.log otherwise.
  std::string log_file;
  // The log file rotates past this size, keeping log_files older ones
  // (file.1.log newest), so a daemon running for months stays bounded.
  uint64_t log_max_bytes = uint64_t{10} << 20;
  size_t log_files = 5;
  // Kernel cache timeout for entries and attributes, seconds. Default: 86400.
  double cache_timeout = 86400.0;
  // Space policy (docs/space.md). Size limits in live bytes; 0: none.
  // Default: 0, 0, 90 (%), 5 s.
  uint64_t max_size = 0;
  uint64_t ns_max_size = 0;
  double low_watermark_pct = 90.0;
  double space_interval = 5.0;
  // Entries used within this many seconds are never evicted. Default: 600.
  uint64_t protect_recent_s = 600;
  // Settled file data is recompressed once the store has had no writes for
  // this many seconds (0: never). Default: 60.
  uint64_t settle_after_s = 60;
  // How requests reach the daemon: io_uring where the kernel has it on
  // (auto), only io_uring (uring) or /dev/fuse (dev). Default: auto.
  TransportMode transport = TransportMode::automatic;
  // Prometheus endpoint, HOST:PORT or "off". Default: 127.0.0.1:9868.
  std::string metrics_listen = "127.0.0.1:9868";
  // Free-space floor of the store disk, percent (0: off). Default: 5.
  double min_free_pct = 5.0;
  // Memory: RocksDB block cache and total memtable budget. Default: 64 MiB each.
  uint64_t cache_bytes = uint64_t{64} << 20;
  uint64_t memtable_bytes = uint64_t{64} << 20;
  // Inodes the kernel may cache (the daemon keeps ~150 bytes for each);
  // beyond, unused ones are dropped. 0: no limit. Default: 262144.
  uint64_t max_inodes = 262144;
  // Seconds to wait for the store's lock when its holder is a gocachefs going
  // away (unmounted or killed, still closing the store). Default: 30.
  double lock_wait = 30.0;
  // The shared second tier (docs/remote.md): redis:// shards (repeatable) or
  // one redis-cluster:// seed list. Default: empty (no remote tier).
  std::vector<std::string> remote_urls;
  // read-write or read-only (uploads nothing). Default: read-write.
  std::string remote_mode = "read-write";
  // commit (upload every new entry once committed locally), evict (upload
  // an entry when the space policy evicts it, before it goes) or off.
  // Default: commit.
  std::string remote_upload = "commit";
  // File with the remote's password (or user, then password). Default:
  // empty (GOCACHEFS_REMOTE_PASSWORD / GOCACHEFS_REMOTE_USER, else no AUTH).
  std::string remote_auth_file;
  // Bytes of uploads queued and in flight; beyond, new uploads are dropped
  // (counted) instead of waiting. Default: 256 MiB.
  uint64_t remote_queue_bytes = uint64_t{256} << 20;
};

// Runs the daemon; returns the process exit status. Startup errors are one
// line on stderr, "gocachefs: error: ...", and exit status 1.
int run_daemon(DaemonOptions options);

}  // namespace gcfs::fusefs
