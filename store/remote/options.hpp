// Configuration of the remote tier. Plain struct; every field says its
// default. `resolve_config` (config.hpp) checks it and parses the URLs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gcfs::remote {

enum class Mode { read_write, read_only };

struct RemoteOptions {
  // Endpoints: one or more `redis://[user@]host[:port][/db][?weight=W]`
  // (independent servers, keys sharded by weighted rendezvous hashing), or
  // one `redis-cluster://[user@]host:port[,host:port...]` (seed nodes of a
  // Redis Cluster). A password in a URL is refused: `ps` would show it.
  // Default: empty (no remote tier).
  std::vector<std::string> urls;

  // File holding the password (one line), or the user then the password (two
  // lines). Without it, GOCACHEFS_REMOTE_PASSWORD (and GOCACHEFS_REMOTE_USER)
  // from the environment are used when set.
  // Default: empty (environment, else no AUTH).
  std::string auth_file;

  // read_only never writes (uploads are refused at enqueue): for untrusted
  // jobs, which could otherwise poison entries of their namespace.
  // Default: read_write.
  Mode mode = Mode::read_write;

  // Bound of a TCP connect plus AUTH/SELECT to one endpoint.
  // Default: 250 ms.
  uint32_t connect_timeout_ms = 250;

  // Bound of one round trip of a lookup (get, get_pair, exists): a
  // pipeline of commands to one endpoint, from the first byte sent to the
  // last reply byte read (a hard deadline, not a per-read timeout). A
  // multi-piece object takes one round trip per `pipeline_bytes`. Short: a
  // FUSE request waits for it.
  // Default: 1000 ms.
  uint32_t command_timeout_ms = 1000;

  // The same bound for the round trips of an upload (SET of pieces and
  // manifests), which run on the uploader's threads and carry up to
  // `pipeline_bytes` each.
  // Default: 10000 ms.
  uint32_t upload_timeout_ms = 10000;

  // Objects larger than this are neither uploaded nor fetched.
  // Default: 64 MiB.
  uint64_t max_object_size = uint64_t{64} << 20;

  // Objects larger than this are stored as pieces of about this size behind
  // a manifest (a 35 MB SET needs ~2.3x its size in server memory at peak).
  // Default: 1 MiB.
  uint32_t piece_size = 1u << 20;

  // Unit of compression inside a value (the store's own chunk encoding, so
  // chunks already compressed locally are sent as they are).
  // Default: 128 KiB (the store's default chunk size).
  uint32_t block_size = 128u << 10;

  // Most bytes of values one round trip carries (pipelined pieces).
  // Default: 8 MiB.
  uint64_t pipeline_bytes = uint64_t{8} << 20;

  // Upload queue bound, counting jobs queued and in flight; a job that does
  // not fit is dropped and counted, enqueue never waits.
  // Default: 256 MiB.
  uint64_t upload_queue_bytes = uint64_t{256} << 20;

  // Threads of the uploader.
  // Default: 2.
  uint32_t upload_threads = 2;

  // Connections kept per endpoint (or cluster node); callers beyond wait for
  // one until their deadline.
  // Default: 4.
  uint32_t connections_per_endpoint = 4;

  // Consecutive endpoint failures (timeouts, refused connections, protocol
  // or AUTH errors) that open an endpoint's circuit breaker.
  // Default: 3.
  uint32_t breaker_failures = 3;

  // First fail-fast period of an open breaker; doubled after every failed
  // probe, up to breaker_backoff_max_ms.
  // Default: 1000 ms.
  uint32_t breaker_backoff_ms = 1000;

  // Cap of the breaker's fail-fast period.
  // Default: 30000 ms.
  uint32_t breaker_backoff_max_ms = 30000;

  // MOVED/ASK redirections followed for one command before it fails as
  // redirect_loop.
  // Default: 5.
  uint32_t cluster_max_redirects = 5;

  // Total time a command keeps retrying TRYAGAIN/CLUSTERDOWN (backoff from
  // 10 ms, doubling), within its round trip deadline.
  // Default: 1000 ms.
  uint32_t cluster_retry_budget_ms = 1000;
};

}  // namespace gcfs::remote
