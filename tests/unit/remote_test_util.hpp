// Helpers for the remote tier's server tests: deterministic content, Go
// entries that verify, clients with test-friendly options.
#pragma once

#include <fmt/format.h>

#include <memory>
#include <string>
#include <vector>

#include "store/remote/client.hpp"
#include "store/remote/go_entry.hpp"
#include "store/remote/object_key.hpp"

namespace gcfs::remote::testing {

// `n` bytes from `seed`; `compressible` ones look like text.
inline std::string content(size_t n, uint64_t seed, bool compressible = false) {
  std::string s(n, '\0');
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    s[i] = compressible ? "package main\n"[x % 13] : static_cast<char>(x >> 24);
  }
  return s;
}

// An output (-d) name: named by its content's SHA-256, as Go does.
inline std::string output_name(const std::string& bytes) {
  return entry_name(sha256_hex(bytes), EntryKind::output);
}

struct GoPair {
  std::string action_name, action, output_name, output;
};

// An -a/-d pair as Go writes it, the action ID derived from `seed`.
inline GoPair go_pair(uint64_t seed, std::string output) {
  GoPair p;
  const std::string action_hex = sha256_hex(fmt::format("action {}", seed));
  const std::string out_hex = sha256_hex(output);
  p.action_name = entry_name(action_hex, EntryKind::action);
  p.action = fmt::format("v1 {} {} {:20d} {:20d}\n", action_hex, out_hex, output.size(),
                         1700000000000000000LL + static_cast<int64_t>(seed));
  p.output_name = entry_name(out_hex, EntryKind::output);
  p.output = std::move(output);
  return p;
}

// Options for tests: short backoffs so breakers recover within a test,
// generous timeouts so a loaded machine does not fail them.
inline RemoteOptions test_options(std::vector<std::string> urls) {
  RemoteOptions o;
  o.urls = std::move(urls);
  o.connect_timeout_ms = 2000;
  o.command_timeout_ms = 10000;
  o.upload_timeout_ms = 20000;
  o.breaker_failures = 2;
  o.breaker_backoff_ms = 200;
  o.breaker_backoff_max_ms = 1000;
  o.cluster_retry_budget_ms = 5000;
  return o;
}

inline std::unique_ptr<RemoteClient> make_client(const RemoteOptions& o) {
  auto c = RemoteClient::create(o);
  if (!c) throw std::runtime_error(c.error().message());
  return std::move(c.value());
}

}  // namespace gcfs::remote::testing
