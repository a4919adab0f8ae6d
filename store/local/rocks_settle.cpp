// Settling (store/space.hpp): file data that stopped changing is rewritten
// with LZ4HC chunk by chunk, each file in one mutation that first checks the
// values it read are still the ones stored, so a writer that got there in
// between wins and the file is left for a later pass. The content, the
// checksums and the chunk map's shape stay; only the stored sizes shrink.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <numeric>

#include "store/codec/chunk.hpp"
#include "store/local/keys.hpp"
#include "store/local/rocks_store.hpp"

namespace gcfs {

namespace {

// Chunks rewritten per mutation: bounds the memory a pass holds (two values
// of up to a chunk each) and how long writers of the namespace wait.
constexpr size_t kChunksPerWrite = 64;
constexpr size_t kChunkKey = 1 + 8 + 8;

bool older(const Timespec& a, const Timespec& b) {
  return a.sec < b.sec || (a.sec == b.sec && a.nsec < b.nsec);
}

}  // namespace

uint64_t RocksStore::write_sequence() { return db_->GetLatestSequenceNumber(); }

Result<SettleResult> RocksStore::settle(NsId id, const SettleRequest& req) {
  auto state = ns_state(id);
  if (!state) return state.status();
  NsState& ns = **state;
  SettleResult r;
  if (ns.retired) {  // a swapped-out family: a snapshot now, left as it is
    r.complete = true;
    return r;
  }
  // The files to look at, from one scan of the inode records.
  std::vector<Ino> files;
  {
    SnapshotGuard snap(db_);
    rocksdb::ReadOptions ro;
    ro.snapshot = snap.get();
    ro.fill_cache = false;
    const std::string lo(1, keys::kInodeTag), hi(1, keys::kInodeTag + 1);
    rocksdb::Slice upper(hi);
    ro.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, ns.cf));
    for (it->Seek(lo); it->Valid(); it->Next()) {
      auto ino = keys::parse_ino_key(it->key().ToStringView(), keys::kInodeTag);
      if (!ino) continue;  // check's business
      auto rec = parse_inode(it->value().ToStringView(), *ino);
      if (!rec || !rec->is_reg() || rec->nlink == 0) continue;
      if (older(rec->ctime, ns.settled_before)) continue;  // settled by an earlier pass
      if (rec->chunked || !rec->data.empty()) files.push_back(*ino);
    }
    if (!it->status().ok()) return map_error(it->status(), "scanning a namespace to settle");
  }
  uint64_t seq = write_sequence();
  Ino first = 0, last = 0;  // of the files rewritten: ascending, as scanned
  auto note_ranges = [&] {
    if (first == 0) return;
    r.ranges.emplace_back(keys::inode(first), keys::inode(last));  // inline data
    r.ranges.emplace_back(keys::chunk(first, 0), keys::chunk(last, UINT64_MAX));
  };
  for (Ino ino : files) {
    if ((req.cancel != nullptr && req.cancel->load()) ||
        (req.stop_when_busy && write_sequence() != seq)) {
      note_ranges();
      return r;
    }
    SnapshotGuard snap(db_);
    const uint64_t chunks_before = r.chunks;
    if (auto s = settle_file(ns, snap.get(), ino, r); !s) {
      // A file dropped or changed meanwhile is not an error; anything else is.
      if (s.code() == Errc::not_found) continue;
      return s.error();
    }
    if (r.chunks != chunks_before) {
      ++r.files;
      if (first == 0) first = ino;
      last = ino;
    }
    seq = write_sequence();  // our own writes do not make the store busy
  }
  note_ranges();
  r.complete = true;
  // A writer's ctime may lag the pass's clock a little: a second of overlap.
  if (req.now.sec > 1) ns.settled_before = Timespec{req.now.sec - 1, req.now.nsec};
  return r;
}

Status RocksStore::settle_file(NsState& ns, const rocksdb::Snapshot* snap, Ino ino,
                               SettleResult& r) {
  auto rec = read_inode(ns, snap, ino);
  if (!rec) return rec.status();
  if (!rec->is_reg()) return Status::ok();
  std::vector<SettledValue> values;
  if (!rec->chunked) {
    if (rec->data.empty()) return Status::ok();
    auto v = settle_chunk(rec->data, ino, 0, chunk_size_);
    if (!v) {
      spdlog::warn("namespace {}: not settling inode {}: {}", ns.id, ino, v.error().message());
      return Status::ok();
    }
    if (!v->has_value()) return Status::ok();
    values.push_back({0, rec->data, std::move(**v)});
    return write_settled(ns, ino, true, values, r);
  }
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  ro.fill_cache = false;
  const std::string prefix = keys::chunk(ino, 0).substr(0, 1 + 8);
  const std::string end = keys::prefix_end(prefix);
  rocksdb::Slice upper(end);
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, ns.cf));
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    const std::string_view key = it->key().ToStringView();
    if (key.size() != kChunkKey) continue;
    const uint64_t idx = keys::get_u64be(key.data() + 9);
    const std::string_view value = it->value().ToStringView();
    auto v = settle_chunk(value, ino, idx, chunk_size_);
    if (!v) {
      spdlog::warn("namespace {}: not settling inode {}: {}", ns.id, ino, v.error().message());
      return Status::ok();
    }
    if (!v->has_value()) continue;
    values.push_back({idx, std::string(value), std::move(**v)});
    if (values.size() == kChunksPerWrite) {
      if (auto s = write_settled(ns, ino, false, values, r); !s) return s;
      values.clear();
    }
  }
  if (!it->status().ok()) return map_error(it->status(), "reading chunks to settle");
  if (values.empty()) return Status::ok();
  return write_settled(ns, ino, false, values, r);
}

Status RocksStore::write_settled(NsState& ns, Ino ino, bool inline_data,
                                 std::vector<SettledValue>& values, SettleResult& r) {
  return mutate(ns.id, [&](Txn& t, NsState&) -> Status {
    auto got = t.inode(ino);
    if (!got) return got.status();
    InodeRecord& rec = **got;
    if (!rec.is_reg() || rec.nlink == 0 || rec.chunked == inline_data) {
      return Error(Errc::not_found, "changed meanwhile");
    }
    uint64_t before = 0, after = 0, count = 0;
    if (inline_data) {
      if (rec.data != values[0].old_value) return Error(Errc::not_found, "changed meanwhile");
      before = rec.data.size();
      rec.data = std::move(values[0].new_value);
      after = rec.data.size();
      rec.stored = after;
      count = 1;
    } else {
      auto map = load_map(t, ino);
      if (!map) return map.status();
      for (auto& v : values) {
        // A value written since the pass read it stays (and is not counted).
        auto cur = t.get(keys::chunk(ino, v.idx));
        if (!cur) return cur.status();
        if (!cur->has_value() || **cur != v.old_value || v.idx >= map->size()) continue;
        t.batch().Put(t.cf(), keys::chunk(ino, v.idx), v.new_value);
        t.deltas.del_kv(kChunkKey, v.old_value.size());
        t.deltas.put_kv(kChunkKey, v.new_value.size());
        (*map)[v.idx] = static_cast<uint32_t>(v.new_value.size());
        before += v.old_value.size();
        after += v.new_value.size();
        ++count;
      }
      if (count == 0) return Status::ok();
      t.batch().Put(t.cf(), keys::chunk_map(ino),
                    encode_map(*map));  // same length: live bytes unchanged
      rec.stored = std::accumulate(map->begin(), map->end(), uint64_t{0});
    }
    t.deltas.stored += static_cast<int64_t>(after) - static_cast<int64_t>(before);
    t.data_bytes = after;  // the space check: old values stay until a compaction
    t.mark(ino);           // attributes unchanged but `stored` (no ctime: same content)
    if (auto s = t.write("settling file data"); !s) return s;
    r.chunks += count;
    r.bytes_before += before;
    r.bytes_after += after;
    return Status::ok();
  });
}

}  // namespace gcfs
