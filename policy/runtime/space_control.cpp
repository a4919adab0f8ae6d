#include "policy/runtime/space_control.hpp"

#include <spdlog/spdlog.h>

#include "policy/rules/parse.hpp"

namespace gcfs::policy {

namespace {

control::json evicted(const Result<EvictResult>& r, bool report_kept) {
  if (!r) return control::fail(r.error());
  control::json out = {{"files", r->files}, {"bytes", r->bytes}};
  // Bytes the target still wanted when only protected entries were left.
  if (report_kept) out["kept_bytes"] = r->short_bytes;
  return control::ok(out);
}

}  // namespace

control::json run_space_command(SpaceManager& space, const std::string& cmd,
                                const control::json& req) {
  if (cmd == "compact") {
    spdlog::info("compaction requested by gocachectl");
    if (Status s = space.compact_now(); !s) return control::fail(s.error());
    return control::ok();
  }
  const std::string arg = req.value(cmd == "evict" ? "to" : "unused_for", std::string());
  const bool include_recent = req.value("include_recent", false);
  if (cmd == "evict") {
    auto bytes = policy::parse_size(arg);
    if (!bytes) return control::fail("not a size (e.g. 20G, 512M): " + arg, control::kUsage);
    spdlog::info("eviction to {} bytes{} requested by gocachectl", *bytes,
                 include_recent ? ", recent entries included," : "");
    return evicted(space.evict_to(*bytes, include_recent), true);
  }
  auto secs = policy::parse_duration_seconds(arg);
  if (!secs) return control::fail("not a duration (e.g. 5d, 12h): " + arg, control::kUsage);
  spdlog::info("trim of entries unused for {} s{} requested by gocachectl", *secs,
               include_recent ? ", recent entries included," : "");
  return evicted(space.trim_unused(std::chrono::seconds(*secs), include_recent), false);
}

}  // namespace gcfs::policy
