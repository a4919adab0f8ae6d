// Health checks of a running gocachefs (issue 5), as a library: the
// gocachefs-health-check program and `gocachectl health` share it.
//
// Each check gives one line and a state; the overall state follows the
// monitoring-plugin convention (exit status): 0 OK, 1 WARNING, 2 CRITICAL,
// 3 UNKNOWN, the worst one winning with CRITICAL > WARNING > UNKNOWN > OK.
// Inputs: the daemon's metrics endpoint (scraped over plain HTTP), statvfs
// of the store directory, and a stat of the mountpoint in a child process
// with a deadline (a hung FUSE mount must not hang the check).
#pragma once

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "store/result.hpp"

namespace gcfs::health {

enum class State { ok = 0, warning = 1, critical = 2, unknown = 3 };
const char* state_name(State s);

struct Thresholds {
  // Free space of the store's filesystem, percent. Default: 10 / 5.
  double disk_warn_pct = 10.0;
  double disk_crit_pct = 5.0;
  // Lowest namespace occupancy (live / physical), ratio; namespaces smaller
  // than occupancy_min_bytes on disk are not judged (nothing worth
  // reclaiming). Default: 0.78 (the urgent compaction tier) / 0.5, 16 MiB.
  double occupancy_warn = 0.78;
  double occupancy_crit = 0.5;
  double occupancy_min_bytes = 16.0 * (1 << 20);
  // Store size / --max-size limit (when the daemon exports one).
  // Default: 1.0 / 1.1.
  double size_warn = 1.0;
  double size_crit = 1.1;
  // Share of FUSE requests answered EIO, EROFS or ENOSPC since the daemon
  // started. Default: 0.001 / 0.01.
  double errors_warn = 0.001;
  double errors_crit = 0.01;
};

struct Options {
  // Empty: the check is skipped.
  std::string store_dir;
  std::string mountpoint;
  // HOST:PORT of --metrics-listen; "off" or empty: metrics checks are UNKNOWN.
  // Default: 127.0.0.1:9868.
  std::string metrics = "127.0.0.1:9868";
  // Deadline of the mount probe and of the scrape. Default: 3 s.
  std::chrono::milliseconds timeout{3000};
  Thresholds t;
};

struct Check {
  std::string name;
  State state = State::unknown;
  std::string message;
  std::optional<double> value;  // the figure judged, when there is one
};

struct Report {
  std::vector<Check> checks;
  State overall() const;
  // First line "gocachefs health: STATE (...)", then one line per check.
  std::string text() const;
  nlohmann::json json() const;
};

Report run_checks(const Options& o);

// ---- building blocks, exposed for tests ----------------------------------

// One sample of the Prometheus text format.
struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};
std::vector<Sample> parse_text_format(const std::string& text);
// GET http://ADDRESS/metrics: the body, or what went wrong.
Result<std::string> http_get_metrics(const std::string& address, std::chrono::milliseconds timeout);
// stat() of `path` and of a fresh name in it (a lookup the daemon must
// answer) in a child process: ok when it answered in time with a
// directory, else what went wrong ("timed out after 3000 ms", strerror, ...).
Status probe_mount(const std::string& path, std::chrono::milliseconds timeout);

}  // namespace gcfs::health
