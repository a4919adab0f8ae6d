// The Redis second tier behind the local store (docs/remote.md): the
// SecondTier the filesystem calls, over the Store interface and the
// remote client. No RocksDB or FUSE type.
//
//   fetch:     a local miss of `XX/<hex>-a` asks the remote for the entry
//              and its output in one call, checks them, commits both in one
//              batch; anything else is a miss (remembered briefly).
//   committed: a new local entry goes to the upload feed; its thread reads
//              the entry and its output back and queues the pair, -d
//              before -a, on the bounded uploader.
//
// Lock order: the MissMemo's, NsNames' and UploadFeed's mutexes are leaves;
// no lock of the tier is held across a store call or a round trip.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "store/remote/client.hpp"
#include "store/remote/uploader.hpp"
#include "store/second_tier.hpp"
#include "store/store.hpp"
#include "store/tiered/miss_memo.hpp"
#include "store/tiered/ns_names.hpp"
#include "store/tiered/tier_options.hpp"
#include "store/tiered/tier_stats.hpp"
#include "store/tiered/upload_feed.hpp"

namespace gcfs::tiered {

class RemoteTier final : public SecondTier {
 public:
  // Checks the options and credentials (Errc::invalid, one line). Connects
  // lazily: a remote that is down does not stop the daemon.
  static Result<std::unique_ptr<RemoteTier>> create(Store& store, const TierOptions& options);
  RemoteTier(Store& store, const TierOptions& options,
             std::unique_ptr<remote::RemoteClient> client);
  ~RemoteTier() override;  // close()

  std::optional<Attr> fetch(NsId ns, Ino parent, std::string_view name) override;
  void committed(NsId ns, Ino ino) override;
  void evicting(NsId ns, Ino ino, std::string_view name) override;
  double negative_timeout() const override { return options_.negative_timeout_s; }

  // Unmount: the committed entries still in the feed are queued, then the
  // uploads get up to drain_ms; what is left is dropped (counted). Call
  // before the store closes. Idempotent.
  void close();

  bool uploads() const { return uploads_; }
  bool demotes() const { return demotes_; }
  const TierOptions& options() const { return options_; }
  remote::RemoteStatus remote_status() const { return client_->status(); }
  // For `gocachectl remote push`, which uploads through the same client
  // (its breakers, timeouts and counters).
  remote::RemoteClient& client() { return *client_; }
  TierStatsSnapshot stats() const { return stats_.snapshot(); }
  size_t feed_size() { return feed_ ? feed_->size() : 0; }
  size_t remembered_misses() { return misses_.size(); }

 private:
  // Where `name` would be at the cache's top: the directory XX of the
  // namespace root, whose inode is `parent`. nullopt when it is not.
  std::optional<Attr> cache_dir(NsId ns, Ino parent, std::string_view name);
  // An action entry and the output it names, read back from the store.
  struct LocalPair {
    std::string ns_name, action_name, action, output_name;
    std::optional<std::string> output;  // nullopt: not here, or incomplete
  };
  // nullopt when the entry is not uploadable (`why` says why).
  std::optional<LocalPair> read_pair(NsId ns, Ino ino, std::string* why);
  void upload(NsId ns, Ino ino);  // the feed's handler
  void demote_action(NsId ns, Ino ino);
  void demote_output(NsId ns, Ino ino, std::string_view name);
  void log_once(const Error& e, std::string_view what);

  Store& store_;
  const TierOptions options_;
  const bool uploads_;
  const bool demotes_;
  std::unique_ptr<remote::RemoteClient> client_;
  std::unique_ptr<remote::Uploader> uploader_;  // null without uploads
  std::unique_ptr<UploadFeed> feed_;            // null without uploads
  MissMemo misses_;
  NsNames names_;
  TierStats stats_;
  std::atomic<uint64_t> logged_kinds_{0};  // bit per error kind already logged
  std::atomic<bool> closed_{false};
};

}  // namespace gcfs::tiered
