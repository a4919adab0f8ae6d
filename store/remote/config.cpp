// Option checks: see config.hpp.
#include "store/remote/config.hpp"

#include <fmt/format.h>

#include <cstdlib>

namespace gcfs::remote {

namespace {

Status check_range(const char* name, uint64_t v, uint64_t lo, uint64_t hi) {
  if (v < lo || v > hi) {
    return Error(Errc::invalid,
                 fmt::format("remote option {} = {} is outside {}..{}", name, v, lo, hi));
  }
  return Status::ok();
}

Status check_options(const RemoteOptions& o) {
  constexpr uint64_t kMiB = 1 << 20;
  const std::pair<const char*, std::array<uint64_t, 3>> checks[] = {
      {"connect_timeout_ms", {o.connect_timeout_ms, 1, 600000}},
      {"command_timeout_ms", {o.command_timeout_ms, 1, 600000}},
      {"upload_timeout_ms", {o.upload_timeout_ms, 1, 600000}},
      {"max_object_size", {o.max_object_size, 1, uint64_t{4} << 30}},
      {"piece_size", {o.piece_size, 4096, 64 * kMiB}},
      {"block_size", {o.block_size, 4096, o.piece_size}},
      {"pipeline_bytes", {o.pipeline_bytes, o.piece_size, uint64_t{1} << 30}},
      {"upload_queue_bytes", {o.upload_queue_bytes, 1, uint64_t{64} << 30}},
      {"upload_threads", {o.upload_threads, 1, 64}},
      {"connections_per_endpoint", {o.connections_per_endpoint, 1, 256}},
      {"breaker_failures", {o.breaker_failures, 1, 1000}},
      {"breaker_backoff_ms", {o.breaker_backoff_ms, 1, 3600000}},
      {"breaker_backoff_max_ms", {o.breaker_backoff_max_ms, o.breaker_backoff_ms, 3600000}},
      {"cluster_max_redirects", {o.cluster_max_redirects, 1, 100}},
      {"cluster_retry_budget_ms", {o.cluster_retry_budget_ms, 0, 600000}},
  };
  for (const auto& [name, v] : checks) {
    if (auto s = check_range(name, v[0], v[1], v[2]); !s) return s;
  }
  return Status::ok();
}

}  // namespace

Result<Config> resolve_config(const RemoteOptions& options, const GetEnv& getenv) {
  if (auto s = check_options(options); !s) return s.error();
  auto topo = parse_urls(options.urls);
  if (!topo) return topo.error();
  auto creds = load_credentials(options.auth_file, getenv);
  if (!creds) return creds.error();
  for (const auto& e : topo->endpoints) {
    if (e.user.empty()) continue;
    if (creds->password.empty()) {
      return Error(Errc::invalid, fmt::format("remote endpoint {} names user '{}' but no password "
                                              "is given (--remote-auth-file)",
                                              e.addr.str(), e.user));
    }
    if (!creds->user.empty() && creds->user != e.user) {
      return Error(Errc::invalid, fmt::format("remote endpoint {} names user '{}', the auth file "
                                              "user '{}'",
                                              e.addr.str(), e.user, creds->user));
    }
  }
  return Config{options, std::move(*topo), std::move(*creds)};
}

Result<Config> resolve_config(const RemoteOptions& options) {
  return resolve_config(options, [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  });
}

}  // namespace gcfs::remote
