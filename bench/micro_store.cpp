// Micro-benchmarks of the store without FUSE: where the time of a lookup, a
// read or a commit goes when a ratio in bench/bench.py is missed.
#include <benchmark/benchmark.h>
#include <sys/stat.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "store/codec/chunk.hpp"
#include "store/pending_write.hpp"
#include "store/space.hpp"
#include "store/store.hpp"

namespace {

using namespace gcfs;

std::string go_like_bytes(size_t n, uint32_t seed) {
  // Go object files compress about 2.5x: mix random bytes with repetition.
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = (i % 64 < 24) ? static_cast<char>(rng()) : 'x';
  return s;
}

struct Fixture {
  std::filesystem::path dir;
  std::unique_ptr<Store> store;
  NsId ns = 0;
  std::vector<Ino> dirs;

  Fixture() {
    dir = std::filesystem::temp_directory_path() / ("gcfs-micro-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    StoreOptions o;
    o.path = dir.string();
    store = std::move(open_rocks_store(o).value());
    ns = store->create_namespace("go1.19.8", 0755, {}).value().id;
    for (int i = 0; i < 256; ++i) {
      char name[3];
      std::snprintf(name, sizeof name, "%02x", i);
      dirs.push_back(store->mknode(ns, kRootIno, name, S_IFDIR | 0755, {}, {}).value().ino);
    }
  }
  ~Fixture() {
    store.reset();
    std::filesystem::remove_all(dir);
  }
  // Benchmark functions run several times: names get a unique suffix.
  Ino make_file(Ino parent, const std::string& name, const std::string& content) {
    static int serial = 0;
    std::string unique = name + "." + std::to_string(serial++);
    Ino ino = store->mknode(ns, parent, unique, S_IFREG | 0644, {}, {}).value().ino;
    auto pw = std::move(store->begin_write(ns, ino).value());
    (void)pw->write(0, content);
    (void)store->commit(*pw, {}).value();
    return ino;
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

void BM_Lookup(benchmark::State& state) {
  Fixture& f = fixture();
  const int n = 10000;
  static bool filled = false;
  if (!filled) {
    for (int i = 0; i < n; ++i) {
      f.store->mknode(f.ns, f.dirs[i % 256], "entry" + std::to_string(i), S_IFREG | 0644, {}, {})
          .value();
    }
    filled = true;
  }
  int i = 0;
  for (auto _ : state) {
    auto a = f.store->lookup(f.ns, f.dirs[i % 256], "entry" + std::to_string(i));
    benchmark::DoNotOptimize(a);
    i = (i + 7919) % n;
  }
}
BENCHMARK(BM_Lookup);

void BM_LookupMissing(benchmark::State& state) {
  Fixture& f = fixture();
  int i = 0;
  for (auto _ : state) {
    auto a = f.store->lookup(f.ns, f.dirs[i % 256], "missing" + std::to_string(i));
    benchmark::DoNotOptimize(a);
    ++i;
  }
}
BENCHMARK(BM_LookupMissing);

// Lookup + inline read of a Go action entry in a namespace of N entries,
// settled (flushed and compacted, as after a remount): the cost of a kernel
// cache miss must not grow with N (bench.py's scale case, without FUSE).
void BM_LookupScale(benchmark::State& state) {
  Fixture& f = fixture();
  const int n = static_cast<int>(state.range(0));
  const std::string ns_name = "scale" + std::to_string(n);
  auto ns = f.store->find_namespace(ns_name);
  std::vector<Ino> dirs;
  if (!ns) {
    ns = f.store->create_namespace(ns_name, 0755, {});
    for (int i = 0; i < 256; ++i) {
      char name[3];
      std::snprintf(name, sizeof name, "%02x", i);
      dirs.push_back(f.store->mknode(ns->id, kRootIno, name, S_IFDIR | 0755, {}, {}).value().ino);
    }
    const std::string body(175, 'v');
    for (int i = 0; i < n; ++i) {
      Ino ino = f.store
                    ->mknode(ns->id, dirs[i % 256], "e" + std::to_string(i) + "-a", S_IFREG | 0644,
                             {}, {})
                    .value()
                    .ino;
      auto pw = std::move(f.store->begin_write(ns->id, ino).value());
      (void)pw->write(0, body);
      (void)f.store->commit(*pw, {}).value();
    }
    CompactRequest all;
    all.low_priority = false;
    (void)f.store->compact(ns->id, all);
  } else {
    for (int i = 0; i < 256; ++i) {
      char name[3];
      std::snprintf(name, sizeof name, "%02x", i);
      dirs.push_back(f.store->lookup(ns->id, kRootIno, name).value().ino);
    }
  }
  std::mt19937 rng(5);
  char buf[176];
  for (auto _ : state) {
    int i = static_cast<int>(rng() % static_cast<uint32_t>(n));
    auto a = f.store->lookup(ns->id, dirs[i % 256], "e" + std::to_string(i) + "-a");
    auto r = f.store->read(ns->id, a.value().ino, 0, std::span<char>(buf, sizeof buf));
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_LookupScale)->Arg(10000)->Arg(1000000)->Unit(benchmark::kMicrosecond);

void BM_ReadInline(benchmark::State& state) {
  Fixture& f = fixture();
  Ino ino = f.make_file(f.dirs[1], "inline", std::string(175, 'a'));
  char buf[176];
  for (auto _ : state) {
    auto n = f.store->read(f.ns, ino, 0, std::span<char>(buf, sizeof buf));
    benchmark::DoNotOptimize(n);
  }
}
BENCHMARK(BM_ReadInline);

void BM_ReadChunked(benchmark::State& state) {
  Fixture& f = fixture();
  const size_t size = 8 << 20;
  Ino ino = f.make_file(f.dirs[2], "chunked", go_like_bytes(size, 1));
  std::vector<char> buf(static_cast<size_t>(state.range(0)));
  uint64_t off = 0;
  for (auto _ : state) {
    auto n = f.store->read(f.ns, ino, off, buf);
    benchmark::DoNotOptimize(n);
    off = (off + buf.size()) % size;
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * buf.size()));
}
BENCHMARK(BM_ReadChunked)->Arg(128 << 10)->Arg(1 << 20);

void BM_CommitFile(benchmark::State& state) {
  Fixture& f = fixture();
  const std::string content = go_like_bytes(static_cast<size_t>(state.range(0)), 2);
  int i = 0;
  for (auto _ : state) {
    f.make_file(f.dirs[3 + i % 250], "commit" + std::to_string(i), content);
    ++i;
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * content.size()));
}
BENCHMARK(BM_CommitFile)->Arg(1200)->Arg(64 << 10)->Arg(1 << 20);

void BM_EncodeChunk(benchmark::State& state) {
  const std::string raw = go_like_bytes(128 << 10, 3);
  for (auto _ : state) benchmark::DoNotOptimize(encode_chunk(1, 0, raw));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * raw.size()));
}
BENCHMARK(BM_EncodeChunk);

void BM_DecodeChunk(benchmark::State& state) {
  const std::string raw = go_like_bytes(128 << 10, 4);
  const std::string enc = encode_chunk(1, 0, raw);
  for (auto _ : state) benchmark::DoNotOptimize(decode_chunk(enc, 1, 0));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * raw.size()));
  state.counters["ratio"] = static_cast<double>(raw.size()) / static_cast<double>(enc.size());
}
BENCHMARK(BM_DecodeChunk);

}  // namespace

BENCHMARK_MAIN();
