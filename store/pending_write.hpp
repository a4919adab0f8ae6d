// Buffered, not yet committed changes to one regular file.
//
// The Go command writes a cache file sequentially and closes it; a reader or
// a crash must never see a file mixing two writes. So writes collect here
// (per inode, shared by all handles writing it) and become the file's content
// in one atomic batch at Store::commit (flush/fsync/release).
//
// Model: the file is a sequence of chunks of Store::chunk_size() bytes. Dirty
// chunks hold their full new bytes (up to the chunk end or EOF). Committed
// ("base") bytes at or beyond `base_valid()` are gone (a truncate cut them)
// and read as zeros. All other bytes come from the committed content.
//
// Not thread-safe: the caller serializes access per inode.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "store/result.hpp"
#include "store/types.hpp"

namespace gcfs {

class Store;

class PendingWrite {
 public:
  // `base_size`: the committed size of the file when the write began.
  PendingWrite(Store& store, NsId ns, Ino ino, uint64_t base_size);

  NsId ns() const { return ns_; }
  Ino ino() const { return ino_; }
  uint64_t size() const { return size_; }
  uint64_t base_valid() const { return base_valid_; }
  bool dirty() const { return dirty_; }
  const std::map<uint64_t, std::string>& chunks() const { return chunks_; }
  // Bytes buffered in memory.
  uint64_t buffered_bytes() const { return buffered_; }

  Status write(uint64_t off, std::string_view data);
  Status truncate(uint64_t new_size);
  // An mtime set explicitly while the file is being written: the commit keeps
  // it instead of stamping its own time, unless the content changes after.
  void set_mtime(Timespec mtime) { mtime_ = mtime; }
  const std::optional<Timespec>& mtime() const { return mtime_; }
  // Reads the file as it would be after commit.
  Result<size_t> read(uint64_t off, std::span<char> out);

  // Called by Store::commit once the batch is durable: the pending content
  // is now the base.
  void committed();

 private:
  // Makes chunk `idx` dirty, loading its committed bytes (clipped to
  // base_valid_) on first touch.
  Result<std::string*> chunk_for_write(uint64_t idx);

  Store& store_;
  NsId ns_;
  Ino ino_;
  uint32_t chunk_size_;
  uint64_t size_;
  uint64_t base_valid_;
  bool dirty_ = false;
  uint64_t buffered_ = 0;
  std::optional<Timespec> mtime_;
  std::map<uint64_t, std::string> chunks_;
};

}  // namespace gcfs
