// The store opened by the helper itself, when no daemon runs: RocksDB locks
// it while open, so the helper holds it only while the go command is asking
// (router.hpp lets go of it when the go command goes quiet). Disk paths are
// materialized files (materializer.hpp): no mount shows this store.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "store/store.hpp"
#include "tools/cacheprog/backend.hpp"
#include "tools/cacheprog/materializer.hpp"

namespace gcfs::cacheprog {

class DirectBackend final : public Backend {
 public:
  // busy when another process holds the store.
  static Result<std::unique_ptr<DirectBackend>> open(const std::string& store_dir,
                                                     const std::string& ns, Materializer& files);
  ~DirectBackend() override;

  Result<std::optional<Hit>> get(const gocache::GoHash& action) override;
  Result<std::string> put(const gocache::GoHash& action, const gocache::GoHash& output,
                          uint64_t size, gocache::BodyReader& body) override;
  void release() override;

 private:
  DirectBackend(std::unique_ptr<Store> store, std::string ns, Materializer& files)
      : store_(std::move(store)), ns_name_(std::move(ns)), files_(files) {}
  Result<std::string> materialize(NsId ns, Ino ino, const gocache::GoHash& output, uint64_t size);

  std::unique_ptr<Store> store_;
  std::string ns_name_;
  std::optional<NsId> ns_;  // once found or created
  Materializer& files_;
  std::vector<FileUse> uses_;  // hits, written to the LRU index at release
};

}  // namespace gcfs::cacheprog
