// gocachefs-health-check: runs the health checks of tools/health against a
// running daemon; exit status 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
// (`gocachectl health` calls the same library.)
#include <CLI/CLI.hpp>
#include <cstdio>

#include "policy/cli/checks.hpp"
#include "tools/health/health.hpp"

int main(int argc, char** argv) {
  gcfs::health::Options o;
  bool json = false;
  double timeout_s = 3.0;
  CLI::App app{"gocachefs-health-check: health of a running gocachefs mount"};
  app.add_option("--store", o.store_dir, "Store directory (for its disk's free space)");
  app.add_option("--mount", o.mountpoint, "Mountpoint (must respond within --timeout)");
  app.add_option("--metrics", o.metrics, "The daemon's --metrics-listen address, or off")
      ->capture_default_str();
  app.add_flag("--json", json, "Print JSON instead of lines");
  app.add_option("--timeout", timeout_s, "Seconds for the mount probe and the scrape")
      ->check(gcfs::cli::number_in(0.001, 3600))
      ->capture_default_str();
  app.add_option("--disk-warn", o.t.disk_warn_pct, "WARNING below this % free")
      ->check(gcfs::cli::number_in(0, 100))
      ->capture_default_str();
  app.add_option("--disk-crit", o.t.disk_crit_pct, "CRITICAL below this % free")
      ->check(gcfs::cli::number_in(0, 100))
      ->capture_default_str();
  app.add_option("--occupancy-warn", o.t.occupancy_warn, "WARNING below this live ratio")
      ->check(gcfs::cli::number_in(0, 1))
      ->capture_default_str();
  app.add_option("--occupancy-crit", o.t.occupancy_crit, "CRITICAL below this live ratio")
      ->check(gcfs::cli::number_in(0, 1))
      ->capture_default_str();
  app.add_option("--errors-warn", o.t.errors_warn, "WARNING above this failed-request ratio")
      ->check(gcfs::cli::number_in(0, 1))
      ->capture_default_str();
  app.add_option("--errors-crit", o.t.errors_crit, "CRITICAL above this failed-request ratio")
      ->check(gcfs::cli::number_in(0, 1))
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 3;  // a usage error is UNKNOWN to a monitoring system
  }
  o.timeout = std::chrono::milliseconds(static_cast<long>(timeout_s * 1000));
  const auto report = gcfs::health::run_checks(o);
  if (json) {
    std::printf("%s\n", report.json().dump(2).c_str());
  } else {
    std::fputs(report.text().c_str(), stdout);
  }
  return static_cast<int>(report.overall());
}
