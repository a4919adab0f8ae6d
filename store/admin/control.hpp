// gocachectl's requests and their handling, shared by the daemon's control
// socket (fusefs/control_server.cpp) and by gocachectl when no daemon runs
// (it then opens the store itself). One JSON object per request and reply:
//   request  {"cmd": "snapshot.create", "name": ..., "ns": ...}
//   reply    {"ok": true, "exit": 0, "result": {...}}
//            {"ok": false, "exit": 1, "error": "one line"}
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "store/admin/body_channel.hpp"
#include "store/gocache/store_cache.hpp"
#include "store/snapshots.hpp"
#include "store/store.hpp"

namespace gcfs::remote {
class RemoteClient;
}

namespace gcfs::control {

using json = nlohmann::json;

// Progress of remote.push: (entries done, entries total, its counts as a
// JSON object). Returns false to stop the command (the client went away,
// the daemon is stopping).
using Report = std::function<bool(uint64_t done, uint64_t total, const json& counts)>;

// gocachectl's exit codes (documented in `gocachectl --help` and docs).
enum Exit : int { kOk = 0, kFailed = 1, kUsage = 2, kNotAvailable = 3, kDamage = 4 };

// What a running daemon adds: keeping the kernel's view right after a
// namespace changes under it, and its live figures. The daemon calls the
// kernel from its control thread, never from inside a FUSE request.
class DaemonHooks {
 public:
  virtual ~DaemonHooks() = default;
  // Refuses changes to the namespace the mount shows as its root (drop).
  virtual std::optional<std::string> refuse_drop(const std::string& name) = 0;
  // `name` now refers to new_id (a swap or restore); old_id may be 0.
  virtual void namespace_replaced(const std::string& name, NsId old_id, NsId new_id) = 0;
  // Snapshot `snapshot` (family `id`) holds the content a restore replaced:
  // delete it once no lookup or open file can reach it any more.
  virtual void discard_later(const std::string& snapshot, NsId id) = 0;
  // `name` appeared or disappeared at the root (create, drop, rename).
  virtual void name_changed(const std::string& name) = 0;
  // verify --repair changed namespace `id` (entries or files may be gone).
  virtual void namespace_repaired(const std::string& name, NsId id) = 0;
  // {"hits", "misses", "last_use"} of a namespace id.
  virtual json activity(NsId ns) = 0;
  // {"mountpoint", "mode": "multi"|"single", "namespace", "pid"}.
  virtual json info() = 0;
  // The space policy's manual triggers: "compact", "evict" {"to": bytes},
  // "trim" {"unused_for_s": seconds}. Returns the full reply.
  virtual json space(const std::string& cmd, const json& req) = 0;
  // The cacheprog front end's requests (cache_cmds.cpp) changed or read the
  // store behind the kernel's back: a lookup (`hit` null for a miss) counts
  // in the statistics and the LRU index; what a put stored must replace any
  // (negative) entry the kernel cached, and the space policy hears of it.
  virtual void cache_looked_up(NsId /*ns*/, const gocache::CacheHit* /*hit*/) {}
  virtual void cache_stored(NsId /*ns*/, const gocache::PutResult& /*put*/) {}
  // `gocachectl remote status`: the second tier's endpoints, breakers,
  // queue and counters. Returns the full reply (not available without one).
  virtual json remote_status() = 0;
};

struct Context {
  Store& store;
  std::string store_dir;
  DaemonHooks* hooks = nullptr;  // null when gocachectl opened the store itself
  Progress progress;             // for export, import, verify
  BodyChannel* body = nullptr;   // binary bodies (cache.put/get); null without a socket
  // remote.push's remote: the daemon's (--remote), or one gocachectl made
  // from its own --remote when it opened the store; null: none.
  remote::RemoteClient* remote = nullptr;
  Report report{};  // remote.push's progress; may be empty
};

// Never throws: a malformed request or a failure inside a command becomes an
// error reply.
json handle(Context& ctx, const json& request);

// The request's usage error (not an object, unknown command, unknown or
// missing field, a field of the wrong type, text that is not UTF-8 or holds
// a NUL), if any. handle() runs it first.
std::optional<std::string> check_request(const json& request);
// Commands that can take minutes (verify, snapshot export/import/restore,
// compact, evict, trim, remote push): the daemon runs only a few of them at
// once.
bool long_running(std::string_view cmd);

// Helpers shared by the command files.
json ok(json result = json::object());
json fail(const Error& e, int exit_code = kFailed);
json fail(const std::string& message, int exit_code = kFailed);
json stats_json(const NsStats& st);

json cmd_snapshot(Context& ctx, const std::string& cmd, const json& req);
json cmd_verify(Context& ctx, const json& req);
json cmd_cache(Context& ctx, const std::string& cmd, const json& req);
json cmd_remote_push(Context& ctx, const json& req);

}  // namespace gcfs::control
