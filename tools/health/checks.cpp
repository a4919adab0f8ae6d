// The checks: one function each, judging one figure against its thresholds.
#include <fmt/format.h>
#include <sys/statvfs.h>

#include <fstream>
#include <sstream>

#include "tools/health/health.hpp"

namespace gcfs::health {

namespace {

struct Scrape {
  bool ok = false;
  std::string error;
  std::vector<Sample> samples;

  std::vector<const Sample*> all(const std::string& name) const {
    std::vector<const Sample*> v;
    for (const auto& s : samples) {
      if (s.name == name) v.push_back(&s);
    }
    return v;
  }
  std::optional<double> sum(const std::string& name) const {
    auto v = all(name);
    if (v.empty()) return std::nullopt;
    double t = 0;
    for (auto* s : v) t += s->value;
    return t;
  }
};

// warn/crit when `v` is below (lower_is_worse) or above the thresholds.
State judge(double v, double warn, double crit, bool lower_is_worse) {
  if (lower_is_worse) return v < crit ? State::critical : v < warn ? State::warning : State::ok;
  return v > crit ? State::critical : v > warn ? State::warning : State::ok;
}

bool is_gocachefs_mount(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, parent, dev, root, mnt, field;
    f >> id >> parent >> dev >> root >> mnt;
    while (f >> field && field != "-") {
    }
    std::string fstype;
    f >> fstype;
    if (mnt == path && fstype == "fuse.gocachefs") return true;
  }
  return false;
}

Check check_mount(const Options& o) {
  Check c{"mount", State::ok, "", std::nullopt};
  if (!is_gocachefs_mount(o.mountpoint)) {
    c.state = State::critical;
    c.message = fmt::format("{} is not a gocachefs mount", o.mountpoint);
    return c;
  }
  const Status probe = probe_mount(o.mountpoint, o.timeout);
  c.state = probe ? State::ok : State::critical;
  c.message = probe ? fmt::format("{} responds", o.mountpoint)
                    : fmt::format("{}: {}", o.mountpoint, probe.error().message());
  return c;
}

Check check_disk(const Options& o, const Scrape& m) {
  Check c{"disk", State::unknown, "", std::nullopt};
  double total = 0, free = 0;
  std::string where;
  struct statvfs vfs {};
  if (!o.store_dir.empty() && statvfs(o.store_dir.c_str(), &vfs) == 0 && vfs.f_blocks > 0) {
    total = static_cast<double>(vfs.f_blocks) * vfs.f_frsize;
    free = static_cast<double>(vfs.f_bavail) * vfs.f_frsize;
    where = o.store_dir;
  } else if (auto t = m.sum("gocachefs_store_disk_total_bytes"); t && *t > 0) {
    total = *t;
    free = m.sum("gocachefs_store_disk_free_bytes").value_or(0);
    where = "store disk (from metrics)";
  } else {
    c.message = o.store_dir.empty() ? "no --store and no metrics"
                                    : fmt::format("cannot statvfs {}", o.store_dir);
    return c;
  }
  const double pct = 100.0 * free / total;
  c.value = pct;
  c.state = judge(pct, o.t.disk_warn_pct, o.t.disk_crit_pct, true);
  c.message = fmt::format("{:.1f}% free on {} ({:.0f} MiB; warn < {}%, crit < {}%)", pct, where,
                          free / (1 << 20), o.t.disk_warn_pct, o.t.disk_crit_pct);
  return c;
}

Check check_occupancy(const Options& o, const Scrape& m) {
  Check c{"occupancy", State::ok, "", std::nullopt};
  std::string worst;
  double lowest = 2.0;
  for (const Sample* s : m.all("gocachefs_namespace_occupancy_ratio")) {
    const auto ns = s->labels.count("namespace") ? s->labels.at("namespace") : "";
    double physical = 0;
    for (const Sample* p : m.all("gocachefs_namespace_physical_bytes")) {
      if (p->labels == s->labels) physical = p->value;
    }
    if (physical < o.t.occupancy_min_bytes) continue;
    if (s->value < lowest) {
      lowest = s->value;
      worst = ns;
    }
  }
  if (worst.empty()) {
    c.message = fmt::format("no namespace over {:.0f} MiB on disk to judge",
                            o.t.occupancy_min_bytes / (1 << 20));
    return c;
  }
  c.value = lowest;
  c.state = judge(lowest, o.t.occupancy_warn, o.t.occupancy_crit, true);
  c.message = fmt::format("lowest {:.0f}% live in namespace '{}' (warn < {:.0f}%, crit < {:.0f}%)",
                          lowest * 100, worst, o.t.occupancy_warn * 100, o.t.occupancy_crit * 100);
  return c;
}

Check check_size(const Options& o, const Scrape& m) {
  Check c{"size", State::ok, "", std::nullopt};
  const auto size = m.sum("gocachefs_store_physical_bytes");
  const auto limit = m.sum("gocachefs_size_limit_bytes");
  if (!size) return {"size", State::unknown, "store size not exported", std::nullopt};
  if (!limit || *limit <= 0) {
    c.message = fmt::format("{:.1f} MiB on disk, no size limit", *size / (1 << 20));
    return c;
  }
  const double ratio = *size / *limit;
  c.value = ratio;
  c.state = judge(ratio, o.t.size_warn, o.t.size_crit, false);
  c.message = fmt::format("{:.1f} MiB of {:.1f} MiB limit ({:.0f}%)", *size / (1 << 20),
                          *limit / (1 << 20), ratio * 100);
  // Entries in use are never evicted: a limit below what builds use is
  // exceeded rather than failing them. Not an outage, but the limit is wrong.
  if (const double excess = m.sum("gocachefs_size_limit_in_use_excess_bytes").value_or(0);
      excess > 0) {
    if (c.state == State::ok) c.state = State::warning;
    c.message += fmt::format(
        "; the limit is below the working set: {:.1f} MiB over it are held by entries in use "
        "(raise --max-size or lower --protect-recent)",
        excess / (1 << 20));
  }
  return c;
}

Check check_errors(const Options& o, const Scrape& m) {
  Check c{"errors", State::ok, "", std::nullopt};
  const double ops = m.sum("gocachefs_fuse_operations_total").value_or(0);
  double bad = 0;
  std::map<std::string, double> by_errno;
  for (const Sample* s : m.all("gocachefs_fuse_operation_errors_total")) {
    const std::string e = s->labels.count("errno") ? s->labels.at("errno") : "";
    if (e == "EIO" || e == "EROFS" || e == "ENOSPC") {
      bad += s->value;
      by_errno[e] += s->value;
    }
  }
  const double ratio = ops > 0 ? bad / ops : 0;
  c.value = ratio;
  c.state = judge(ratio, o.t.errors_warn, o.t.errors_crit, false);
  std::string detail;
  for (const auto& [e, n] : by_errno) detail += fmt::format(" {} {:.0f}", e, n);
  c.message = fmt::format("{:.0f} of {:.0f} requests failed with EIO/EROFS/ENOSPC ({:.3f}%){}", bad,
                          ops, ratio * 100, detail.empty() ? "" : ":" + detail);
  return c;
}

Check check_rocksdb(const Scrape& m) {
  Check c{"rocksdb", State::ok, "", std::nullopt};
  const double ro = m.sum("gocachefs_store_read_only").value_or(0);
  const double bg = m.sum("gocachefs_rocksdb_background_errors_total").value_or(0);
  const double resumes = m.sum("gocachefs_store_resume_attempts_total").value_or(0);
  const double fails = m.sum("gocachefs_store_resume_failures_total").value_or(0);
  const double stopped = m.sum("gocachefs_rocksdb_write_stopped").value_or(0);
  c.value = bg;
  if (ro > 0) {
    c.state = State::critical;
    c.message = "store is read-only (writes get EROFS); see the daemon log for the reason";
  } else if (stopped > 0 || (bg > 0 && fails >= resumes && resumes > 0)) {
    c.state = State::warning;
    c.message = fmt::format("{:.0f} background errors, {:.0f} resume attempts ({:.0f} failed){}",
                            bg, resumes, fails, stopped > 0 ? ", writes stopped" : "");
  } else if (bg > 0) {
    c.state = State::warning;
    c.message = fmt::format("{:.0f} background errors since start, recovered ({:.0f} resumes)", bg,
                            resumes);
  } else {
    c.message = "no background errors";
  }
  return c;
}

// Only with --remote (the breaker gauge exists). An endpoint that is down
// is no outage of the cache: its keys are misses and builds go on, but
// they run colder than they should.
std::optional<Check> check_remote(const Scrape& m) {
  const auto breakers = m.all("gocachefs_remote_breaker_state");
  if (breakers.empty()) return std::nullopt;
  Check c{"remote", State::ok, "", std::nullopt};
  std::string down;
  double n_down = 0;
  for (const Sample* s : breakers) {
    if (s->value < 2) continue;
    n_down += 1;
    down += (down.empty() ? "" : ", ") +
            (s->labels.count("endpoint") ? s->labels.at("endpoint") : std::string("?"));
  }
  c.value = n_down;
  if (n_down > 0) {
    c.state = State::warning;
    c.message = fmt::format(
        "{:.0f} of {} remote endpoint(s) down ({}): their entries are misses, builds go on", n_down,
        breakers.size(), down);
  } else {
    c.message = fmt::format("{} remote endpoint(s) answering", breakers.size());
  }
  return c;
}

}  // namespace

Report run_checks(const Options& o) {
  Report r;
  if (!o.mountpoint.empty()) r.checks.push_back(check_mount(o));
  Scrape m;
  if (!o.metrics.empty() && o.metrics != "off") {
    auto body = http_get_metrics(o.metrics, o.timeout);
    if (body) {
      m.ok = true;
      m.samples = parse_text_format(*body);
    } else {
      m.error = body.error().message();
    }
    r.checks.push_back(
        {"metrics", m.ok ? State::ok : State::critical,
         m.ok ? fmt::format("{} answers ({} samples)", o.metrics, m.samples.size()) : m.error,
         std::nullopt});
  } else {
    m.error = "metrics not configured";
  }
  r.checks.push_back(check_disk(o, m));
  if (!m.ok) {
    for (const char* name : {"occupancy", "size", "errors", "rocksdb"}) {
      r.checks.push_back({name, State::unknown, "no metrics: " + m.error, std::nullopt});
    }
    return r;
  }
  r.checks.push_back(check_occupancy(o, m));
  r.checks.push_back(check_size(o, m));
  r.checks.push_back(check_errors(o, m));
  r.checks.push_back(check_rocksdb(m));
  if (auto remote = check_remote(m)) r.checks.push_back(*remote);
  return r;
}

}  // namespace gcfs::health
