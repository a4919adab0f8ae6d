// snapshot create | list | delete | export | import | swap | restore.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <ctime>

#include "store/admin/control.hpp"

namespace gcfs::control {

namespace {

std::string str(const json& req, const char* key) {
  auto it = req.find(key);
  return it != req.end() && it->is_string() ? it->get<std::string>() : std::string();
}

json info_json(const SnapshotInfo& s) {
  json j = stats_json(s.stats);
  j["name"] = s.name;
  j["id"] = s.id;
  j["source_ns"] = s.source_ns;
  j["created"] = s.created;
  j["go_version"] = s.go_version;
  return j;
}

json summary_json(const ArchiveSummary& s) {
  return {{"ns", s.ns},
          {"go_version", s.go_version},
          {"created", s.created},
          {"entries", s.entries},
          {"parts", s.parts},
          {"files", s.files},
          {"logical_bytes", s.logical_bytes},
          {"stored_bytes", s.stored_bytes},
          {"archive_bytes", s.archive_bytes},
          {"content_id", s.content_id},
          {"base_id", s.base_id},
          {"deltas", s.deltas}};
}

// The archive and the deltas to apply after it, in order.
std::vector<std::string> chain_of(const json& req) {
  std::vector<std::string> files{str(req, "file")};
  if (auto it = req.find("deltas"); it != req.end()) {
    for (const auto& d : *it) files.push_back(d.get<std::string>());
  }
  return files;
}

// --ns omitted: the namespace a single-namespace mount shows, or the only one.
Result<std::string> default_ns(Context& ctx, std::string ns) {
  if (!ns.empty()) return ns;
  if (ctx.hooks) {
    json info = ctx.hooks->info();
    if (info.value("mode", "") == "single") return info.value("namespace", "");
  }
  auto list = ctx.store.list_namespaces();
  if (!list) return list.error();
  if (list->size() == 1) return (*list)[0].name;
  return Error(Errc::invalid, "several namespaces: say which with --ns");
}

json swap(Context& ctx, const std::string& snap, const std::string& ns) {
  auto r = ctx.store.swap_snapshot(snap, ns);
  if (!r) return fail(r.error());
  if (ctx.hooks) ctx.hooks->namespace_replaced(ns, r->old_id, r->new_id);
  return ok({{"snapshot", snap}, {"ns", ns}, {"old_content", r->auto_snapshot}});
}

// The replaced content of a restore goes (unless kept): at once without a
// daemon, else once nothing reaches it (DaemonHooks::discard_later).
void discard_replaced(Context& ctx, const SwapResult& r, json& reply) {
  if (r.auto_snapshot.empty()) return;
  if (ctx.hooks) {
    ctx.hooks->discard_later(r.auto_snapshot, r.old_id);
    reply["result"]["old_content_deleted"] = "later";
    return;
  }
  if (Status d = ctx.store.delete_snapshot(r.auto_snapshot); !d) {
    reply["result"]["warning"] = fmt::format(
        "the replaced content, snapshot {}, could not be deleted ({}): delete it with "
        "`gocachectl snapshot delete {}`",
        r.auto_snapshot, d.error().message(), r.auto_snapshot);
    return;
  }
  reply["result"]["old_content_deleted"] = "now";
}

json restore(Context& ctx, const std::vector<std::string>& files, const std::string& ns,
             bool keep_old) {
  if (!valid_namespace_name(ns)) return fail(fmt::format("invalid namespace name '{}'", ns));
  if (!ctx.store.find_namespace(ns)) {
    // Nothing to replace: import straight as the namespace.
    auto sum = ctx.store.import_archives(files, ns, true, ctx.progress);
    if (!sum) return fail(sum.error());
    if (ctx.hooks) ctx.hooks->name_changed(ns);
    return ok({{"ns", ns}, {"archive", summary_json(*sum)}, {"old_content", nullptr}});
  }
  const std::string tmp = fmt::format("restore-{}-{}", ns.substr(0, 40), std::time(nullptr));
  auto sum = ctx.store.import_archives(files, tmp, false, ctx.progress);
  if (!sum) return fail(sum.error());
  auto swapped = ctx.store.swap_snapshot(tmp, ns);
  json reply;
  if (swapped) {
    if (ctx.hooks) ctx.hooks->namespace_replaced(ns, swapped->old_id, swapped->new_id);
    reply = ok({{"snapshot", tmp}, {"ns", ns}, {"old_content", swapped->auto_snapshot}});
    if (!keep_old) discard_replaced(ctx, *swapped, reply);
  } else {
    reply = fail(swapped.error());
  }
  // The namespace holds its own hard-linked copy; the staging snapshot goes.
  if (Status d = ctx.store.delete_snapshot(tmp); !d) {
    // The restore stands (or failed for its own reason); the leftover only
    // takes space: say which one to delete.
    const std::string leftover = fmt::format(
        "the staging snapshot {} could not be deleted ({}): delete it with "
        "`gocachectl snapshot delete {}`",
        tmp, d.error().message(), tmp);
    spdlog::warn("snapshot restore: {}", leftover);
    if (reply["ok"]) {
      reply["result"]["warning"] = leftover;
    } else {
      reply["error"] = reply.value("error", std::string()) + "; " + leftover;
    }
  }
  if (reply["ok"]) reply["result"]["archive"] = summary_json(*sum);
  return reply;
}

}  // namespace

json cmd_snapshot(Context& ctx, const std::string& cmd, const json& req) {
  const std::string name = str(req, "name");
  if (cmd == "snapshot.create") {
    auto ns = default_ns(ctx, str(req, "ns"));
    if (!ns) return fail(ns.error());
    auto s = ctx.store.create_snapshot(name, *ns);
    if (!s) return fail(s.error());
    return ok(info_json(*s));
  }
  if (cmd == "snapshot.list") {
    auto list = ctx.store.list_snapshots();
    if (!list) return fail(list.error());
    json out = json::array();
    for (const auto& s : *list) out.push_back(info_json(s));
    return ok({{"snapshots", out}});
  }
  if (cmd == "snapshot.delete") {
    if (auto s = ctx.store.delete_snapshot(name); !s) return fail(s.error());
    return ok({{"name", name}});
  }
  if (cmd == "snapshot.export") {
    const DeltaBase since{str(req, "since"), str(req, "since_archive")};
    auto sum = ctx.store.export_snapshot(name, str(req, "file"), ctx.progress, since);
    if (!sum) return fail(sum.error());
    json j = summary_json(*sum);
    j["file"] = str(req, "file");
    return ok(j);
  }
  if (cmd == "snapshot.import") {
    const bool as_ns = !str(req, "as").empty();
    const std::string target = as_ns ? str(req, "as") : name;
    auto sum = ctx.store.import_archives(chain_of(req), target, as_ns, ctx.progress);
    if (!sum) return fail(sum.error());
    if (as_ns && ctx.hooks) ctx.hooks->name_changed(target);
    json j = summary_json(*sum);
    j[as_ns ? "namespace" : "snapshot"] = target;
    return ok(j);
  }
  if (cmd == "snapshot.swap") {
    auto ns = default_ns(ctx, str(req, "ns"));
    if (!ns) return fail(ns.error());
    return swap(ctx, name, *ns);
  }
  if (cmd == "snapshot.restore") {
    auto ns = default_ns(ctx, str(req, "ns"));
    if (!ns) return fail(ns.error());
    auto keep = req.find("keep_old");
    return restore(ctx, chain_of(req), *ns, keep != req.end() && keep->get<bool>());
  }
  return fail("unknown command " + cmd, kUsage);
}

}  // namespace gcfs::control
