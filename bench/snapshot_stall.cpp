// How long a commit waits while a snapshot of its namespace is taken or
// swapped in (issue 11, fault 6). Fills a namespace with --size MB of
// Go-like outputs, then commits small files from a writer thread without
// pause and records each commit's latency; meanwhile the main thread takes
// snapshots (and swaps one in). Prints the max and p99 commit latency while
// the snapshot operation ran, and outside of it for comparison.
//
// Usage: build/bench/snapshot_stall [--size MB] [--rounds N] [--dir PATH]
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "store/pending_write.hpp"
#include "store/snapshots.hpp"
#include "store/store.hpp"

namespace {

using namespace gcfs;
using Clock = std::chrono::steady_clock;

std::string go_like_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = (i % 64 < 24) ? static_cast<char>(rng()) : 'x';
  return s;
}

Ino write_file(Store& store, NsId ns, Ino dir, const std::string& name, const std::string& data) {
  Ino ino = store.mknode(ns, dir, name, S_IFREG | 0644, {}, {}).value().ino;
  auto pw = std::move(store.begin_write(ns, ino).value());
  if (!pw->write(0, data)) std::abort();
  (void)store.commit(*pw, {}).value();
  return ino;
}

struct Sample {
  Clock::time_point start;
  double ms;
};

double pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  int size_mb = 1024;
  int rounds = 3;
  std::string dir = "/tmp/gcfs-snapshot-stall";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--size")) size_mb = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--rounds")) rounds = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--dir")) dir = argv[i + 1];
  }
  std::filesystem::remove_all(dir);
  StoreOptions o;
  o.path = dir;
  auto store = std::move(open_rocks_store(o).value());
  const NsId ns = store->create_namespace("go1.19.8", 0755, {}).value().id;
  const Ino fill_dir = store->mknode(ns, kRootIno, "fill", S_IFDIR | 0755, {}, {}).value().ino;
  const Ino hot_dir = store->mknode(ns, kRootIno, "hot", S_IFDIR | 0755, {}, {}).value().ino;
  std::vector<std::string> blobs;
  for (uint32_t i = 0; i < 16; ++i) blobs.push_back(go_like_bytes(1 << 20, i));
  auto t0 = Clock::now();
  for (int i = 0; i < size_mb; ++i) {
    write_file(*store, ns, fill_dir, "f" + std::to_string(i), blobs[i % blobs.size()]);
  }
  std::printf("filled %d MB in %.1f s\n", size_mb,
              std::chrono::duration<double>(Clock::now() - t0).count());

  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<Sample> samples;
  std::thread writer([&] {
    const std::string small = go_like_bytes(16 << 10, 99);
    uint64_t n = 0;
    std::vector<Sample> local;
    while (!stop.load()) {
      // A swap gives the namespace a new id: follow the name, as a new
      // lookup through the mount does.
      const NsId ns = store->find_namespace("go1.19.8").value().id;
      Ino ino =
          store->mknode(ns, hot_dir, "h" + std::to_string(n++), S_IFREG | 0644, {}, {}).value().ino;
      auto pw = std::move(store->begin_write(ns, ino).value());
      if (!pw->write(0, small)) std::abort();
      auto a = Clock::now();
      (void)store->commit(*pw, {}).value();
      local.push_back({a, std::chrono::duration<double, std::milli>(Clock::now() - a).count()});
    }
    std::lock_guard lock(mu);
    samples = std::move(local);
  });

  struct Window {
    const char* what;
    Clock::time_point from, to;
  };
  std::vector<Window> windows;
  std::this_thread::sleep_for(std::chrono::seconds(2));
  for (int r = 0; r < rounds; ++r) {
    const std::string name = "snap" + std::to_string(r);
    auto a = Clock::now();
    (void)store->create_snapshot(name, "go1.19.8").value();
    auto b = Clock::now();
    windows.push_back({"create", a, b});
    std::this_thread::sleep_for(std::chrono::seconds(1));
    a = Clock::now();
    (void)store->swap_snapshot(name, "go1.19.8").value();
    b = Clock::now();
    windows.push_back({"swap", a, b});
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  stop = true;
  writer.join();

  // A commit counts for a window if it started before the window ended and
  // ended after it began (it overlapped the operation).
  for (const char* what : {"create", "swap"}) {
    std::vector<double> in;
    double op_ms = 0;
    for (const Window& w : windows) {
      if (std::strcmp(w.what, what) != 0) continue;
      op_ms = std::max(op_ms, std::chrono::duration<double, std::milli>(w.to - w.from).count());
      for (const Sample& s : samples) {
        auto end = s.start + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double, std::milli>(s.ms));
        if (s.start < w.to && end > w.from) in.push_back(s.ms);
      }
    }
    std::printf(
        "during snapshot %-6s (longest op %.0f ms): %zu commits, max %.1f ms, p99 %.1f ms\n", what,
        op_ms, in.size(), in.empty() ? 0 : *std::max_element(in.begin(), in.end()), pct(in, 0.99));
  }
  std::vector<double> all;
  for (const Sample& s : samples) all.push_back(s.ms);
  std::printf("all commits: %zu, max %.1f ms, p99 %.1f ms, p50 %.2f ms\n", all.size(),
              all.empty() ? 0 : *std::max_element(all.begin(), all.end()), pct(all, 0.99),
              pct(all, 0.5));
  store.reset();
  std::filesystem::remove_all(dir);
  return 0;
}
