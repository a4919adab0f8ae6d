// verify: Store::check on each namespace, which reads every record of it at
// one snapshot (every chunk decoded and verified; entries, inodes, orphans,
// chunk maps, the LRU index and the counters checked against each other), so
// it can run on a live mount and report only real damage. With "repair":
// Store::repair, which fixes what it can in one atomic batch per namespace.
#include <fmt/format.h>

#include "store/admin/control.hpp"

namespace gcfs::control {

namespace {

json problem_json(const CheckProblem& p, bool with_repair) {
  json j = {{"path", p.path}, {"error", p.reason}, {"kind", p.kind}, {"ino", p.ino}};
  if (with_repair) j["repair"] = p.repair;
  return j;
}

json problems_json(const std::vector<CheckProblem>& list, bool with_repair) {
  json out = json::array();
  for (const auto& p : list) out.push_back(problem_json(p, with_repair));
  return out;
}

}  // namespace

json cmd_verify(Context& ctx, const json& req) {
  const std::string want = req.value("ns", "");
  const bool repair = req.value("repair", false);
  auto list = ctx.store.list_namespaces();
  if (!list) return fail(list.error());
  json out = json::array();
  uint64_t damage = 0, repaired = 0;
  std::string error;
  for (const auto& ns : *list) {
    if (!want.empty() && ns.name != want) continue;
    auto r = repair ? ctx.store.repair(ns.id, ctx.progress) : ctx.store.check(ns.id, ctx.progress);
    if (!r && r.code() == Errc::not_found && want.empty()) continue;  // dropped meanwhile
    if (!r) {
      // Not damage found but a check that could not read: the command fails.
      error = fmt::format("namespace {}: {}", ns.name, r.error().message());
      out.push_back({{"name", ns.name}, {"error", r.error().message()}});
      continue;
    }
    json j = {{"name", ns.name},
              {"files", r->files},
              {"bytes_read", r->bytes_read},
              {"bytes_checked", r->bytes_checked}};
    j["damaged"] = problems_json(repair ? r->remaining : r->problems, false);
    damage += j["damaged"].size();
    if (repair) {
      j["repaired"] = problems_json(r->problems, true);
      repaired += r->problems.size();
      if (r->wrote && ctx.hooks) ctx.hooks->namespace_repaired(ns.name, ns.id);
    }
    out.push_back(j);
  }
  if (!want.empty() && out.empty()) return fail(fmt::format("no namespace {}", want));
  json result = {{"namespaces", out}, {"damage", damage}};
  if (repair) result["repaired"] = repaired;
  json reply = ok(result);
  if (!error.empty()) {
    reply["ok"] = false;
    reply["exit"] = kFailed;
    reply["error"] = error;
  } else if (damage > 0) {
    reply["ok"] = false;
    reply["exit"] = kDamage;
    reply["error"] = repair ? fmt::format("{} damaged item(s) remain after repair", damage)
                            : fmt::format("{} damaged item(s) found", damage);
  }
  return reply;
}

}  // namespace gcfs::control
