#include "tools/gocachectl/health_cmd.hpp"

#include <cstdio>

#include "store/admin/json_text.hpp"
#include "tools/gocachectl/client.hpp"
#include "tools/health/health.hpp"

namespace gcfs::ctl {

int run_health(const std::string& store_dir, std::string mountpoint, const std::string& metrics,
               bool as_json) {
  if (mountpoint.empty()) {
    // Ask the daemon where it is mounted; without one the mount check says so.
    auto info = run_request(store_dir, {{"cmd", "info"}});
    if (info.value("ok", false)) mountpoint = info["result"].value("mountpoint", "");
  }
  health::Options o;
  o.store_dir = store_dir;
  o.mountpoint = mountpoint;
  o.metrics = metrics;
  const health::Report report = health::run_checks(o);
  if (as_json) {
    std::printf("%s\n", control::to_text(report.json(), 2).c_str());
  } else {
    std::printf("%s", report.text().c_str());
  }
  return static_cast<int>(report.overall());
}

}  // namespace gcfs::ctl
