#include "fusefs/daemon/control_metrics.hpp"

#include <array>
#include <string_view>

#include "fusefs/daemon/metrics.hpp"

namespace gcfs::fusefs {

namespace {

constexpr std::string_view kPrefix = "snapshot.";
// The snapshot commands of store/admin/snapshot_cmds.cpp; anything else
// (a newer gocachectl, a typo) is "other", so the label set stays bounded.
constexpr std::array<const char*, 8> kOps = {"create", "list", "delete",  "export",
                                             "import", "swap", "restore", "other"};

prometheus::Counter& series(const std::string& op, bool ok) {
  return Metrics::instance().counter("gocachefs_snapshot_operations_total",
                                     "Snapshot requests handled by the daemon (gocachectl "
                                     "snapshot ...), by operation and result",
                                     {{"op", op}, {"result", ok ? "ok" : "error"}});
}

constexpr std::array<const char*, 5> kRefusals = {"busy", "busy_long", "too_long", "timeout",
                                                  "permission"};

prometheus::Counter& refusals(const char* reason) {
  return Metrics::instance().counter(
      "gocachefs_control_refusals_total",
      "Control socket connections or requests refused by its limits, by reason",
      {{"reason", reason}});
}

}  // namespace

void register_control_metrics() {
  for (const char* op : kOps) {
    series(op, true);
    series(op, false);
  }
  for (const char* reason : kRefusals) refusals(reason);
}

void count_control_refusal(const char* reason) { refusals(reason).Increment(); }

void count_control_request(const std::string& cmd, bool ok) {
  if (!cmd.starts_with(kPrefix)) return;
  const std::string_view op = std::string_view(cmd).substr(kPrefix.size());
  for (const char* known : kOps) {
    if (op == known) return series(known, ok).Increment();
  }
  series("other", ok).Increment();
}

}  // namespace gcfs::fusefs
