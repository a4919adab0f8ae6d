#include "tools/cacheprog/direct_backend.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "store/gocache/layout.hpp"
#include "store/gocache/store_cache.hpp"

namespace gcfs::cacheprog {

namespace {

constexpr size_t kPiece = size_t{1} << 20;

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Result<std::unique_ptr<DirectBackend>> DirectBackend::open(const std::string& store_dir,
                                                           const std::string& ns,
                                                           Materializer& files) {
  StoreOptions so;
  so.path = store_dir;
  auto store = open_rocks_store(so);
  if (!store) return store.status();
  return std::unique_ptr<DirectBackend>(new DirectBackend(std::move(*store), ns, files));
}

DirectBackend::~DirectBackend() { release(); }

void DirectBackend::release() {
  if (!ns_ || uses_.empty()) return;
  // Best effort: a lost use only makes an entry look older to eviction.
  if (auto s = store_->record_uses(*ns_, uses_); !s) {
    std::fprintf(stderr, "gocachectl cacheprog: warning: recording uses: %s\n",
                 s.error().message().c_str());
  }
  uses_.clear();
}

Result<std::string> DirectBackend::materialize(NsId ns, Ino ino, const gocache::GoHash& output,
                                               uint64_t size) {
  if (auto p = files_.find(output, size)) return *p;
  auto file = files_.create(output);
  if (!file) return file.status();
  std::string piece(kPiece, '\0');
  for (uint64_t off = 0; off < size;) {
    auto n = store_->read(ns, ino, off, std::span<char>(piece.data(), piece.size()));
    if (!n) return n.status();
    if (*n == 0) return Error(Errc::corrupt, "output shorter than its entry says");
    if (auto s = (*file)->write(std::string_view(piece.data(), *n)); !s) return s;
    off += *n;
  }
  return (*file)->commit();
}

Result<std::optional<Hit>> DirectBackend::get(const gocache::GoHash& action) {
  using Miss = std::optional<Hit>;
  if (!ns_) {
    auto ns = store_->find_namespace(ns_name_);
    if (!ns) return ns.code() == Errc::not_found ? Result<Miss>(Miss()) : Result<Miss>(ns.status());
    ns_ = ns->id;
  }
  gocache::StoreCache cache(*store_);
  auto hit = cache.get(*ns_, action);
  if (!hit) return hit.status();
  if (!*hit) return Miss();
  const gocache::CacheHit& h = **hit;
  auto path = materialize(*ns_, h.output_ino, h.entry.output, h.entry.size);
  if (!path) return path.status();
  const int64_t now = now_ns();
  uses_.push_back({h.action_ino, h.action_dir, gocache::action_name(action), now});
  uses_.push_back({h.output_ino, h.output_dir, gocache::output_name(h.entry.output), now});
  return Miss(Hit{h.entry.output, h.entry.size, h.entry.time_ns, *path});
}

Result<std::string> DirectBackend::put(const gocache::GoHash& action, const gocache::GoHash& output,
                                       uint64_t size, gocache::BodyReader& body) {
  auto ns = gocache::cache_namespace(*store_, ns_name_, true, {::getuid(), ::getgid()});
  if (!ns) return ns.status();
  ns_ = ns->id;
  std::optional<std::string> have = files_.find(output, size);
  std::unique_ptr<OutputFile> file;
  if (!have) {
    auto f = files_.create(output);
    if (!f) return f.status();
    file = std::move(*f);
  }
  gocache::BodyTee tee;
  if (file) tee = [&](std::string_view bytes) { return file->write(bytes); };
  gocache::StoreCache cache(*store_);
  auto put = cache.put(*ns_, action, output, size, body, tee);
  if (!put) return put.status();
  if (have) return *have;
  return file->commit();
}

}  // namespace gcfs::cacheprog
