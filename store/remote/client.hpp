// The remote tier as the daemon uses it: Go cache entries by (namespace,
// name), verified on the way in and out. Every call is bounded by the
// configured timeouts and never throws; a failure of any kind is an Error
// whose message starts with "remote <fault kind>:" and is counted by kind.
// The daemon treats every Error, like nullopt, as a miss.
//
// Thread-safe: any number of threads may call at once (each endpoint keeps
// a small pool of connections).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/remote/backend.hpp"
#include "store/remote/config.hpp"
#include "store/remote/stats.hpp"
#include "store/result.hpp"
#include "store/types.hpp"

namespace gcfs::remote {

// An action entry with the output it names, both verified.
struct EntryPair {
  std::string action;       // the 175-byte -a entry
  std::string output_name;  // XX/<output ID>-d
  std::string output;       // its bytes: SHA-256 equals the output ID
};

// A file's data as the local store holds it: its chunks, encoded by
// store/chunk.hpp as chunks 0..n-1 of `ino`, each `chunk_size` raw bytes
// except the last. Sent as they are (no second compression).
struct EncodedObject {
  Ino ino = 0;
  uint32_t chunk_size = 0;
  std::vector<std::string> chunks;
};

struct RemoteStatus {
  TopologyKind topology = TopologyKind::shards;
  Mode mode = Mode::read_write;
  std::vector<EndpointStatus> endpoints;
  StatsSnapshot stats;
  uint64_t queue_capacity_bytes = 0;
};

class RemoteClient {
 public:
  // Checks options, URLs and credentials (Errc::invalid, one line).
  static Result<std::unique_ptr<RemoteClient>> create(const RemoteOptions& options);
  explicit RemoteClient(Config config);
  ~RemoteClient();

  // An entry's bytes; nullopt when the remote does not have it (or lost one
  // of its pieces). A value failing any check is Errc::corrupt, logged and
  // counted, never returned.
  Result<std::optional<std::string>> get(std::string_view ns, std::string_view name);

  // An -a entry and the -d it names: the entry must parse as Go's format
  // and name `action_name`'s own action ID; the output's SHA-256 and size
  // must match the entry. nullopt when either is missing.
  Result<std::optional<EntryPair>> get_pair(std::string_view ns, std::string_view action_name);

  // Stores an entry: pieces first, the manifest last. Refused in read-only
  // mode (Errc::read_only) and above max_object_size (Errc::too_big).
  // `cancel` (may be null) makes waits end early (uploader close).
  Status put(std::string_view ns, std::string_view name, std::string_view bytes,
             const std::atomic<bool>* cancel = nullptr);
  // The same from the local store's encoded chunks, sent unchanged (each is
  // decoded once to verify it and checksum the object).
  Status put_encoded(std::string_view ns, std::string_view name, const EncodedObject& object,
                     const std::atomic<bool>* cancel = nullptr);
  // An -a entry and its -d, in Go's order: the -d completely written before
  // the -a that names it. Both are checked first (format, IDs, SHA-256).
  Status put_pair(std::string_view ns, std::string_view action_name, std::string_view action,
                  std::string_view output, const std::atomic<bool>* cancel = nullptr);

  // Whether the object's key exists (its pieces are not checked).
  Result<bool> exists(std::string_view ns, std::string_view name);
  // The same for many objects, in one pipelined round trip per endpoint
  // (remote push asks it for a batch of pairs before reading their outputs).
  Result<std::vector<bool>> exists_many(std::string_view ns, std::span<const std::string> names);

  RemoteStatus status() const;
  Stats& stats() { return stats_; }
  const RemoteOptions& options() const { return config_.options; }
  Backend& backend() { return *backend_; }

 private:
  struct Fetched {
    std::optional<std::string> value;
    bool missing_piece = false;
  };
  Outcome<Fetched> fetch(std::string_view ns, std::string_view name);
  Outcome<Fetched> fetch_pieces(const std::string& key, std::string_view manifest_value);
  Outcome<bool> write(std::string_view ns, std::string_view name, std::string_view raw,
                      const EncodedObject* encoded, const std::atomic<bool>* cancel);
  Outcome<bool> set_all(std::vector<Command> cmds, const std::atomic<bool>* cancel);
  Deadline read_deadline() const;
  Deadline write_deadline() const;
  void count(const Failure& f, std::string_view what);

  const Config config_;
  Stats stats_;
  std::unique_ptr<Backend> backend_;
};

}  // namespace gcfs::remote
