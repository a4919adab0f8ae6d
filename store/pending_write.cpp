// PendingWrite: see pending_write.hpp for the model. Invariants kept here:
//   base_valid_ <= size_;
//   a dirty chunk's string is at most min(chunk_size, size_ - start) long and
//   bytes of the chunk past its string (but inside size_) read as zeros;
//   no dirty chunk starts at or past size_.
#include "store/pending_write.hpp"

#include <algorithm>
#include <cstring>

#include "store/store.hpp"

namespace gcfs {

PendingWrite::PendingWrite(Store& store, NsId ns, Ino ino, uint64_t base_size)
    : store_(store),
      ns_(ns),
      ino_(ino),
      chunk_size_(store.chunk_size()),
      size_(base_size),
      base_valid_(base_size) {}

Result<std::string*> PendingWrite::chunk_for_write(uint64_t idx) {
  auto it = chunks_.find(idx);
  if (it != chunks_.end()) return &it->second;
  std::string bytes;
  const uint64_t start = idx * chunk_size_;
  if (start < base_valid_) {
    const uint64_t n = std::min<uint64_t>(chunk_size_, base_valid_ - start);
    bytes.resize(n);  // a short read (file shrank meanwhile) leaves zeros
    auto got = store_.read(ns_, ino_, start, std::span<char>(bytes.data(), bytes.size()));
    if (!got) return got.status();
  }
  buffered_ += bytes.size();
  return &chunks_.emplace(idx, std::move(bytes)).first->second;
}

Status PendingWrite::write(uint64_t off, std::string_view data) {
  if (data.empty()) return Status::ok();
  if (off > UINT64_MAX - data.size()) return Error(Errc::too_big, "write past 2^64 bytes");
  const uint64_t end = off + data.size();
  uint64_t pos = off;
  while (pos < end) {
    const uint64_t idx = pos / chunk_size_;
    const uint64_t start = idx * chunk_size_;
    const uint64_t in_chunk = pos - start;
    const uint64_t n = std::min<uint64_t>(end - pos, chunk_size_ - in_chunk);
    auto chunk = chunk_for_write(idx);
    if (!chunk) return chunk.status();
    std::string& s = **chunk;
    if (s.size() < in_chunk + n) {
      buffered_ += in_chunk + n - s.size();
      s.resize(in_chunk + n);  // a gap before `in_chunk` reads as zeros, as it did
    }
    std::memcpy(s.data() + in_chunk, data.data() + (pos - off), n);
    pos += n;
  }
  size_ = std::max(size_, end);
  dirty_ = true;
  mtime_.reset();
  return Status::ok();
}

Status PendingWrite::truncate(uint64_t new_size) {
  if (new_size == size_) return Status::ok();
  if (new_size < size_) {
    const uint64_t idx = new_size / chunk_size_;
    // The committed chunk the cut goes through keeps its bytes below the cut:
    // load it before base_valid_ drops past it.
    if (new_size < base_valid_ && new_size % chunk_size_ != 0) {
      auto chunk = chunk_for_write(idx);
      if (!chunk) return chunk.status();
    }
    base_valid_ = std::min(base_valid_, new_size);
    // Drop dirty chunks wholly past the new end, trim the straddling one.
    const uint64_t first_gone = (new_size + chunk_size_ - 1) / chunk_size_;
    for (auto it = chunks_.lower_bound(first_gone); it != chunks_.end();) {
      buffered_ -= it->second.size();
      it = chunks_.erase(it);
    }
    if (new_size % chunk_size_ != 0) {
      auto it = chunks_.find(idx);
      const uint64_t keep = new_size - idx * chunk_size_;
      if (it != chunks_.end() && it->second.size() > keep) {
        buffered_ -= it->second.size() - keep;
        it->second.resize(keep);
      }
    }
  }
  // Growing: the new tail reads as zeros (base_valid_ <= old size_).
  size_ = new_size;
  dirty_ = true;
  mtime_.reset();
  return Status::ok();
}

Result<size_t> PendingWrite::read(uint64_t off, std::span<char> out) {
  if (off >= size_ || out.empty()) return size_t{0};
  const uint64_t end = off + std::min<uint64_t>(out.size(), size_ - off);
  uint64_t pos = off;
  while (pos < end) {
    const uint64_t idx = pos / chunk_size_;
    char* dst = out.data() + (pos - off);
    auto it = chunks_.lower_bound(idx);
    if (it != chunks_.end() && it->first == idx) {
      // Dirty chunk: its bytes, then zeros up to the chunk end.
      const uint64_t in_chunk = pos - idx * chunk_size_;
      const uint64_t n = std::min<uint64_t>(end - pos, chunk_size_ - in_chunk);
      const std::string& s = it->second;
      const uint64_t have = in_chunk < s.size() ? std::min<uint64_t>(n, s.size() - in_chunk) : 0;
      if (have > 0) std::memcpy(dst, s.data() + in_chunk, have);
      std::memset(dst + have, 0, n - have);
      pos += n;
      continue;
    }
    // A run of clean chunks up to the next dirty one: committed bytes below
    // base_valid_, zeros after.
    uint64_t run_end = end;
    if (it != chunks_.end()) run_end = std::min(run_end, it->first * chunk_size_);
    const uint64_t base_end = std::min(run_end, std::max(pos, base_valid_));
    size_t got = 0;
    if (base_end > pos) {
      auto r = store_.read(ns_, ino_, pos, std::span<char>(dst, base_end - pos));
      if (!r) return r.status();
      got = *r;
    }
    std::memset(dst + got, 0, run_end - pos - got);
    pos = run_end;
  }
  return static_cast<size_t>(end - off);
}

void PendingWrite::committed() {
  chunks_.clear();
  base_valid_ = size_;
  dirty_ = false;
  buffered_ = 0;
  mtime_.reset();
}

}  // namespace gcfs
