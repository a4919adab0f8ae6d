// Dispatch, namespaces and statistics.
#include <fmt/format.h>

#include "store/admin/control.hpp"

namespace gcfs::control {

json ok(json result) { return {{"ok", true}, {"exit", kOk}, {"result", std::move(result)}}; }

json fail(const std::string& message, int exit_code) {
  return {{"ok", false}, {"exit", exit_code}, {"error", message}};
}

json fail(const Error& e, int exit_code) {
  return fail(e.message().empty() ? std::string(errc_name(e.code())) : e.message(), exit_code);
}

json stats_json(const NsStats& st) {
  return {{"files", st.files},
          {"dirs", st.dirs},
          {"symlinks", st.symlinks},
          {"logical_bytes", st.logical_bytes},
          {"stored_bytes", st.stored_bytes},
          {"orphans", st.orphans}};
}

namespace {

std::string str(const json& req, const char* key) {
  auto it = req.find(key);
  return it != req.end() && it->is_string() ? it->get<std::string>() : std::string();
}

json ns_stats(Context& ctx, const NsInfo& ns, const StoreUsage& usage) {
  auto st = ctx.store.stats(ns.id);
  if (!st) return json{{"name", ns.name}, {"error", st.error().message()}};
  json j = stats_json(*st);
  j["name"] = ns.name;
  j["id"] = ns.id;
  j["compression_ratio"] =
      st->stored_bytes ? static_cast<double>(st->logical_bytes) / st->stored_bytes : 0.0;
  j["physical_bytes"] = usage.physical_bytes;  // the whole store: families share files
  if (ctx.hooks) {
    j.update(ctx.hooks->activity(ns.id));
  } else {
    j["hits"] = 0;
    j["misses"] = 0;
    j["last_use"] = nullptr;  // unknown: only a running daemon counts
  }
  return j;
}

json cmd_stats(Context& ctx, const json& req) {
  const std::string want = str(req, "ns");
  auto list = ctx.store.list_namespaces();
  if (!list) return fail(list.error());
  const StoreUsage usage = ctx.store.usage();
  json out = json::array();
  for (const auto& ns : *list) {
    if (!want.empty() && ns.name != want) continue;
    out.push_back(ns_stats(ctx, ns, usage));
  }
  if (!want.empty() && out.empty()) return fail(fmt::format("no namespace {}", want));
  return ok({{"namespaces", out},
             {"store",
              {{"path", ctx.store_dir},
               {"physical_bytes", usage.physical_bytes},
               {"disk_free_bytes", usage.disk_free_bytes},
               {"daemon", ctx.hooks != nullptr}}}});
}

json cmd_ns(Context& ctx, const std::string& cmd, const json& req) {
  const std::string name = str(req, "name");
  if (cmd == "ns.list") {
    auto list = ctx.store.list_namespaces();
    if (!list) return fail(list.error());
    json out = json::array();
    for (const auto& ns : *list) out.push_back({{"name", ns.name}, {"id", ns.id}});
    return ok({{"namespaces", out}});
  }
  if (cmd == "ns.create") {
    auto ns = ctx.store.create_namespace(name, 0755, Credentials{0, 0});
    if (!ns) return fail(ns.error());
    if (ctx.hooks) ctx.hooks->name_changed(name);
    return ok({{"name", name}, {"id", ns->id}});
  }
  if (cmd == "ns.drop") {
    if (ctx.hooks) {
      if (auto why = ctx.hooks->refuse_drop(name)) return fail(*why);
    }
    if (auto s = ctx.store.drop_namespace(name); !s) return fail(s.error());
    if (ctx.hooks) ctx.hooks->name_changed(name);
    return ok({{"name", name}});
  }
  if (cmd == "ns.rename") {
    const std::string to = str(req, "to");
    if (ctx.hooks) {
      if (auto why = ctx.hooks->refuse_drop(name)) return fail(*why);
    }
    if (auto s = ctx.store.rename_namespace(name, to); !s) return fail(s.error());
    if (ctx.hooks) {
      ctx.hooks->name_changed(name);
      ctx.hooks->name_changed(to);
    }
    return ok({{"name", to}});
  }
  return fail("unknown command " + cmd, kUsage);
}

}  // namespace

json handle(Context& ctx, const json& req) {
  if (auto why = check_request(req)) return fail(*why, kUsage);
  const std::string& cmd = req["cmd"].get_ref<const std::string&>();
  try {
    if (cmd == "stats") return cmd_stats(ctx, req);
    if (cmd.starts_with("ns.")) return cmd_ns(ctx, cmd, req);
    if (cmd.starts_with("snapshot.")) return cmd_snapshot(ctx, cmd, req);
    if (cmd == "verify") return cmd_verify(ctx, req);
    if (cmd.starts_with("cache.")) return cmd_cache(ctx, cmd, req);
    if (cmd == "info") {
      if (!ctx.hooks) return fail("no gocachefs daemon is running on " + ctx.store_dir);
      return ok(ctx.hooks->info());
    }
    if (cmd == "remote.push") return cmd_remote_push(ctx, req);
    if (cmd == "remote.status") {
      if (!ctx.hooks) {
        return fail("no gocachefs daemon is running on " + ctx.store_dir +
                        ": the remote tier is the daemon's",
                    kNotAvailable);
      }
      return ctx.hooks->remote_status();
    }
    if (cmd == "compact" || cmd == "evict" || cmd == "trim") {
      // The space policy lives in the daemon (it owns the use index and the
      // kernel's view); without one there is nothing to act on.
      if (!ctx.hooks) {
        return fail("no gocachefs daemon is running on " + ctx.store_dir +
                        ": compact, evict and trim act through a running mount",
                    kNotAvailable);
      }
      return ctx.hooks->space(cmd, req);
    }
  } catch (const json::exception& e) {
    return fail(std::string("malformed request: ") + e.what(), kUsage);
  } catch (const std::exception& e) {
    // A failure of this request only (e.g. bad_alloc): the caller carries on.
    return fail(std::string("internal error: ") + e.what());
  } catch (...) {
    return fail("internal error: unknown exception");
  }
  return fail("unknown command " + cmd, kUsage);
}

}  // namespace gcfs::control
