// File data: read, begin_write, commit, and apply_content, the one place that
// turns a new content (size, surviving base bytes, dirty chunks) into batch
// operations on the inline data or the `C` chunks and `M` chunk map.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <numeric>

#include "store/codec/chunk.hpp"
#include "store/local/keys.hpp"
#include "store/local/rocks_store.hpp"
#include "store/pending_write.hpp"

namespace gcfs {

namespace {

bool all_zero(std::string_view s) {
  return s.empty() || (s[0] == 0 && std::memcmp(s.data(), s.data() + 1, s.size() - 1) == 0);
}

// Copies the part of `raw` (the bytes of the file from `raw_start`) that
// overlaps `dst` (the bytes from `dst_start`); the rest of dst is zeroed.
void copy_overlap(std::string_view raw, uint64_t raw_start, std::span<char> dst,
                  uint64_t dst_start) {
  std::memset(dst.data(), 0, dst.size());
  const uint64_t lo = std::max(raw_start, dst_start);
  const uint64_t hi = std::min(raw_start + raw.size(), dst_start + dst.size());
  if (lo < hi) std::memcpy(dst.data() + (lo - dst_start), raw.data() + (lo - raw_start), hi - lo);
}

}  // namespace

Result<size_t> RocksStore::read(NsId id, Ino ino, uint64_t off, std::span<char> out) {
  auto state = ns_state(id);
  if (!state) return state.status();
  NsState& ns = **state;
  SnapshotGuard snap(db_);  // inode and chunks from one committed version
  auto rec = read_inode(ns, snap.get(), ino);
  if (!rec) return rec.error();
  if (rec->is_dir()) return Error(Errc::is_dir, "cannot read a directory");
  if (!rec->is_reg()) return Error(Errc::invalid, "not a regular file");
  if (off >= rec->size || out.empty()) return size_t{0};
  const auto dst = out.first(static_cast<size_t>(std::min<uint64_t>(out.size(), rec->size - off)));
  if (rec->chunked) {
    if (auto s = read_chunks(ns, snap.get(), ino, off, dst); !s) return s;
    return dst.size();
  }
  std::string raw;
  if (!rec->data.empty()) {
    auto dec = decode_chunk(rec->data, ino, 0, chunk_size_);
    if (!dec) {
      spdlog::error("namespace {}: {}", id, dec.error().message());
      return dec.error();
    }
    raw = std::move(dec).value();
  }
  copy_overlap(raw, 0, dst, off);
  return dst.size();
}

Status RocksStore::read_chunks(NsState& ns, const rocksdb::Snapshot* snap, Ino ino, uint64_t off,
                               std::span<char> dst) {
  const uint64_t first = off / chunk_size_;
  const uint64_t last = (off + dst.size() - 1) / chunk_size_;
  const size_t count = static_cast<size_t>(last - first + 1);
  std::vector<std::string> key_bytes(count);
  std::vector<rocksdb::Slice> key_slices(count);
  for (size_t i = 0; i < count; ++i) {
    key_bytes[i] = keys::chunk(ino, first + i);
    key_slices[i] = key_bytes[i];
  }
  std::vector<rocksdb::PinnableSlice> values(count);
  std::vector<rocksdb::Status> statuses(count);
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  // The kernel's page cache keeps file data; the block cache is for metadata.
  ro.fill_cache = false;
  db_->MultiGet(ro, ns.cf, count, key_slices.data(), values.data(), statuses.data(), true);
  for (size_t i = 0; i < count; ++i) {
    const uint64_t idx = first + i;
    const uint64_t chunk_start = idx * chunk_size_;
    const uint64_t lo = std::max(off, chunk_start);
    const uint64_t hi = std::min(off + dst.size(), chunk_start + chunk_size_);
    auto piece = dst.subspan(static_cast<size_t>(lo - off), static_cast<size_t>(hi - lo));
    if (statuses[i].IsNotFound()) {  // a hole
      std::memset(piece.data(), 0, piece.size());
      continue;
    }
    if (!statuses[i].ok()) return map_error(statuses[i], fmt::format("reading inode {}", ino));
    auto raw = decode_chunk(values[i].ToStringView(), ino, idx, chunk_size_);
    if (!raw) {
      spdlog::error("namespace {}: {}", ns.id, raw.error().message());
      return raw.status();
    }
    copy_overlap(*raw, chunk_start, piece, lo);  // past the chunk's raw bytes: zeros
  }
  return Status::ok();
}

Result<std::unique_ptr<PendingWrite>> RocksStore::begin_write(NsId id, Ino ino) {
  auto attr = getattr(id, ino);
  if (!attr) return attr.status();
  if (S_ISDIR(attr->mode)) return Error(Errc::is_dir, "cannot write a directory");
  if (!S_ISREG(attr->mode)) return Error(Errc::invalid, "not a regular file");
  return std::make_unique<PendingWrite>(*this, id, ino, attr->size);
}

ContentChange RocksStore::encode_pending(const PendingWrite& pw) const {
  ContentChange cc;
  cc.size = pw.size();
  cc.base_valid = pw.base_valid();
  for (const auto& [idx, bytes] : pw.chunks()) {
    const uint64_t start = idx * chunk_size_;
    if (start >= cc.size) continue;
    std::string_view raw(bytes.data(), std::min<uint64_t>(bytes.size(), cc.size - start));
    // An all-zero chunk is stored as a hole: it reads the same.
    cc.encoded.emplace(idx, all_zero(raw) ? std::string() : encode_chunk(pw.ino(), idx, raw));
  }
  return cc;
}

Result<Attr> RocksStore::commit(PendingWrite& pw, Timespec now) {
  if (pw.size() > opts_.max_file_size) {
    return Error(Errc::too_big, fmt::format("{} bytes is over the file size limit", pw.size()));
  }
  if (!pw.dirty()) return getattr(pw.ns(), pw.ino());  // nothing to commit
  const ContentChange cc = encode_pending(pw);         // LZ4 before taking the lock
  return mutate(pw.ns(), [&](Txn& t, NsState&) -> Result<Attr> {
    auto got = t.inode(pw.ino());
    if (!got) return got.status();
    InodeRecord& rec = **got;
    if (!rec.is_reg()) return Error(Errc::invalid, "not a regular file");
    if (auto s = apply_content(t, pw.ino(), rec, cc); !s) return s;
    rec.mtime = pw.mtime().value_or(now);
    rec.ctime = now;
    t.mark(pw.ino());
    if (auto s = t.write("committing file data"); !s) return s;
    pw.committed();
    return rec.to_attr(pw.ino());
  });
}

Status RocksStore::sync() {
  auto s = db_->FlushWAL(true);
  if (!s.ok()) return map_error(s, "syncing the WAL");
  return Status::ok();
}

std::string RocksStore::encode_map(const std::vector<uint32_t>& map) {
  std::string v;
  v.reserve(map.size() * 4);
  for (uint32_t n : map) keys::put_u32le(v, n);
  return v;
}

Result<std::vector<uint32_t>> RocksStore::load_map(Txn& t, Ino ino) {
  auto v = t.get(keys::chunk_map(ino));
  if (!v) return v.status();
  std::vector<uint32_t> map;
  if (!v->has_value()) return map;
  const std::string& bytes = **v;
  if (bytes.size() % 4 != 0) {
    return Error(Errc::corrupt, fmt::format("chunk map of inode {} garbled", ino));
  }
  map.resize(bytes.size() / 4);
  for (size_t i = 0; i < map.size(); ++i) map[i] = keys::get_u32le(bytes.data() + 4 * i);
  return map;
}

Result<std::string> RocksStore::current_chunk0(Txn& t, Ino ino, const InodeRecord& rec) {
  std::string value = rec.data;
  if (rec.chunked) {
    auto v = t.get(keys::chunk(ino, 0));
    if (!v) return v.status();
    value = v->value_or(std::string());
  }
  if (value.empty()) return std::string();
  auto raw = decode_chunk(value, ino, 0, chunk_size_);
  if (!raw) spdlog::error("namespace {}: {}", t.ns().id, raw.error().message());
  return raw;
}

Status RocksStore::apply_content(Txn& t, Ino ino, InodeRecord& rec, const ContentChange& cc) {
  const uint64_t old_size = rec.size;
  const uint64_t old_stored = rec.stored;
  std::vector<uint32_t> map;
  if (rec.chunked) {
    auto m = load_map(t, ino);
    if (!m) return m.status();
    map = std::move(m).value();
  }
  // A stored map is never empty (it is deleted instead), so this is the
  // size of the `M` value being replaced, 0 when there is none.
  const size_t old_map_value = map.size() * 4;
  constexpr size_t kChunkKey = 1 + 8 + 8, kMapKey = 1 + 8;
  // Chunk `idx` (stored size map[idx], 0 = none) is deleted or replaced.
  auto drop_chunk_bytes = [&](uint64_t idx) {
    if (idx < map.size() && map[idx] != 0) t.deltas.del_kv(kChunkKey, map[idx]);
  };
  // Committed bytes of chunk 0 that survive when chunk 0 is not rewritten.
  const auto dirty0 = cc.encoded.find(0);
  const uint64_t keep0 = std::min({cc.base_valid, cc.size, uint64_t{chunk_size_}});
  auto surviving_chunk0 = [&]() -> Result<std::string> {
    if (dirty0 != cc.encoded.end() || keep0 == 0) return std::string();
    auto raw = current_chunk0(t, ino, rec);
    if (!raw) return raw;
    if (raw->size() > keep0) raw->resize(keep0);
    return all_zero(*raw) ? std::string() : encode_chunk(ino, 0, *raw);
  };

  if (cc.size <= inline_max_) {
    std::string data;
    if (dirty0 != cc.encoded.end()) {
      data = dirty0->second;
    } else {
      auto kept = surviving_chunk0();
      if (!kept) return kept.status();
      data = std::move(kept).value();
    }
    for (uint64_t idx = 0; idx < map.size(); ++idx) {
      if (map[idx] != 0) t.batch().Delete(t.cf(), keys::chunk(ino, idx));
      drop_chunk_bytes(idx);
    }
    if (rec.chunked) t.batch().Delete(t.cf(), keys::chunk_map(ino));
    if (old_map_value != 0) t.deltas.del_kv(kMapKey, old_map_value);
    t.data_bytes += data.size();
    rec.data = std::move(data);
    rec.chunked = false;
    rec.stored = rec.data.size();
  } else {
    if (!rec.chunked) {
      // Inline content moves to chunk 0 unless rewritten or cut away.
      auto kept = surviving_chunk0();
      if (!kept) return kept.status();
      if (!kept->empty()) {
        t.batch().Put(t.cf(), keys::chunk(ino, 0), *kept);
        t.deltas.put_kv(kChunkKey, kept->size());
        t.data_bytes += kept->size();
        map.assign(1, static_cast<uint32_t>(kept->size()));
      }
      rec.data.clear();
    }
    const uint64_t nchunks = (cc.size + chunk_size_ - 1) / chunk_size_;
    for (uint64_t idx = 0; idx < map.size(); ++idx) {
      if (map[idx] == 0) continue;
      // Past the end, or cut by a truncate (now a hole) and not rewritten.
      const bool gone =
          idx >= nchunks || (!cc.encoded.contains(idx) && idx * chunk_size_ >= cc.base_valid);
      if (gone) {
        t.batch().Delete(t.cf(), keys::chunk(ino, idx));
        drop_chunk_bytes(idx);
        map[idx] = 0;
      }
    }
    for (const auto& [idx, value] : cc.encoded) {
      if (idx >= map.size()) map.resize(idx + 1, 0);
      drop_chunk_bytes(idx);
      if (value.empty()) {
        if (map[idx] != 0) t.batch().Delete(t.cf(), keys::chunk(ino, idx));
        map[idx] = 0;
      } else {
        t.batch().Put(t.cf(), keys::chunk(ino, idx), value);
        t.deltas.put_kv(kChunkKey, value.size());
        t.data_bytes += value.size();
        map[idx] = static_cast<uint32_t>(value.size());
      }
    }
    if (map.size() > nchunks) map.resize(nchunks);
    while (!map.empty() && map.back() == 0) map.pop_back();
    if (old_map_value != 0) t.deltas.del_kv(kMapKey, old_map_value);
    if (map.empty()) {
      t.batch().Delete(t.cf(), keys::chunk_map(ino));
    } else {
      t.batch().Put(t.cf(), keys::chunk_map(ino), encode_map(map));
      t.deltas.put_kv(kMapKey, map.size() * 4);
    }
    rec.chunked = true;
    rec.stored = std::accumulate(map.begin(), map.end(), uint64_t{0});
  }
  rec.size = cc.size;
  t.deltas.logical += static_cast<int64_t>(cc.size) - static_cast<int64_t>(old_size);
  t.deltas.stored += static_cast<int64_t>(rec.stored) - static_cast<int64_t>(old_stored);
  return Status::ok();
}

}  // namespace gcfs
