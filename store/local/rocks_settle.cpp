// Settling (store/space.hpp): file data that stopped changing is rewritten
// with LZ4HC chunk by chunk, each file in one mutation that first checks the
// values it read are still the ones stored, so a writer that got there in
// between wins and the file is left for a later pass. The content, the
// checksums and the chunk map's shape stay; only the stored sizes shrink.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

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
  r.sequence = write_sequence();
  if (req.from_sequence != 0 && req.from_sequence != r.sequence) return r;  // written since
  // A swapped-out family is a snapshot now, left as it is; a read-only store
  // (damaged, or its disk full) is not written to settle it.
  if (ns.retired || !check_writable()) {
    r.complete = true;
    return r;
  }
  // A family whose SST files are shared with a snapshot (hard links): new
  // files would not free the old ones, the disk would hold both.
  if (shares_files(ns)) {
    spdlog::debug("namespace {}: not settled: its files are shared with a snapshot", ns.id);
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
  uint64_t seq = r.sequence;
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
    bool stop = false;
    Status s = settle_file(ns, snap.get(), ino, req, seq, stop, r);
    if (r.chunks != chunks_before) {
      if (first == 0) first = ino;
      last = ino;
    }
    if (!s) {
      // A file dropped or changed meanwhile is not an error, nor one that does
      // not verify (check's business: left as it is); anything else is.
      if (s.code() == Errc::not_found) continue;
      if (s.code() == Errc::corrupt) {
        spdlog::warn("namespace {}: not settling inode {}: {}", ns.id, ino, s.error().message());
        continue;
      }
      note_ranges();
      return s.error();
    }
    const bool cancelled = req.cancel != nullptr && req.cancel->load();
    if (stop && !req.stop_when_busy && !cancelled) {
      seq = write_sequence();  // busy or not, carry on
    } else if (stop) {         // cancelled, or another writer came, within the file
      note_ranges();
      r.sequence = seq;
      return r;
    }
    if (r.chunks != chunks_before) ++r.files;
  }
  note_ranges();
  r.sequence = seq;
  r.complete = true;
  // A writer's ctime may lag the pass's clock a little: a second of overlap.
  if (req.now.sec > 1) ns.settled_before = Timespec{req.now.sec - 1, req.now.nsec};
  return r;
}

bool RocksStore::shares_files(NsState& ns) {
  rocksdb::ColumnFamilyMetaData md;
  db_->GetColumnFamilyMetaData(ns.cf, &md);
  for (const auto& level : md.levels) {
    for (const auto& f : level.files) {
      struct stat st {};
      if (::stat((f.directory + "/" + f.relative_filename).c_str(), &st) == 0 && st.st_nlink > 1)
        return true;
    }
  }
  return false;
}

Status RocksStore::settle_file(NsState& ns, const rocksdb::Snapshot* snap, Ino ino,
                               const SettleRequest& req, uint64_t& seq, bool& stop,
                               SettleResult& r) {
  auto rec = read_inode(ns, snap, ino);
  if (!rec) return rec.status();
  if (!rec->is_reg()) return Status::ok();
  std::vector<SettledValue> values;
  if (!rec->chunked) {
    if (rec->data.empty()) return Status::ok();
    auto v = settle_chunk(rec->data, ino, 0, chunk_size_);
    if (!v) return v.status();
    if (!v->has_value()) return Status::ok();
    values.push_back({0, rec->data, std::move(**v)});
    return write_settled(ns, ino, true, values, seq, stop, r);
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
    if (!v) return v.status();
    if (!v->has_value()) continue;
    values.push_back({idx, std::string(value), std::move(**v)});
    if (values.size() == kChunksPerWrite) {
      if (auto s = write_settled(ns, ino, false, values, seq, stop, r); !s) return s;
      values.clear();
      // A large file: look again between its batches.
      if (stop || (req.cancel != nullptr && req.cancel->load()) ||
          (req.stop_when_busy && write_sequence() != seq)) {
        stop = true;
        return Status::ok();
      }
    }
  }
  if (!it->status().ok()) return map_error(it->status(), "reading chunks to settle");
  if (values.empty()) return Status::ok();
  return write_settled(ns, ino, false, values, seq, stop, r);
}

Status RocksStore::write_settled(NsState& ns, Ino ino, bool inline_data,
                                 std::vector<SettledValue>& values, uint64_t& seq, bool& stop,
                                 SettleResult& r) {
  return mutate(ns.id, [&](Txn& t, NsState& cur_ns) -> Status {
    // Swapped out since the pass began: a snapshot takes no writes.
    if (cur_ns.retired) return Error(Errc::not_found, "swapped out meanwhile");
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
        if (!cur->has_value() || **cur != v.old_value || v.idx >= map->size() ||
            (*map)[v.idx] != v.old_value.size()) {
          continue;
        }
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
    const uint64_t before_write = write_sequence();
    if (auto s = t.write("settling file data"); !s) return s;
    // Each record of the batch takes one sequence number: any more means
    // another writer came (the store is not idle any more).
    const uint64_t after_write = write_sequence();
    if (after_write == before_write + t.batch().Count() && before_write == seq) {
      seq = after_write;
    } else {
      stop = true;
    }
    r.chunks += count;
    r.bytes_before += before;
    r.bytes_after += after;
    return Status::ok();
  });
}

}  // namespace gcfs
