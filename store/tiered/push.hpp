// Remote push (`gocachectl remote push`): seeds the remote from a warm
// machine's namespace. Walks the namespace's Go cache entries (the
// `XX/<hex>-a` files of its top-level directories `XX`), reads each entry
// and the output it names back from the store, and uploads the complete
// pairs through RemoteClient::put_pair: the keys, value format and order
// (the -d before the -a naming it) of the tier's own uploads.
//
// Bounded in memory: the walk goes a directory batch at a time (readdir
// cookies), and the outputs read but not yet uploaded stay under
// max_pending_bytes (one larger output goes alone). A remote that is down
// stops the push once every endpoint's breaker is open, so it never hangs on
// a dead server. No RocksDB or FUSE type: the Store interface and the client.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "store/remote/client.hpp"
#include "store/result.hpp"
#include "store/store.hpp"

namespace gcfs::tiered {

struct PushOptions {
  // Leave out pairs whose -a and -d keys the remote already has (one
  // pipelined EXISTS round trip per batch, before any output is read).
  // Default: true.
  bool skip_existing = true;

  // Uploads running at once (each a put_pair on its own connection).
  // Default: 4.
  uint32_t threads = 4;

  // Bytes of outputs read from the store and not yet uploaded.
  // Default: 64 MiB.
  uint64_t max_pending_bytes = uint64_t{64} << 20;

  // Entries listed (and checked for existence) together.
  // Default: 64.
  uint32_t batch = 64;

  // Consecutive failed uploads after which the remote is taken as refusing
  // writes (NOPERM, OOM: errors that do not open a breaker) and the push
  // stops. 0: never.
  // Default: 32.
  uint32_t stop_after_errors = 32;

  // Least time between two progress calls.
  // Default: 250 ms.
  std::chrono::milliseconds progress_interval{250};
};

struct PushCounts {
  uint64_t entries = 0;          // action entries in the namespace (found by a first listing)
  uint64_t done = 0;             // dealt with: pushed + already + skipped + errors
  uint64_t pushed = 0;           // pairs uploaded
  uint64_t already = 0;          // pairs the remote had (skip_existing)
  uint64_t skipped_missing = 0;  // output missing, incomplete or unreadable here
  uint64_t skipped_too_big = 0;  // output above the client's max_object_size
  uint64_t skipped_invalid = 0;  // not Go's entry format, misnamed, or an output not its SHA-256
  uint64_t errors = 0;           // uploads that failed (remote errors)
  uint64_t bytes = 0;            // raw bytes uploaded (-a and -d)
  uint64_t skipped() const { return skipped_missing + skipped_too_big + skipped_invalid; }
};

struct PushSummary {
  PushCounts counts;
  double seconds = 0;
  // Why the push stopped before trying every entry ("" when it did not):
  // the remote is down, refuses every write, or the caller gave up.
  std::string stopped;
  std::string first_error;  // of the first failed upload, "" if none
};

// Called from the walking thread at most every progress_interval; returns
// false to stop the push (the caller went away, the daemon stops).
using PushProgress = std::function<bool(const PushCounts&)>;

// Pushes namespace `ns`. Errors: not_found (no such namespace), read_only
// (the client's mode), invalid (a namespace name the remote's keys cannot
// carry), the store's when it cannot be listed. Remote failures are not
// errors here: they are counted in the summary (and may stop it).
Result<PushSummary> push_namespace(Store& store, remote::RemoteClient& client, std::string_view ns,
                                   const PushOptions& options, const PushProgress& progress = {});

}  // namespace gcfs::tiered
