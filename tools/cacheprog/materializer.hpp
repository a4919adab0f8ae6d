// Files for DiskPath when no mount shows the output: the go command opens
// (and the linker maps) the path a get or put returns, so the bytes must be
// a real file. Kept under a per-user directory, by output ID
// (DIR/XX/<output hex>-d, mode 0644; DIR mode 0700), shared by every helper
// of that user: an output is its content, whatever the store or namespace.
//
// Written to a temporary name and renamed into place once its SHA-256 is
// the output ID, so a file there is always whole and right. Bounded by
// trim(): past max_bytes, the least recently used files go first, but never
// one used within keep_used (a go command still running may open it); a
// use marks a file by its mtime (at most every 10 minutes). Temporary files
// of killed helpers go after keep_used too.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "store/gocache/go_hash.hpp"
#include "store/gocache/sha256.hpp"
#include "store/result.hpp"

namespace gcfs::cacheprog {

struct MaterializeOptions {
  // Default: $XDG_CACHE_HOME/gocachefs/outputs, else ~/.cache/gocachefs/outputs.
  std::string dir;
  // Default: 1 GiB.
  uint64_t max_bytes = uint64_t{1} << 30;
  // Default: 1 h.
  std::chrono::seconds keep_used{3600};
  // How often trim() really scans (it runs at the end of each go command).
  // Default: 10 min.
  std::chrono::seconds trim_every{600};
};

// $XDG_CACHE_HOME/gocachefs/outputs or $HOME/.cache/gocachefs/outputs; ""
// when neither variable is set.
std::string default_materialize_dir();

class OutputFile;

class Materializer {
 public:
  explicit Materializer(MaterializeOptions options) : o_(std::move(options)) {}

  std::string path_of(const gocache::GoHash& output) const;
  // The path when the output is there with `size` bytes (its use noted).
  std::optional<std::string> find(const gocache::GoHash& output, uint64_t size);
  // A new file for `output`: write() its bytes, then commit().
  Result<std::unique_ptr<OutputFile>> create(const gocache::GoHash& output);
  // Frees space past max_bytes (see above); at most every trim_every.
  Status trim();

 private:
  Status ensure_dir(const std::string& dir, mode_t mode);
  MaterializeOptions o_;
};

class OutputFile {
 public:
  OutputFile(int fd, std::string tmp, std::string path, gocache::GoHash output)
      : fd_(fd), tmp_(std::move(tmp)), path_(std::move(path)), output_(output) {}
  ~OutputFile();  // removes the temporary file unless committed
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  Status write(std::string_view bytes);
  // Checks the bytes against the output ID and moves the file into place.
  Result<std::string> commit();

 private:
  int fd_;
  std::string tmp_, path_;
  gocache::GoHash output_;
  gocache::Sha256 sha_;
  bool committed_ = false;
};

}  // namespace gcfs::cacheprog
