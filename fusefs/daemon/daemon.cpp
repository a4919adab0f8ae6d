#include "fusefs/daemon/daemon.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <fuse_lowlevel.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>

#include "fusefs/daemon/control_server.hpp"
#include "fusefs/daemon/mountpoint.hpp"
#include "fusefs/daemon/operations.hpp"
#include "fusefs/daemon/remote_setup.hpp"
#include "fusefs/daemon/uring_transport.hpp"
#include "fusefs/daemon/vm_hint.hpp"
#include "fusefs/discards.hpp"
#include "fusefs/filesystem.hpp"
#include "fusefs/inode_pruner.hpp"
#include "fusefs/swap_grace.hpp"
#include "policy/rules/space.hpp"
#include "policy/runtime/space_control.hpp"
#include "policy/runtime/space_worker.hpp"
#include "store/paths.hpp"
#include "store/store.hpp"

namespace gcfs::fusefs {

namespace {

// Entries per io_uring queue: its one thread serves them in turn, so more
// only batch what the kernel hands over at once.
constexpr unsigned kUringDepth = 4;

// libfuse reports through fuse_log; before the mount works its last error is
// kept for our one-line message, afterwards everything goes to spdlog.
std::mutex fuse_log_mu;
std::string fuse_last_error;
bool fuse_log_to_spdlog = false;

void fuse_log_sink(enum fuse_log_level level, const char* fmt, va_list ap) {
  char buf[1024];
  vsnprintf(buf, sizeof(buf), fmt, ap);
  std::string msg(buf);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == '\r')) msg.pop_back();
  std::lock_guard lock(fuse_log_mu);
  if (!fuse_log_to_spdlog) {
    if (level <= FUSE_LOG_ERR) fuse_last_error = msg;
    return;
  }
  spdlog::level::level_enum l = level <= FUSE_LOG_ERR       ? spdlog::level::err
                                : level <= FUSE_LOG_WARNING ? spdlog::level::warn
                                : level <= FUSE_LOG_INFO    ? spdlog::level::info
                                                            : spdlog::level::debug;
  spdlog::log(l, "libfuse: {}", msg);
}

std::string take_fuse_error() {
  std::lock_guard lock(fuse_log_mu);
  std::string e = fuse_last_error.empty() ? "libfuse refused" : fuse_last_error;
  fuse_last_error.clear();
  return e;
}

int fail(const std::string& message) {
  std::fprintf(stderr, "gocachefs: error: %s\n", message.c_str());
  spdlog::error("{}", message);
  return 1;
}

// Forks; the parent waits until the child says the mount works (exit 0) or
// the child exits (its status). Returns the fd the child reports on, or -1
// in the parent's place never (the parent exits here).
int daemonize() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return -1;
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid > 0) {
    close(fds[1]);
    char c = 0;
    ssize_t n;
    do n = ::read(fds[0], &c, 1);
    while (n < 0 && errno == EINTR);
    if (n == 1 && c == '1') _exit(0);
    int status = 0;
    waitpid(pid, &status, 0);
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
  }
  close(fds[0]);
  setsid();
  return fds[1];
}

void detach(int ready_fd) {
  if (ready_fd < 0) return;
  int devnull = open("/dev/null", O_RDWR);
  if (devnull >= 0) {
    dup2(devnull, 0);
    dup2(devnull, 1);
    dup2(devnull, 2);
    if (devnull > 2) close(devnull);
  }
  char c = '1';
  if (::write(ready_fd, &c, 1) != 1) { /* the parent is gone: nothing to tell */
  }
  close(ready_fd);
}

Status setup_logging(const DaemonOptions& o) {
  auto level = spdlog::level::from_str(o.log_level);
  std::shared_ptr<spdlog::logger> logger;
  try {
    if (o.log_file.empty()) {
      logger = std::make_shared<spdlog::logger>("gocachefs",
                                                std::make_shared<spdlog::sinks::stderr_sink_mt>());
    } else {
      logger = std::make_shared<spdlog::logger>(
          "gocachefs", std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
                           o.log_file, o.log_max_bytes, o.log_files));
    }
  } catch (const spdlog::spdlog_ex& e) {
    return Error(Errc::io, fmt::format("cannot open log file {}: {}", o.log_file, e.what()));
  }
  logger->set_level(level);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  return Status::ok();
}

std::string store_error(const std::string& dir, const Error& e) {
  return e.message().empty() ? fmt::format("store {}: {}", dir, errc_name(e.code())) : e.message();
}

}  // namespace

int run_daemon(DaemonOptions o) {
  std::error_code ec;
  o.mountpoint = std::filesystem::absolute(o.mountpoint, ec).lexically_normal().string();
  if (!o.mountpoint.empty() && o.mountpoint.size() > 1 && o.mountpoint.back() == '/') {
    o.mountpoint.pop_back();
  }
  if (o.store_dir.empty()) o.store_dir = default_store_dir();
  o.store_dir = std::filesystem::absolute(o.store_dir, ec).lexically_normal().string();
  fuse_set_log_func(fuse_log_sink);
  spdlog::set_level(spdlog::level::off);  // nothing but our one line until logging is set up

  if (Status s = check_mountpoint(o.mountpoint); !s) return fail(s.error().message());
  auto transport = plan_transport(o.transport, read_enable_uring(), !o.remote_urls.empty());
  if (!transport) return fail(transport.error().message());
  if (!o.ns.empty() && !valid_namespace_name(o.ns)) {
    return fail(
        fmt::format("invalid namespace name '{}': 1-64 printable characters, no '/', "
                    "not '.' or '..'",
                    o.ns));
  }

  int ready_fd = -1;
  if (!o.foreground) {
    // Fork before RocksDB starts its threads; the parent returns only once
    // the mount works, with the child's error otherwise.
    ready_fd = daemonize();
    if (ready_fd < 0) return fail(fmt::format("cannot daemonize: {}", std::strerror(errno)));
    if (chdir("/") != 0) { /* paths are absolute already */
    }
  }

  policy::SpaceOptions space;
  space.limits = {o.max_size, o.ns_max_size, o.low_watermark_pct / 100.0};
  StoreOptions so;
  so.path = o.store_dir;
  so.block_cache_bytes = o.cache_bytes;
  so.memtable_total_bytes = o.memtable_bytes;
  so.write_buffer_bytes = std::min(so.write_buffer_bytes, o.memtable_bytes / 2);
  so.max_file_size = std::min(so.max_file_size, policy::file_size_limit(space.limits));
  LockWait lock_wait;
  lock_wait.max_wait = std::chrono::milliseconds(static_cast<int64_t>(o.lock_wait * 1000));
  auto store = open_store_waiting(so, lock_wait);
  if (!store) return fail(store_error(o.store_dir, store.error()));
  if (o.log_file.empty() && !o.foreground) o.log_file = o.store_dir + "/gocachefs.log";
  if (Status s = setup_logging(o); !s) return fail(s.error().message());
  if (lock_wait.waited_for) {
    spdlog::info("store {} was locked by {} pid {}, which was shutting down: waited {} ms",
                 o.store_dir, lock_wait.waited_for->comm, lock_wait.waited_for->pid,
                 lock_wait.waited.count());
  }

  NsId single_ns = 0;
  if (!o.ns.empty()) {
    auto ns = (*store)->find_namespace(o.ns);
    if (!ns && ns.code() == Errc::not_found) {
      ns = (*store)->create_namespace(o.ns, 0755, Credentials{getuid(), getgid()});
    }
    if (!ns) return fail(fmt::format("namespace '{}': {}", o.ns, ns.error().message()));
    single_ns = ns->id;
  }

  // The second tier: connects lazily, so a remote that is down changes
  // nothing here (its lookups are misses until it answers).
  std::unique_ptr<tiered::RemoteTier> tier;
  if (auto to = tier_options(o)) {
    auto made = tiered::RemoteTier::create(**store, *to);
    if (!made) return fail(made.error().message());
    tier = std::move(made).value();
    spdlog::info("remote tier: {} endpoint(s), {}, uploads {}", to->remote.urls.size(),
                 o.remote_mode,
                 tier->uploads()   ? "on commit"
                 : tier->demotes() ? "on eviction"
                                   : "off");
  }

  FsOptions fo;
  fo.cache_timeout = o.cache_timeout;
  fo.single_ns = single_ns;
  fo.max_file_bytes = so.max_file_size;
  Filesystem fs(**store, fo);
  fs.set_tier(tier.get());
  if (single_ns != 0) space.only_ns = single_ns;
  space.protect_recent = std::chrono::seconds(o.protect_recent_s);
  if (static_cast<int64_t>(o.protect_recent_s) < policy::kShortestSafeProtectSeconds) {
    spdlog::warn(
        "--protect-recent {}s is shorter than a build: eviction may remove an entry a "
        "running build checked and has yet to open, and that build fails (use at least "
        "{}s; default 10m)",
        o.protect_recent_s, policy::kShortestSafeProtectSeconds);
  }
  policy::SpaceManager space_manager(**store, space, &fs);
  fs.set_swap_listener([&space_manager](NsId ns) { space_manager.note_swap(ns); });
  policy::SpaceWorkerOptions swo;
  swo.compaction_interval =
      std::chrono::milliseconds(static_cast<int64_t>(o.space_interval * 1000));
  swo.settle_after = std::chrono::seconds(o.settle_after_s);
  policy::SpaceWorker space_worker(**store, space_manager, fs.uses(), swo);
  fs.set_commit_listener([&space_worker](NsId) { space_worker.wake(); });
  OperationsOptions oo;
  oo.metrics_listen = o.metrics_listen;
  oo.disk.path = o.store_dir;
  oo.disk.min_free_pct = o.min_free_pct;
  auto operations = start_operations(oo, **store, fs, space_manager);
  if (!operations) return fail(operations.error().message());
  if (tier) add_remote_metrics(Metrics::instance(), *tier);
  // Below --min-free, evict least recently used entries to give room back.
  (*operations)->disk_guard().set_eviction([&](uint64_t bytes) -> uint64_t {
    auto all = (*store)->space_all();
    if (!all) return 0;
    const uint64_t live = all->total.live_bytes;
    auto r = space_manager.evict_to(live > bytes ? live - bytes : 0);
    return r ? r->bytes : 0;
  });

  std::vector<std::string> argv_s = {"gocachefs", "-o",
                                     "default_permissions,fsname=gocachefs,subtype=gocachefs"};
  for (const auto& opt : o.fuse_options) {
    argv_s.push_back("-o");
    argv_s.push_back(opt);
  }
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());
  // fuse_session_new replaces them with allocated copies: free on every path.
  std::unique_ptr<fuse_args, void (*)(fuse_args*)> free_args(&args, fuse_opt_free_args);
  fuse_session* se =
      fuse_session_new(&args, &Filesystem::operations(), sizeof(fuse_lowlevel_ops), &fs);
  if (!se) return fail(fmt::format("invalid FUSE options: {}", take_fuse_error()));
  if (fuse_set_signal_handlers(se) != 0) {
    fuse_session_destroy(se);
    return fail("cannot install signal handlers");
  }
  if (fuse_session_mount(se, o.mountpoint.c_str()) != 0) {
    operations->reset();
    fuse_remove_signal_handlers(se);
    fuse_session_destroy(se);
    return fail(fmt::format("cannot mount on {}: {}", o.mountpoint, take_fuse_error()));
  }
  // Under libfuse's own loop: the rings start when the kernel takes INIT.
  std::unique_ptr<UringTransport> uring;
  if (transport->uring) {
    auto t = UringTransport::install(se, kUringDepth);
    if (t) {
      uring = std::move(t).value();
    } else {
      transport->why = t.error().message();
    }
  }
  if (!uring) spdlog::info("transport: /dev/fuse ({})", transport->why);
  fs.set_session(se);
  {
    std::lock_guard lock(fuse_log_mu);
    fuse_log_to_spdlog = true;
  }
  spdlog::info("mounted {} on {} (store {}{})", o.ns.empty() ? "namespaces" : "namespace " + o.ns,
               o.mountpoint, o.store_dir, o.foreground ? ", foreground" : "");
  // A restore's replaced content: deleted after the swap grace, with margin.
  Discards discards(fs.store(), fs.nodes(), SwapGrace::kGrace + std::chrono::seconds(10));
  discards.start();
  ControlServer control(
      fs, se,
      {o.store_dir, o.mountpoint, o.ns,
       [&space_manager, &space_worker](const std::string& cmd, const control::json& req) {
         space_worker.flush_uses();
         return policy::run_space_command(space_manager, cmd, req);
       },
       tier ? std::function<control::json()>([&tier] { return remote_status_json(*tier); })
            : std::function<control::json()>(),
       tier ? &tier->client() : nullptr,
       [&discards](const std::string& snapshot, NsId id) { discards.add(snapshot, id); }});
  if (Status s = control.start(); !s) spdlog::warn("no control socket: {}", s.error().message());
  detach(ready_fd);
  log_vm_latency_hint();
  space_worker.start();
  InodePruner pruner(fs.nodes(), se, o.max_inodes);
  pruner.start();

  fuse_loop_config* cfg = fuse_loop_cfg_create();
  fuse_loop_cfg_set_clone_fd(cfg, 0);
  fuse_loop_cfg_set_idle_threads(cfg, 8);
  int rc = fuse_session_loop_mt(se, cfg);
  // Nothing is served once the loop has returned: the rings stop with
  // libfuse's threads, before anything a request may reach is torn down.
  if (uring) {
    spdlog::info("transport: {}; {} requests served over io_uring", uring->describe(),
                 uring->served());
    uring->stop();
  }
  // The mount is gone: a daemon started on this store now waits for us.
  mark_going_away();
  fuse_loop_cfg_destroy(cfg);
  pruner.stop();        // writes to the session's device
  control.stop();       // before the session and the store go
  space_worker.stop();  // before the session goes: it notifies the kernel
  operations->reset();  // metrics and the disk guard stop before the store closes

  fuse_session_unmount(se);
  fuse_remove_signal_handlers(se);
  fuse_session_destroy(se);  // runs destroy(): pending writes are committed
  discards.stop();           // nothing can reach a replaced content any more
  // Uploads of what was committed get a bounded time; the store is still open.
  if (tier) tier->close();
  store->reset();  // closes RocksDB
  spdlog::info("unmounted {}", o.mountpoint);
  spdlog::shutdown();
  return rc < 0 ? 1 : 0;
}

}  // namespace gcfs::fusefs
