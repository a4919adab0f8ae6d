#include "policy/runtime/space_control.hpp"

#include <spdlog/spdlog.h>

#include "policy/rules/parse.hpp"

namespace gcfs::policy {

namespace {

control::json evicted(const Result<EvictResult>& r) {
  if (!r) return control::fail(r.error());
  return control::ok({{"files", r->files}, {"bytes", r->bytes}});
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
  if (cmd == "evict") {
    auto bytes = policy::parse_size(arg);
    if (!bytes) return control::fail("not a size (e.g. 20G, 512M): " + arg, control::kUsage);
    spdlog::info("eviction to {} bytes requested by gocachectl", *bytes);
    return evicted(space.evict_to(*bytes));
  }
  auto secs = policy::parse_duration_seconds(arg);
  if (!secs) return control::fail("not a duration (e.g. 5d, 12h): " + arg, control::kUsage);
  spdlog::info("trim of entries unused for {} s requested by gocachectl", *secs);
  return evicted(space.trim_unused(std::chrono::seconds(*secs)));
}

}  // namespace gcfs::policy
