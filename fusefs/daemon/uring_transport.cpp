#include "fusefs/daemon/uring_transport.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <liburing.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "fusefs/daemon/uring_abi.hpp"

namespace gcfs::fusefs {

namespace abi = uring_abi;

std::optional<TransportMode> parse_transport(std::string_view s) {
  if (s == "auto") return TransportMode::automatic;
  if (s == "uring") return TransportMode::uring;
  if (s == "dev") return TransportMode::dev;
  return std::nullopt;
}

Result<TransportPlan> plan_transport(TransportMode mode, std::string_view enable_uring,
                                     bool remote) {
  if (mode == TransportMode::dev) return TransportPlan{false, "--transport dev"};
  // A ring is served by one thread: a fetch from the second tier (network
  // round trips, timeouts when the remote dies) would hold up every request
  // of that CPU, where /dev/fuse's threads keep serving local hits.
  if (mode == TransportMode::automatic && remote) {
    return TransportPlan{false, "with --remote (--transport uring to use io_uring anyway)"};
  }
  const bool on = enable_uring == "Y" || enable_uring == "1";
  if (on) return TransportPlan{true, "fuse.enable_uring is on"};
  const std::string why =
      enable_uring.empty()
          ? "this kernel has no FUSE over io_uring (6.14 or later with CONFIG_FUSE_IO_URING)"
          : "FUSE over io_uring is off (as root: echo 1 > "
            "/sys/module/fuse/parameters/enable_uring)";
  if (mode == TransportMode::uring) return Error(Errc::invalid, "--transport uring: " + why);
  return TransportPlan{false, why};
}

std::string read_enable_uring() {
  std::ifstream in("/sys/module/fuse/parameters/enable_uring");
  std::string v;
  in >> v;
  return v;
}

namespace {

// Possible CPUs ("0-3", "0,2-5"): the kernel keeps num_possible_cpus()
// queues and uses a ring only once every queue has an entry registered.
unsigned possible_cpus() {
  std::ifstream in("/sys/devices/system/cpu/possible");
  std::string list;
  in >> list;
  unsigned count = 0;
  size_t pos = 0;
  while (pos < list.size()) {
    const size_t comma = list.find(',', pos);
    const std::string part = list.substr(pos, comma == std::string::npos ? comma : comma - pos);
    const size_t dash = part.find('-');
    try {
      const unsigned long first = std::stoul(part.substr(0, dash));
      const unsigned long last =
          dash == std::string::npos ? first : std::stoul(part.substr(dash + 1));
      if (last >= first) count += static_cast<unsigned>(last - first + 1);
    } catch (const std::exception&) {
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return count > 0 ? count : std::max(1u, std::thread::hardware_concurrency());
}

constexpr uint64_t kWakeTag = 1;  // user_data of the eventfd poll (entries are pointers)

enum EntryState : int { kInKernel, kProcessing, kReplied, kGone };

}  // namespace

struct Queue;

struct Entry {
  Queue* queue = nullptr;
  abi::ReqHeader* header = nullptr;  // its own page: the kernel copies into it
  char* area = nullptr;              // a page of room, then the payload buffer
  char* payload = nullptr;
  size_t payload_cap = 0;
  iovec iov[2]{};
  std::atomic<uint64_t> commit_id{0};  // opaque to us: what the commit names
  std::atomic<uint64_t> unique{0};     // the request's, which its reply carries
  std::atomic<int> state{kGone};
};

struct UringTransport::Impl {
  fuse_session* se = nullptr;
  int fd = -1;  // our dup of the session's: libfuse closes its own at unmount
  unsigned depth = 0;
  fuse_custom_io io{};

  // INIT, seen by the read hook and patched by the write hook.
  std::atomic<uint64_t> init_unique{0};
  std::atomic<bool> init_seen{false};
  std::atomic<bool> kernel_offers{false};
  std::atomic<bool> started{false};

  std::mutex mu;  // queues_ and the start/stop transitions
  std::vector<std::unique_ptr<Queue>> queues;
  std::atomic<unsigned> registered{0};
  std::atomic<uint64_t> served{0};
  std::string failure;  // why the rings are not running, if they failed

  void start_rings(size_t payload_cap);
  Entry* find(uint64_t unique);
  ssize_t reply(Entry& e, const iovec* iov, int count);
  void stop();
};

namespace {

std::atomic<UringTransport::Impl*> g_impl{nullptr};  // the custom I/O hooks get no pointer of ours
thread_local Entry* tl_entry = nullptr;              // the request this ring thread is serving

}  // namespace

struct Queue {
  UringTransport::Impl* impl = nullptr;
  unsigned qid = 0;
  size_t payload_cap = 0;
  io_uring ring{};
  bool ring_ok = false;
  int wake_fd = -1;
  std::atomic<bool> stopping{false};
  std::vector<std::unique_ptr<Entry>> entries;
  std::thread thread;
  uint64_t wake_buf = 0;

  ~Queue() {
    for (auto& e : entries) {
      if (e->header) munmap(e->header, 4096);
      if (e->area) munmap(e->area, 4096 + e->payload_cap);
    }
    if (wake_fd >= 0) close(wake_fd);
  }

  void prep(Entry& e, uint32_t cmd) {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    // One SQE per entry plus the poll: the ring is sized for all of them.
    if (sqe == nullptr) {
      spdlog::error("io_uring queue {}: no free submission entry", qid);
      e.state.store(kGone);
      give_up();
      return;
    }
    std::memset(sqe, 0, 128);
    sqe->opcode = IORING_OP_URING_CMD;
    sqe->fd = impl->fd;
    sqe->cmd_op = cmd;
    io_uring_sqe_set_data(sqe, &e);
    if (cmd == abi::kCmdRegister) {
      sqe->addr = reinterpret_cast<uint64_t>(e.iov);
      sqe->len = 2;
    }
    auto* req = reinterpret_cast<abi::CmdReq*>(sqe->cmd);
    req->qid = static_cast<uint16_t>(qid);
    req->commit_id = cmd == abi::kCmdRegister ? 0 : e.commit_id.load(std::memory_order_relaxed);
    e.state.store(kInKernel, std::memory_order_relaxed);
  }

  void arm_wake() {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    if (sqe == nullptr) return;
    io_uring_prep_read(sqe, wake_fd, &wake_buf, sizeof(wake_buf), 0);
    io_uring_sqe_set_data64(sqe, kWakeTag);
  }

  void wake() {
    const uint64_t one = 1;
    ssize_t n = ::write(wake_fd, &one, sizeof(one));
    (void)n;  // an eventfd write fails only past 2^64-2 pending wakes
  }

  // The request in e's buffers, laid out as libfuse reads it from /dev/fuse:
  // in-header, the operation's argument, then the payload (already in place
  // right after the page of room before it, so it is not copied).
  void serve(Entry& e) {
    auto* in = reinterpret_cast<fuse_in_header*>(e.header->in_out);
    const abi::EntInOut& meta = e.header->ring_ent_in_out;
    e.commit_id.store(meta.commit_id, std::memory_order_relaxed);
    e.unique.store(in->unique, std::memory_order_relaxed);
    const size_t payload = meta.payload_sz;
    const size_t total = in->len;
    if (payload > e.payload_cap || total < sizeof(fuse_in_header) + payload ||
        total - sizeof(fuse_in_header) - payload > abi::kOpInOutSize) {
      spdlog::error("io_uring queue {}: malformed request (opcode {}, len {}, payload {})", qid,
                    in->opcode, total, payload);
      fuse_out_header out{sizeof(fuse_out_header), -EIO, in->unique};
      iovec iov{&out, sizeof(out)};
      e.state.store(kProcessing, std::memory_order_release);
      impl->reply(e, &iov, 1);
      return;
    }
    const size_t arg = total - sizeof(fuse_in_header) - payload;
    char* start = e.payload - arg - sizeof(fuse_in_header);
    std::memcpy(start, in, sizeof(fuse_in_header));
    std::memcpy(start + sizeof(fuse_in_header), e.header->op_in, arg);
    fuse_buf buf{};
    buf.mem = start;
    buf.size = total;
    e.state.store(kProcessing, std::memory_order_release);
    tl_entry = &e;
    fuse_session_process_buf(impl->se, &buf);
    tl_entry = nullptr;
    impl->served.fetch_add(1, std::memory_order_relaxed);
  }

  void run() {
    pthread_setname_np(pthread_self(), fmt::format("fuse-ring-{}", qid).c_str());
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(qid, &set);
    // Not fatal: an offline CPU's queue still serves, from anywhere.
    if (sched_setaffinity(0, sizeof(set), &set) != 0) {
      spdlog::debug("io_uring queue {}: cannot pin to CPU {}: {}", qid, qid, std::strerror(errno));
    }
    // SCHED_BATCH: a request woken for this thread does not preempt the
    // task running on its CPU. For a request the caller waits on nothing
    // changes (the caller sleeps at once and this thread runs), but a
    // RELEASE, which the caller does not wait for, no longer costs it two
    // context switches: it is served with the caller's next request.
    // open+read+close of 1,233 action entries: 35.8 -> 24.9 us a file
    // (docs/operations.md).
    sched_param batch{};
    if (sched_setscheduler(0, SCHED_BATCH, &batch) != 0) {
      spdlog::debug("io_uring queue {}: SCHED_BATCH: {}", qid, std::strerror(errno));
    }
    for (auto& e : entries) prep(*e, abi::kCmdRegister);
    arm_wake();
    if (int rc = io_uring_submit(&ring); rc < 0) {
      spdlog::error("io_uring queue {}: registering: {}", qid, std::strerror(-rc));
      give_up();
      return;
    }
    impl->registered.fetch_add(1);
    unsigned live = static_cast<unsigned>(entries.size());
    bool failed = false;
    while (!stopping.load(std::memory_order_relaxed) && live > 0) {
      int rc = io_uring_submit_and_wait(&ring, 1);
      if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) {
        spdlog::error("io_uring queue {}: {}", qid, std::strerror(-rc));
        failed = true;
        break;
      }
      unsigned head;
      unsigned seen = 0;
      io_uring_cqe* cqe;
      io_uring_for_each_cqe(&ring, head, cqe) {
        ++seen;
        if (cqe->user_data == kWakeTag) {
          if (!stopping.load()) arm_wake();
          continue;
        }
        auto* e = reinterpret_cast<Entry*>(cqe->user_data);
        if (cqe->res == 0) {
          serve(*e);
        } else if (cqe->res == -EINTR || cqe->res == -EAGAIN) {
          prep(*e, e->state.load() == kInKernel && e->commit_id.load() != 0
                       ? abi::kCmdCommitAndFetch
                       : abi::kCmdRegister);
        } else {
          // ENOTCONN/ENODEV: the mount is going away; anything else is logged.
          if (cqe->res != -ENOTCONN && cqe->res != -ENODEV && cqe->res != -ECANCELED) {
            spdlog::error("io_uring queue {}: {}", qid, std::strerror(-cqe->res));
            failed = true;
          }
          e->state.store(kGone);
          --live;
        }
      }
      io_uring_cq_advance(&ring, seen);
      // Replies written meanwhile, here or by another thread, go back to the
      // kernel with the next submission, which also fetches the next request.
      for (auto& e : entries) {
        if (e->state.load(std::memory_order_acquire) == kReplied) prep(*e, abi::kCmdCommitAndFetch);
      }
    }
    // Replies of the last requests served go back before the thread ends
    // (their fetches are cancelled with the ring).
    io_uring_submit(&ring);
    if (failed && !stopping.load()) give_up();
  }

  // The kernel sends this CPU's requests to this queue and nowhere else: a
  // queue that cannot serve would leave them hanging, so the daemon stops
  // (and unmounts) instead, with the reason in the log.
  void give_up() {
    spdlog::error(
        "io_uring queue {} cannot serve: stopping (mount with --transport dev to avoid "
        "io_uring)",
        qid);
    // As a SIGTERM would: libfuse's handler ends the loop, whose threads
    // sleep in read(2) and would not see fuse_session_exit alone.
    fuse_session_exit(impl->se);
    kill(getpid(), SIGTERM);
  }
};

void UringTransport::Impl::start_rings(size_t payload_cap) {
  std::lock_guard lock(mu);
  if (started.exchange(true)) return;
  const unsigned n = possible_cpus();
  for (unsigned q = 0; q < n; ++q) {
    auto queue = std::make_unique<Queue>();
    queue->impl = this;
    queue->qid = q;
    queue->payload_cap = payload_cap;
    queue->wake_fd = eventfd(0, EFD_CLOEXEC);
    io_uring_params p{};
    p.flags = IORING_SETUP_SQE128;
    int rc = queue->wake_fd < 0 ? -errno : io_uring_queue_init_params(depth + 1, &queue->ring, &p);
    if (rc < 0) {
      failure = fmt::format("io_uring setup: {}", std::strerror(-rc));
      break;
    }
    queue->ring_ok = true;
    for (unsigned i = 0; i < depth; ++i) {
      auto e = std::make_unique<Entry>();
      e->queue = queue.get();
      e->payload_cap = payload_cap;
      void* h = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      void* a = mmap(nullptr, 4096 + payload_cap, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (h == MAP_FAILED || a == MAP_FAILED) {
        if (h != MAP_FAILED) munmap(h, 4096);
        if (a != MAP_FAILED) munmap(a, 4096 + payload_cap);
        failure = "io_uring buffers: out of memory";
        break;
      }
      e->header = static_cast<abi::ReqHeader*>(h);
      e->area = static_cast<char*>(a);
      e->payload = e->area + 4096;
      e->iov[0] = {e->header, sizeof(abi::ReqHeader)};
      e->iov[1] = {e->payload, payload_cap};
      queue->entries.push_back(std::move(e));
    }
    if (!failure.empty()) {
      queues.push_back(std::move(queue));
      break;
    }
    queues.push_back(std::move(queue));
  }
  if (!failure.empty()) {
    spdlog::warn("FUSE over io_uring not started ({}): requests stay on /dev/fuse", failure);
    return;
  }
  for (auto& q : queues) {
    Queue* raw = q.get();
    q->thread = std::thread([raw] { raw->run(); });
  }
  spdlog::info("transport: FUSE over io_uring, {} queues x {} entries (one thread per CPU)",
               queues.size(), depth);
}

Entry* UringTransport::Impl::find(uint64_t unique) {
  if (Entry* e = tl_entry; e != nullptr && e->unique.load(std::memory_order_relaxed) == unique)
    return e;
  // A reply from another thread than the ring's: look for its entry.
  std::lock_guard lock(mu);
  for (auto& q : queues) {
    for (auto& e : q->entries) {
      if (e->state.load(std::memory_order_acquire) == kProcessing &&
          e->unique.load(std::memory_order_relaxed) == unique)
        return e.get();
    }
  }
  return nullptr;
}

ssize_t UringTransport::Impl::reply(Entry& e, const iovec* iov, int count) {
  auto* out = static_cast<const fuse_out_header*>(iov[0].iov_base);
  size_t total = 0;
  for (int i = 1; i < count; ++i) total += iov[i].iov_len;
  fuse_out_header head = *out;
  if (total > e.payload_cap) {
    spdlog::error("io_uring: a reply of {} bytes does not fit the {}-byte buffer", total,
                  e.payload_cap);
    head.error = -EIO;
    total = 0;
  } else {
    size_t at = 0;
    for (int i = 1; i < count; ++i) {
      // memmove: a reply may point into the request it answers.
      std::memmove(e.payload + at, iov[i].iov_base, iov[i].iov_len);
      at += iov[i].iov_len;
    }
  }
  head.len = static_cast<uint32_t>(sizeof(fuse_out_header) + total);
  std::memcpy(e.header->in_out, &head, sizeof(head));
  e.header->ring_ent_in_out.payload_sz = static_cast<uint32_t>(total);
  e.state.store(kReplied, std::memory_order_release);
  if (tl_entry != &e) e.queue->wake();  // the ring's thread submits the commit
  return static_cast<ssize_t>(sizeof(fuse_out_header) + total);
}

void UringTransport::Impl::stop() {
  std::vector<std::unique_ptr<Queue>> gone;
  {
    std::lock_guard lock(mu);
    for (auto& q : queues) {
      q->stopping.store(true);
      if (q->thread.joinable()) q->wake();
    }
    gone = std::move(queues);
    queues.clear();
  }
  for (auto& q : gone) {
    if (q->thread.joinable()) q->thread.join();
    if (q->ring_ok) io_uring_queue_exit(&q->ring);
  }
  std::lock_guard lock(mu);
  if (fd >= 0) close(fd);
  fd = -1;
}

namespace {

ssize_t hook_read(int fd, void* buf, size_t len, void*) {
  ssize_t n = ::read(fd, buf, len);
  UringTransport::Impl* impl = g_impl.load(std::memory_order_acquire);
  if (impl == nullptr || n < static_cast<ssize_t>(sizeof(fuse_in_header) + sizeof(fuse_init_in)))
    return n;
  const auto* in = static_cast<const fuse_in_header*>(buf);
  if (in->opcode != FUSE_INIT) return n;
  const auto* init = reinterpret_cast<const fuse_init_in*>(in + 1);
  const bool ext = (init->flags & FUSE_INIT_EXT) != 0;
  impl->kernel_offers.store(ext && (init->flags2 & abi::kOverIoUringFlags2) != 0);
  impl->init_unique.store(in->unique);
  impl->init_seen.store(true);
  return n;
}

ssize_t hook_writev(int fd, iovec* iov, int count, void*) {
  UringTransport::Impl* impl = g_impl.load(std::memory_order_acquire);
  const auto* out = static_cast<const fuse_out_header*>(iov[0].iov_base);
  if (impl == nullptr || out->unique == 0) return ::writev(fd, iov, count);  // notifications
  if (Entry* e = impl->find(out->unique)) return impl->reply(*e, iov, count);
  size_t payload_cap = 0;
  const bool is_init = impl->init_seen.load() && out->unique == impl->init_unique.load();
  const bool init_reply = is_init && out->error == 0 && impl->kernel_offers.load() && count >= 2 &&
                          iov[1].iov_len >= sizeof(fuse_init_out);
  if (is_init && !init_reply) {
    spdlog::info("transport: /dev/fuse (the kernel did not offer FUSE over io_uring at INIT)");
  }
  if (init_reply) {
    auto* init = static_cast<fuse_init_out*>(iov[1].iov_base);
    init->flags |= FUSE_INIT_EXT;
    init->flags2 |= abi::kOverIoUringFlags2;
    // The kernel refuses a ring whose payload buffer is smaller than the
    // largest request or reply it may carry.
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    payload_cap = std::max<size_t>({8192, init->max_write, size_t{init->max_pages} * page});
  }
  ssize_t n = ::writev(fd, iov, count);
  // The kernel has taken INIT (it does so in this write): rings may register.
  if (init_reply && n >= 0) impl->start_rings(payload_cap);
  return n;
}

}  // namespace

UringTransport::UringTransport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

UringTransport::~UringTransport() {
  stop();
  g_impl.store(nullptr);
}

Result<std::unique_ptr<UringTransport>> UringTransport::install(fuse_session* se, unsigned depth) {
  auto impl = std::make_unique<Impl>();
  impl->se = se;
  impl->fd = fcntl(fuse_session_fd(se), F_DUPFD_CLOEXEC, 0);
  if (impl->fd < 0) return Error(Errc::io, fmt::format("dup /dev/fuse: {}", std::strerror(errno)));
  impl->depth = depth;
  impl->io.read = hook_read;
  impl->io.writev = hook_writev;
  Impl* expected = nullptr;
  if (!g_impl.compare_exchange_strong(expected, impl.get())) {
    close(impl->fd);
    return Error(Errc::invalid, "one io_uring transport per process");
  }
  // libfuse keeps reading and writing its own descriptor through the hooks.
  if (int rc = fuse_session_custom_io(se, &impl->io, fuse_session_fd(se)); rc != 0) {
    g_impl.store(nullptr);
    close(impl->fd);
    return Error(Errc::io, fmt::format("fuse_session_custom_io: {}", std::strerror(-rc)));
  }
  return std::unique_ptr<UringTransport>(new UringTransport(std::move(impl)));
}

void UringTransport::stop() { impl_->stop(); }

bool UringTransport::running() const {
  std::lock_guard lock(impl_->mu);
  return !impl_->queues.empty() && impl_->registered.load() == impl_->queues.size();
}

uint64_t UringTransport::served() const { return impl_->served.load(); }

std::string UringTransport::describe() const {
  std::lock_guard lock(impl_->mu);
  if (!impl_->failure.empty()) return "/dev/fuse (io_uring failed: " + impl_->failure + ")";
  if (impl_->queues.empty()) return "/dev/fuse (the kernel did not take io_uring at INIT)";
  return fmt::format("io_uring, {} queues x {} entries", impl_->queues.size(), impl_->depth);
}

}  // namespace gcfs::fusefs
