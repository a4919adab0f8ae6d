// Accounting: the `S` counters are updated by merges in every mutation's
// batch (O(1) to read); recount() rebuilds the same figures from the data.
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <array>
#include <filesystem>

#include "store/codec/chunk.hpp"
#include "store/local/keys.hpp"
#include "store/local/rocks_store.hpp"

namespace gcfs {

namespace {

constexpr std::array<std::string_view, 7> kCounterNames = {
    "files", "dirs", "symlinks", "logical_bytes", "stored_bytes", "orphans", "live_bytes"};

void merge_delta(rocksdb::WriteBatch& batch, rocksdb::ColumnFamilyHandle* cf, std::string_view name,
                 int64_t delta) {
  if (delta == 0) return;
  std::string v;
  keys::put_u64le(v, static_cast<uint64_t>(delta));  // two's complement for negatives
  batch.Merge(cf, keys::counter(name), v);
}

}  // namespace

void Deltas::add_to(rocksdb::WriteBatch& batch, rocksdb::ColumnFamilyHandle* cf) const {
  merge_delta(batch, cf, kCounterNames[0], files);
  merge_delta(batch, cf, kCounterNames[1], dirs);
  merge_delta(batch, cf, kCounterNames[2], symlinks);
  merge_delta(batch, cf, kCounterNames[3], logical);
  merge_delta(batch, cf, kCounterNames[4], stored);
  merge_delta(batch, cf, kCounterNames[5], orphans);
  merge_delta(batch, cf, kCounterNames[6], live);
}

Result<NsStats> RocksStore::read_counters(NsState& ns) {
  std::array<std::string, kCounterNames.size()> key_bytes;
  std::array<rocksdb::Slice, kCounterNames.size()> key_slices;
  for (size_t i = 0; i < kCounterNames.size(); ++i) {
    key_bytes[i] = keys::counter(kCounterNames[i]);
    key_slices[i] = key_bytes[i];
  }
  std::array<rocksdb::PinnableSlice, kCounterNames.size()> values;
  std::array<rocksdb::Status, kCounterNames.size()> statuses;
  db_->MultiGet(rocksdb::ReadOptions(), ns.cf, key_slices.size(), key_slices.data(), values.data(),
                statuses.data());
  std::array<uint64_t, kCounterNames.size()> n{};
  for (size_t i = 0; i < n.size(); ++i) {
    if (statuses[i].IsNotFound()) continue;
    if (!statuses[i].ok()) return map_error(statuses[i], "reading counters");
    if (values[i].size() != 8) {
      return Error(Errc::corrupt,
                   fmt::format("namespace {}: counter {} garbled", ns.id, kCounterNames[i]));
    }
    n[i] = keys::get_u64le(values[i].data());
  }
  return NsStats{n[0], n[1], n[2], n[3], n[4], n[5], n[6]};
}

Result<NsStats> RocksStore::stats(NsId id) {
  auto ns = ns_state(id);
  if (!ns) return ns.status();
  return read_counters(**ns);
}

// Reads every inode record, orphan marker and chunk value (sizes only) of
// the namespace in one snapshot: a check, not a hot path.
Result<NsStats> RocksStore::recount(NsId id) {
  auto state = ns_state(id);
  if (!state) return state.status();
  NsState& ns = **state;
  SnapshotGuard snap(db_);
  rocksdb::ReadOptions ro;
  ro.snapshot = snap.get();
  ro.fill_cache = false;
  NsStats st;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, ns.cf));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view key = it->key().ToStringView();
    const char tag = key.empty() ? '\0' : key[0];
    // Every record counts as live bytes except the bookkeeping counters.
    if (tag != keys::kCounterTag && key != keys::kNextIno) {
      st.live_bytes += key.size() + it->value().size();
    }
    if (tag == keys::kChunkTag) {
      st.stored_bytes += it->value().size();  // a file's chunk data
    } else if (tag == keys::kInodeTag) {
      auto ino = keys::parse_ino_key(key, keys::kInodeTag);
      if (!ino) return Error(Errc::corrupt, "malformed inode key");
      auto rec = parse_inode(it->value().ToStringView(), *ino);
      if (!rec) return rec.error();
      if (rec->is_dir()) {
        ++st.dirs;
      } else if (rec->is_symlink()) {
        if (rec->nlink > 0) ++st.symlinks;
      } else {
        if (rec->nlink > 0) ++st.files;
        st.logical_bytes += rec->size;
        st.stored_bytes += rec->data.size();  // inline data
      }
    } else if (tag == keys::kOrphanTag) {
      ++st.orphans;
    }
  }
  if (!it->status().ok()) return map_error(it->status(), "scanning a namespace");
  return st;
}

StoreUsage RocksStore::usage() {
  StoreUsage u;
  std::error_code ec;
  // Files come and go under compaction: skip what vanishes, never throw.
  std::filesystem::recursive_directory_iterator it(opts_.path, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    std::error_code fec;
    if (it->is_regular_file(fec)) {
      auto n = it->file_size(fec);
      if (!fec) u.physical_bytes += n;
    }
  }
  struct statvfs vfs {};
  if (::statvfs(opts_.path.c_str(), &vfs) == 0) {
    u.disk_total_bytes = static_cast<uint64_t>(vfs.f_blocks) * vfs.f_frsize;
    u.disk_free_bytes = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  }
  std::vector<std::shared_ptr<NsState>> all;
  {
    std::shared_lock lock(map_mu_);
    for (const auto& [id, ns] : by_id_) all.push_back(ns);
  }
  for (const auto& ns : all) {
    if (auto st = read_counters(*ns)) u.inodes += st->files + st->dirs + st->symlinks;
  }
  return u;
}

}  // namespace gcfs
