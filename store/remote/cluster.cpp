// Cluster routing: see cluster.hpp.
#include "store/remote/cluster.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <thread>

#include "store/remote/sharded.hpp"
#include "store/remote/slot.hpp"

namespace gcfs::remote {

namespace {

// A MOVED storm during a resharding patches slots one by one; the whole map
// is reloaded at most this often.
constexpr auto kMinRefreshInterval = std::chrono::milliseconds(100);
constexpr auto kFirstRetryBackoff = std::chrono::milliseconds(10);

struct Redirect {
  uint16_t slot = 0;
  Address addr;
};

// "MOVED 3999 127.0.0.1:6381" / "ASK ..."; an empty host (Redis 7 with an
// unknown endpoint) means the node that answered.
std::optional<Redirect> parse_redirect(std::string_view text, std::string_view word,
                                       const Address& from) {
  if (text.substr(0, word.size() + 1) != fmt::format("{} ", word)) return std::nullopt;
  text.remove_prefix(word.size() + 1);
  const size_t sp = text.find(' ');
  if (sp == std::string_view::npos) return std::nullopt;
  Redirect r;
  int slot = -1;
  auto [p, ec] = std::from_chars(text.data(), text.data() + sp, slot);
  if (ec != std::errc() || p != text.data() + sp || slot < 0 || slot >= kClusterSlots) {
    return std::nullopt;
  }
  r.slot = static_cast<uint16_t>(slot);
  std::string_view hp = text.substr(sp + 1);
  const size_t colon = hp.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view host = hp.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  r.addr.host = host.empty() ? from.host : std::string(host);
  std::string_view port = hp.substr(colon + 1);
  auto [q, ec2] = std::from_chars(port.data(), port.data() + port.size(), r.addr.port);
  if (ec2 != std::errc() || q != port.data() + port.size() || r.addr.port < 1 ||
      r.addr.port > 65535) {
    return std::nullopt;
  }
  return r;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

std::vector<Address> seed_addresses(const Config& config) {
  std::vector<Address> out;
  for (const auto& e : config.topology.endpoints) out.push_back(e.addr);
  return out;
}

}  // namespace

ClusterBackend::ClusterBackend(const Config& config, Stats& stats)
    : options_(config.options),
      settings_(node_settings(config, config.topology.endpoints.at(0).user)),
      seeds_(seed_addresses(config)),
      stats_(stats) {
  for (const auto& s : seeds_) node(s);  // so that status() lists them from the start
}

std::shared_ptr<Node> ClusterBackend::node(const Address& addr) {
  std::lock_guard lock(mu_);
  auto& n = nodes_[addr.str()];
  if (!n) n = std::make_shared<Node>(addr, settings_);
  return n;
}

std::optional<Address> ClusterBackend::owner(uint16_t slot) {
  std::lock_guard lock(mu_);
  return map_.owner(slot);
}

Outcome<size_t> ClusterBackend::refresh(Deadline deadline, const std::atomic<bool>* cancel) {
  std::vector<Address> candidates;
  {
    std::lock_guard lock(mu_);
    candidates = map_.nodes();
  }
  for (const auto& s : seeds_) {
    if (std::find(candidates.begin(), candidates.end(), s) == candidates.end()) {
      candidates.push_back(s);
    }
  }
  const Command cmd{{"CLUSTER", "SLOTS"}};
  Failure last{Fault::cluster_down, "no cluster node answered CLUSTER SLOTS"};
  for (const auto& addr : candidates) {
    auto replies = node(addr)->exchange({&cmd}, deadline, cancel);
    const Reply& r = replies.at(0);
    if (r.failure) {
      last = *r.failure;
      if (r.failure->kind == Fault::cancelled) break;
      continue;
    }
    if (r.is_error()) {
      last = Failure{classify_error_reply(r.str),
                     fmt::format("{}: CLUSTER SLOTS: {}", addr.str(), r.str)};
      continue;
    }
    auto m = SlotMap::from_cluster_slots(r, addr);
    if (!m) {
      last = m.failure();
      continue;
    }
    const size_t covered = m->covered();
    if (covered == 0) {
      last = Failure{Fault::cluster_down, addr.str() + ": CLUSTER SLOTS lists no slot"};
      continue;
    }
    std::lock_guard lock(mu_);
    map_ = std::move(m.value());
    have_map_ = true;
    stale_ = false;
    last_refresh_ = Clock::now();
    stats_.slot_refreshes.fetch_add(1);
    return covered;
  }
  spdlog::debug("remote cluster: slot map reload failed: {}", last.message);
  return last;
}

void ClusterBackend::refresh_if_needed(Deadline deadline, const std::atomic<bool>* cancel) {
  bool need = false;
  bool have = false;
  {
    std::lock_guard lock(mu_);
    have = have_map_;
    need = !have_map_ || (stale_ && Clock::now() - last_refresh_ >= kMinRefreshInterval);
  }
  if (!need) return;
  // With a map in hand, let one thread reload while the others go on with it.
  std::unique_lock rl(refresh_mu_, std::defer_lock);
  if (have) {
    if (!rl.try_lock()) return;
  } else {
    rl.lock();
    std::lock_guard lock(mu_);
    if (have_map_) return;  // another thread loaded it meanwhile
  }
  (void)refresh(deadline, cancel).is_ok();  // failure: routed commands fail below
}

std::vector<Reply> ClusterBackend::run(std::vector<Command>& cmds, Deadline deadline,
                                       const std::atomic<bool>* cancel) {
  std::vector<Reply> out(cmds.size());
  refresh_if_needed(deadline, cancel);

  struct Pending {
    size_t idx;
    Address target;
    bool asking = false;
    uint32_t redirects = 0;
  };
  std::vector<Pending> pending;
  for (size_t i = 0; i < cmds.size(); ++i) {
    const uint16_t slot = key_slot(cmds[i].args.at(1));
    auto o = owner(slot);
    if (!o) {
      out[i] = Reply::failed({Fault::cluster_down, fmt::format("no known owner of slot {}", slot)});
      continue;
    }
    pending.push_back({i, *o});
  }

  const Deadline retry_until = std::min(
      deadline, Clock::now() + std::chrono::milliseconds(options_.cluster_retry_budget_ms));
  auto backoff = std::chrono::duration_cast<Clock::duration>(kFirstRetryBackoff);
  while (!pending.empty()) {
    std::map<std::string, std::vector<Pending*>> groups;
    for (auto& p : pending) groups[p.target.str()].push_back(&p);

    std::vector<Pending> next;
    bool wait = false;
    for (auto& [addr, group] : groups) {
      std::vector<const Command*> ptrs;
      for (Pending* p : group) {
        cmds[p->idx].asking = p->asking;
        ptrs.push_back(&cmds[p->idx]);
      }
      auto replies = node(group.front()->target)->exchange(ptrs, deadline, cancel);
      for (size_t k = 0; k < group.size(); ++k) {
        Pending p = *group[k];
        Reply& r = replies[k];
        if (r.failure) {
          // A node down may have failed over: reload the map on the next call.
          if (is_endpoint_fault(r.failure->kind)) {
            std::lock_guard lock(mu_);
            stale_ = true;
          }
          out[p.idx] = std::move(r);
          continue;
        }
        if (!r.is_error()) {
          out[p.idx] = std::move(r);
          continue;
        }
        const bool moved = starts_with(r.str, "MOVED ");
        const bool ask = starts_with(r.str, "ASK ");
        if (moved || ask) {
          auto to = parse_redirect(r.str, moved ? "MOVED" : "ASK", p.target);
          if (!to) {
            out[p.idx] = Reply::failed(
                {Fault::protocol, fmt::format("{}: bad redirection '{}'", addr, r.str)});
            continue;
          }
          if (++p.redirects > options_.cluster_max_redirects) {
            out[p.idx] =
                Reply::failed({Fault::redirect_loop,
                               fmt::format("{} redirections, last '{}'", p.redirects - 1, r.str)});
            continue;
          }
          if (moved) {
            stats_.moved.fetch_add(1);
            std::lock_guard lock(mu_);
            map_.set_owner(to->slot, to->addr);
            stale_ = true;
          } else {
            stats_.ask.fetch_add(1);
          }
          p.target = to->addr;
          p.asking = ask;
          next.push_back(std::move(p));
          continue;
        }
        if (starts_with(r.str, "TRYAGAIN") || starts_with(r.str, "CLUSTERDOWN")) {
          if (Clock::now() + backoff < retry_until) {
            stats_.cluster_retries.fetch_add(1);
            if (starts_with(r.str, "CLUSTERDOWN")) {
              std::lock_guard lock(mu_);
              stale_ = true;
            }
            wait = true;
            next.push_back(std::move(p));
            continue;
          }
        }
        out[p.idx] = std::move(r);  // any other error reply: the caller classifies it
      }
    }
    for (auto& c : cmds) c.asking = false;
    if (wait) {
      const auto until = std::min(Clock::now() + backoff, retry_until);
      while (Clock::now() < until && !(cancel && cancel->load())) {
        std::this_thread::sleep_for(
            std::min<Clock::duration>(until - Clock::now(), std::chrono::milliseconds(20)));
      }
      backoff *= 2;
      refresh_if_needed(deadline, cancel);
    }
    pending = std::move(next);
  }
  return out;
}

std::vector<EndpointStatus> ClusterBackend::endpoints() const {
  std::vector<EndpointStatus> out;
  const auto now = Clock::now();
  std::lock_guard lock(mu_);
  for (const auto& [addr, n] : nodes_) out.push_back({addr, n->breaker(now)});
  return out;
}

std::unique_ptr<Backend> make_backend(const Config& config, Stats& stats) {
  if (config.topology.kind == TopologyKind::cluster) {
    return std::make_unique<ClusterBackend>(config, stats);
  }
  return std::make_unique<ShardedBackend>(config);
}

}  // namespace gcfs::remote
