// cache.get and cache.put: the Go build cache of one namespace, for
// `gocachectl cacheprog` while a daemon runs (docs/gocachectl.md). They go
// through the daemon so that its statistics, LRU index, size limits and
// kernel view stay right; the files are the ones the mount shows.
//   cache.get {"ns", "action": hex, "want_body": bool}
//     -> {"hit": false} | {"hit": true, "output": hex, "size": N, "time_ns": T,
//        "disk_path": path in the mount (when it shows the namespace),
//        "body_bytes": N (want_body: the output's bytes follow the reply)}
//   cache.put {"ns", "action": hex, "output": hex, "body_bytes": "N"} + N bytes
//     -> {"size": N, "disk_path": ...}
#include <fmt/format.h>
#include <sys/stat.h>

#include "store/admin/control.hpp"
#include "store/gocache/layout.hpp"

namespace gcfs::control {

namespace {

using gocache::GoHash;

constexpr size_t kPiece = size_t{1} << 20;

// The output's path in the mount, if the mount shows namespace `ns`.
std::string disk_path(Context& ctx, const std::string& ns, const GoHash& output) {
  if (!ctx.hooks) return "";
  const json info = ctx.hooks->info();
  const std::string mnt = info.value("mountpoint", "");
  if (mnt.empty()) return "";
  if (info.value("mode", "") == "multi") return mnt + "/" + ns + "/" + gocache::output_path(output);
  if (info.value("namespace", "") == ns) return mnt + "/" + gocache::output_path(output);
  return "";
}

// The namespace's owner when a put creates it: the store directory's owner,
// the one user besides root the daemon lets in (so the go command of that
// user can write beside the helper on the mount).
Credentials store_owner(const std::string& store_dir) {
  struct stat st {};
  if (::stat(store_dir.c_str(), &st) != 0) return {0, 0};
  return {st.st_uid, st.st_gid};
}

class ChannelReader final : public gocache::BodyReader {
 public:
  explicit ChannelReader(BodyChannel& ch) : ch_(ch) {}
  Result<size_t> read(std::span<char> out) override { return ch_.read(out); }

 private:
  BodyChannel& ch_;
};

std::optional<GoHash> hash_field(const json& req, const char* key) {
  return gocache::hash_from_hex(req.value(key, ""));
}

json cache_get(Context& ctx, const json& req) {
  const std::string name = req.value("ns", "");
  auto action = hash_field(req, "action");
  if (!action) return fail("cache.get: \"action\" must be 64 hex digits", kUsage);
  auto ns = ctx.store.find_namespace(name);
  if (!ns) {
    if (ns.code() == Errc::not_found) return ok({{"hit", false}});
    return fail(ns.error());
  }
  gocache::StoreCache cache(ctx.store);
  auto hit = cache.get(ns->id, *action);
  if (!hit) return fail(hit.error());
  if (ctx.hooks) ctx.hooks->cache_looked_up(ns->id, hit->has_value() ? &**hit : nullptr);
  if (!*hit) return ok({{"hit", false}});
  const gocache::CacheHit& h = **hit;
  json r = {{"hit", true},
            {"output", gocache::to_hex(h.entry.output)},
            {"size", h.entry.size},
            {"time_ns", h.entry.time_ns}};
  if (auto p = disk_path(ctx, name, h.entry.output); !p.empty()) r["disk_path"] = p;
  if (req.value("want_body", false)) {
    if (!ctx.body) return fail("cache.get: want_body needs the control socket", kUsage);
    r["body_bytes"] = h.entry.size;
    Store& store = ctx.store;
    const NsId id = ns->id;
    const Ino ino = h.output_ino;
    const uint64_t size = h.entry.size;
    // After the reply line; the reader checks the bytes against the output ID.
    ctx.body->reply_body(size, [&store, id, ino, size](const BodyChannel::Send& send) -> Status {
      std::string piece(kPiece, '\0');
      for (uint64_t off = 0; off < size;) {
        auto n = store.read(id, ino, off, std::span<char>(piece.data(), piece.size()));
        if (!n) return n.status();
        if (*n == 0) return Error(Errc::io, "output shorter than its entry says");
        const size_t take = static_cast<size_t>(std::min<uint64_t>(*n, size - off));
        if (auto s = send(std::string_view(piece.data(), take)); !s) return s;
        off += take;
      }
      return Status::ok();
    });
  }
  return ok(r);
}

json cache_put(Context& ctx, const json& req) {
  const std::string name = req.value("ns", "");
  auto action = hash_field(req, "action");
  auto output = hash_field(req, "output");
  if (!action || !output) {
    return fail("cache.put: \"action\" and \"output\" must be 64 hex digits", kUsage);
  }
  if (!valid_namespace_name(name)) {
    return fail(fmt::format("cache.put: invalid namespace name \"{}\"", name), kUsage);
  }
  if (!ctx.body) return fail("cache.put: a body needs the control socket", kUsage);
  const uint64_t size = ctx.body->request_bytes();
  auto found = ctx.store.find_namespace(name);
  const bool created = !found && found.code() == Errc::not_found;
  auto ns = gocache::cache_namespace(ctx.store, name, true, store_owner(ctx.store_dir));
  if (!ns) return fail(ns.error());
  if (created && ctx.hooks) ctx.hooks->name_changed(name);
  gocache::StoreCache cache(ctx.store);
  ChannelReader body(*ctx.body);
  auto put = cache.put(ns->id, *action, *output, size, body);
  if (!put) return fail(put.error());
  if (ctx.hooks) ctx.hooks->cache_stored(ns->id, *put);
  json r = {{"size", size}};
  if (auto p = disk_path(ctx, name, *output); !p.empty()) r["disk_path"] = p;
  return ok(r);
}

}  // namespace

json cmd_cache(Context& ctx, const std::string& cmd, const json& req) {
  if (cmd == "cache.get") return cache_get(ctx, req);
  if (cmd == "cache.put") return cache_put(ctx, req);
  return fail("unknown command " + cmd, kUsage);
}

}  // namespace gcfs::control
