#include "fusefs/daemon/remote_setup.hpp"

#include "store/remote/config.hpp"

namespace gcfs::fusefs {

std::optional<tiered::TierOptions> tier_options(const DaemonOptions& o) {
  if (o.remote_urls.empty()) return std::nullopt;
  tiered::TierOptions t;
  t.remote.urls = o.remote_urls;
  t.remote.auth_file = o.remote_auth_file;
  t.remote.upload_queue_bytes = o.remote_queue_bytes;
  t.remote.mode = o.remote_mode == "read-only" ? remote::Mode::read_only : remote::Mode::read_write;
  t.upload = o.remote_upload == "commit";
  t.demote = o.remote_upload == "evict";
  return t;
}

Status check_remote_options(const DaemonOptions& o) {
  if (o.remote_urls.empty()) {
    if (!o.remote_auth_file.empty())
      return Error(Errc::invalid, "--remote-auth-file needs --remote");
    if (o.remote_queue_bytes != DaemonOptions().remote_queue_bytes)
      return Error(Errc::invalid, "--remote-queue-size needs --remote");
    return Status::ok();
  }
  if (o.remote_queue_bytes < (uint64_t{1} << 20))
    return Error(Errc::invalid, "--remote-queue-size must be at least 1M");
  auto config = remote::resolve_config(tier_options(o)->remote);
  if (!config) return config.error();
  return Status::ok();
}

control::json remote_status_json(tiered::RemoteTier& tier) {
  const remote::RemoteStatus st = tier.remote_status();
  const tiered::TierStatsSnapshot ts = tier.stats();
  control::json endpoints = control::json::array();
  for (const auto& e : st.endpoints) {
    endpoints.push_back({{"address", e.address},
                         {"breaker", remote::breaker_state_name(e.breaker.state)},
                         {"consecutive_failures", e.breaker.consecutive_failures},
                         {"times_opened", e.breaker.times_opened},
                         {"retry_in_ms", e.breaker.retry_in_ms}});
  }
  control::json errors = control::json::object();
  for (size_t k = 0; k < remote::kFaultKinds; ++k) {
    if (st.stats.errors[k])
      errors[remote::fault_name(static_cast<remote::Fault>(k))] = st.stats.errors[k];
  }
  const char* upload = tier.uploads() ? "commit" : tier.demotes() ? "evict" : "off";
  return {
      {"topology", st.topology == remote::TopologyKind::cluster ? "cluster" : "shards"},
      {"mode", st.mode == remote::Mode::read_only ? "read-only" : "read-write"},
      {"upload", upload},
      {"endpoints", endpoints},
      {"queue",
       {{"bytes", st.stats.queue_bytes},
        {"jobs", st.stats.queue_jobs},
        {"capacity_bytes", st.queue_capacity_bytes},
        {"feed", tier.feed_size()},
        {"dropped_full", st.stats.dropped_full},
        {"dropped_closed", st.stats.dropped_closed},
        {"feed_dropped", ts.feed_dropped}}},
      {"fetch",
       {{"hits", ts.fetch_hits},
        {"misses", ts.fetch_misses},
        {"errors", ts.fetch_errors},
        {"remembered", ts.fetch_remembered},
        {"commit_failed", ts.commit_failed},
        {"bytes", ts.fetched_bytes},
        {"remembered_misses", tier.remembered_misses()}}},
      {"upload_counts",
       {{"queued", ts.uploads_queued},
        {"refused", ts.uploads_refused},
        {"skipped", ts.feed_skipped},
        {"demoted", ts.demoted},
        {"demote_skipped", ts.demote_skipped},
        {"demote_failed", ts.demote_failed},
        {"done", st.stats.uploads_done},
        {"failed", st.stats.uploads_failed},
        {"bytes", st.stats.bytes_up}}},
      {"errors", errors},
  };
}

namespace {

void collect(Families& out, tiered::RemoteTier& tier) {
  const remote::RemoteStatus st = tier.remote_status();
  const tiered::TierStatsSnapshot ts = tier.stats();
  auto counter = [&](const char* name, const char* help, uint64_t v) {
    auto f = counter_family(name, help);
    add_sample(f, static_cast<double>(v));
    out.push_back(std::move(f));
  };
  auto gauge = [&](const char* name, const char* help, double v) {
    auto f = gauge_family(name, help);
    add_sample(f, v);
    out.push_back(std::move(f));
  };
  counter("gocachefs_remote_hits_total",
          "Local misses of an action entry found on the remote, verified and committed locally",
          ts.fetch_hits);
  counter("gocachefs_remote_misses_total", "Local misses the remote did not have either",
          ts.fetch_misses);
  counter("gocachefs_remote_fetch_errors_total",
          "Fetches that failed (any remote error, damaged value): answered as a miss",
          ts.fetch_errors);
  counter("gocachefs_remote_remembered_misses_total",
          "Lookups answered from the recent remote misses, without a round trip",
          ts.fetch_remembered);
  counter("gocachefs_remote_commit_failures_total",
          "Entries fetched but not committed locally (a miss)", ts.commit_failed);
  auto errors = counter_family("gocachefs_remote_errors_total",
                               "Failed remote calls by kind (fetches and uploads)");
  for (size_t k = 0; k < remote::kFaultKinds; ++k) {
    add_sample(errors, static_cast<double>(st.stats.errors[k]),
               {{"kind", remote::fault_name(static_cast<remote::Fault>(k))}});
  }
  out.push_back(std::move(errors));
  counter("gocachefs_remote_timeouts_total", "Remote round trips that timed out",
          st.stats.timeouts());
  counter("gocachefs_remote_downloaded_bytes_total", "Raw bytes of entries fetched and verified",
          st.stats.bytes_down);
  counter("gocachefs_remote_uploaded_bytes_total", "Raw bytes of entries uploaded",
          st.stats.bytes_up);
  counter("gocachefs_remote_uploads_total", "Upload jobs completed (an entry and its output)",
          st.stats.uploads_done);
  counter("gocachefs_remote_upload_failures_total", "Upload jobs that failed",
          st.stats.uploads_failed);
  auto demotions = counter_family("gocachefs_remote_demotions_total",
                                  "Entries the space policy evicted, with --remote-upload evict: "
                                  "uploaded first, skipped (already there), or failed");
  add_sample(demotions, static_cast<double>(ts.demoted), {{"result", "uploaded"}});
  add_sample(demotions, static_cast<double>(ts.demote_skipped), {{"result", "skipped"}});
  add_sample(demotions, static_cast<double>(ts.demote_failed), {{"result", "failed"}});
  out.push_back(std::move(demotions));
  gauge("gocachefs_remote_upload_queue_bytes", "Bytes queued or in flight for upload",
        static_cast<double>(st.stats.queue_bytes));
  gauge("gocachefs_remote_upload_queue_capacity_bytes", "Bound of the upload queue",
        static_cast<double>(st.queue_capacity_bytes));
  auto drops = counter_family("gocachefs_remote_upload_drops_total",
                              "Uploads dropped, by reason (full queue, closed at unmount, the "
                              "committed-entry feed full)");
  add_sample(drops, static_cast<double>(st.stats.dropped_full), {{"reason", "queue_full"}});
  add_sample(drops, static_cast<double>(st.stats.dropped_closed), {{"reason", "closed"}});
  add_sample(drops, static_cast<double>(ts.feed_dropped), {{"reason", "feed_full"}});
  out.push_back(std::move(drops));
  auto breaker = gauge_family("gocachefs_remote_breaker_state",
                              "Circuit breaker of each remote endpoint: 0 closed, 1 half-open, "
                              "2 open (failing fast)");
  for (const auto& e : st.endpoints) {
    const double v = e.breaker.state == remote::BreakerState::open        ? 2
                     : e.breaker.state == remote::BreakerState::half_open ? 1
                                                                          : 0;
    add_sample(breaker, v, {{"endpoint", e.address}});
  }
  out.push_back(std::move(breaker));
  auto latency = histogram_family("gocachefs_remote_get_duration_seconds",
                                  "Duration of a remote fetch (an entry and its output)");
  std::array<double, remote::kLatencyBoundsUs.size()> bounds{};
  for (size_t i = 0; i < bounds.size(); ++i) bounds[i] = remote::kLatencyBoundsUs[i] / 1e6;
  const auto& h = st.stats.get_latency;
  add_histogram(latency, bounds, h.buckets, h.count, h.sum_us / 1e6, {});
  out.push_back(std::move(latency));
}

}  // namespace

void add_remote_metrics(Metrics& m, tiered::RemoteTier& tier) {
  m.add_collector([&tier](Families& out) { collect(out, tier); });
}

}  // namespace gcfs::fusefs
