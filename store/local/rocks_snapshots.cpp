// Snapshots: hidden column families `snap.<id>` registered under `s` + name
// in the default family. Created by hard-linking the namespace's SST files
// (Checkpoint::ExportColumnFamily, then CreateColumnFamilyWithImport with
// move_files), so creation is near-instant whatever the size.
#include <fmt/format.h>
#include <rocksdb/metadata.h>
#include <rocksdb/utilities/checkpoint.h>
#include <spdlog/spdlog.h>

#include <ctime>
#include <filesystem>

#include "store/local/keys.hpp"
#include "store/local/rocks_store.hpp"
#include "store/local/snapshot_record.hpp"

namespace gcfs {

// ---- opening ------------------------------------------------------------------

bool RocksStore::adopt_snapshot_family(rocksdb::ColumnFamilyHandle* h) {
  auto id = parse_snapshot_family_name(h->GetName());
  if (!id) return false;
  snap_families_.emplace(*id, std::make_shared<NsState>(db_, *id, h));
  return true;
}

Status RocksStore::load_snapshot_registry() {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), default_cf_));
  const std::string prefix(1, kSnapshotTag);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    const std::string name = it->key().ToString().substr(1);
    auto info = decode_snapshot_record(name, it->value().ToStringView());
    if (!info) {
      spdlog::warn("store {}: snapshot {} has a garbled registry record; ignored", opts_.path,
                   name);
      continue;
    }
    snap_registry_.emplace(info->id, *info);
  }
  if (!it->status().ok()) return map_error(it->status(), "reading the snapshot registry");
  return Status::ok();
}

bool RocksStore::adopt_relabelled_family(NsId id, std::shared_ptr<NsState>& state) {
  if (!snap_registry_.contains(id)) return false;
  snap_families_.emplace(id, std::move(state));
  return true;
}

Status RocksStore::finish_snapshots() {
  for (auto& [id, info] : snap_registry_) {
    auto fam = snap_families_.find(id);
    if (fam == snap_families_.end()) {
      spdlog::warn("store {}: snapshot {} has no column family; ignored", opts_.path, info.name);
      continue;
    }
    next_ns_ = std::max<NsId>(next_ns_, id + 1);
    snaps_.emplace(info.name, SnapEntry{info, std::move(fam->second)});
    snap_families_.erase(fam);
  }
  // Families nobody registered: an import or snapshot that died midway.
  for (auto& [id, state] : snap_families_) {
    next_ns_ = std::max<NsId>(next_ns_, id + 1);
    spdlog::warn("store {}: dropping unregistered column family {}", opts_.path,
                 state->cf->GetName());
    if (!opts_.read_only) {
      if (auto d = db_->DropColumnFamily(state->cf); !d.ok()) {
        return map_error(d, "dropping an unregistered snapshot family");
      }
    }
  }
  snap_families_.clear();
  snap_registry_.clear();
  return Status::ok();
}

// ---- helpers --------------------------------------------------------------------

namespace {
// A memtable this small flushes in a few milliseconds: what a snapshot's
// export may flush while writers of the namespace wait.
constexpr uint64_t kSmallMemtable = uint64_t{1} << 20;
}  // namespace

Result<rocksdb::ColumnFamilyHandle*> RocksStore::clone_family(rocksdb::ColumnFamilyHandle* from,
                                                              const std::string& to_name,
                                                              std::mutex* ns_mu) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(opts_.path) / (".export-" + to_name);
  std::error_code ec;
  fs::remove_all(dir, ec);  // a leftover of a crash
  if (ns_mu != nullptr) {
    // The memtable's bulk goes to SST files while writers carry on (again
    // while they wrote much meanwhile); the export under the lock then
    // flushes only what came since.
    rocksdb::FlushOptions fo;
    fo.allow_write_stall = true;
    for (int round = 0; round < 3; ++round) {
      uint64_t active = 0;
      if (round > 0 && (!db_->GetIntProperty(from, "rocksdb.cur-size-active-mem-table", &active) ||
                        active < kSmallMemtable)) {
        break;
      }
      if (auto f = db_->Flush(fo, from); !f.ok()) return map_error(f, "flushing before a snapshot");
    }
  }
  rocksdb::Checkpoint* cp = nullptr;
  auto s = rocksdb::Checkpoint::Create(db_, &cp);
  if (!s.ok()) return map_error(s, "creating a checkpoint");
  std::unique_ptr<rocksdb::Checkpoint> cp_guard(cp);
  rocksdb::ExportImportFilesMetaData* meta = nullptr;
  {
    // No mutation half-way through the export: the capture is one committed state.
    std::unique_lock<std::mutex> lock;
    if (ns_mu != nullptr) lock = std::unique_lock(*ns_mu);
    s = cp->ExportColumnFamily(from, dir.string(), &meta);
  }
  std::unique_ptr<rocksdb::ExportImportFilesMetaData> meta_guard(meta);
  if (!s.ok()) {
    fs::remove_all(dir, ec);
    return map_error(s, "exporting a column family");
  }
  rocksdb::ImportColumnFamilyOptions io;
  io.move_files = true;  // hard links within the store: no copy
  rocksdb::ColumnFamilyHandle* h = nullptr;
  s = db_->CreateColumnFamilyWithImport(family_options(), to_name, io, *meta, &h);
  fs::remove_all(dir, ec);
  if (!s.ok()) return map_error(s, "importing a column family");
  return h;
}

Result<NsId> RocksStore::reserve_id() {
  std::lock_guard admin(admin_mu_);
  if (next_ns_ > kMaxNsId) return Error(Errc::no_space, "ids exhausted");
  const NsId id = next_ns_;
  rocksdb::WriteBatch b;
  std::string next;
  keys::put_u64be(next, id + 1);
  b.Put(default_cf_, keys::kNextNs, next);
  GCFS_TRY(write_batch(b, "reserving an id"));
  next_ns_ = id + 1;
  return id;
}

Result<std::shared_ptr<NsState>> RocksStore::snapshot_state(std::string_view name,
                                                            SnapshotInfo* info) {
  std::shared_lock lock(map_mu_);
  auto it = snaps_.find(name);
  if (it == snaps_.end()) return Error(Errc::not_found, fmt::format("no snapshot {}", name));
  if (info) *info = it->second.info;
  return it->second.state;
}

void RocksStore::purge_orphans_quietly(NsId id) {
  auto state = ns_state(id);
  if (!state) return;
  std::vector<Ino> orphans;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), (*state)->cf));
  const std::string prefix(1, keys::kOrphanTag);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (auto ino = keys::parse_ino_key(it->key().ToStringView(), keys::kOrphanTag)) {
      orphans.push_back(*ino);
    }
  }
  if (!it->status().ok()) {
    // Those not listed stay until the next open purges leftover orphans.
    spdlog::warn("listing orphans of namespace {}: {}", id, it->status().ToString());
  }
  for (Ino ino : orphans) {
    if (auto s = purge(id, ino); !s)
      spdlog::warn("purging orphan {}: {}", ino, s.error().message());
  }
}

// ---- operations -------------------------------------------------------------------

Result<SnapshotInfo> RocksStore::create_snapshot(std::string_view name, std::string_view ns_name) {
  if (!valid_namespace_name(name)) {
    return Error(Errc::invalid, fmt::format("invalid snapshot name '{}'", name));
  }
  GCFS_TRY(check_writable());
  auto exists = [&]() -> Status {
    if (snapshot_state(name, nullptr)) {
      return Error(Errc::exists, fmt::format("snapshot {} exists", name));
    }
    return Status::ok();
  };
  GCFS_TRY(exists());
  GCFS_TRY_ASSIGN(NsInfo info, find_namespace(ns_name));
  GCFS_TRY_ASSIGN(auto state, ns_state(info.id));
  GCFS_TRY_ASSIGN(const NsId id, reserve_id());

  // No lock but the namespace's, and that only for the export (clone_family).
  GCFS_TRY_ASSIGN(rocksdb::ColumnFamilyHandle * cf,
                  clone_family(state->cf, snapshot_family_name(id), &state->mu));
  auto snap = std::make_shared<NsState>(db_, id, cf);
  SnapshotInfo si;
  si.name = name;
  si.id = id;
  si.source_ns = ns_name;
  si.created = std::time(nullptr);
  if (looks_like_go_version(ns_name)) si.go_version = ns_name;
  rocksdb::WriteBatch batch;
  batch.Put(default_cf_, snapshot_key(name), encode_snapshot_record(si));
  std::lock_guard admin(admin_mu_);
  Status w = exists();  // a snapshot of the same name made meanwhile
  if (w) w = write_batch(batch, "registering a snapshot");
  if (!w) {
    if (auto d = db_->DropColumnFamily(cf); !d.ok()) spdlog::warn("{}", d.ToString());
    return w.error();
  }
  if (auto st = read_counters(*snap)) si.stats = *st;
  std::unique_lock lock(map_mu_);
  snaps_.emplace(si.name, SnapEntry{si, std::move(snap)});
  return si;
}

Result<std::vector<SnapshotInfo>> RocksStore::list_snapshots() {
  std::vector<std::pair<SnapshotInfo, std::shared_ptr<NsState>>> all;
  {
    std::shared_lock lock(map_mu_);
    for (const auto& [name, e] : snaps_) all.emplace_back(e.info, e.state);
  }
  std::vector<SnapshotInfo> out;
  for (auto& [info, state] : all) {
    if (auto st = read_counters(*state)) info.stats = *st;
    out.push_back(std::move(info));
  }
  return out;
}

Result<SnapshotInfo> RocksStore::find_snapshot(std::string_view name) {
  SnapshotInfo info;
  auto state = snapshot_state(name, &info);
  if (!state) return state.status();
  if (auto st = read_counters(**state)) info.stats = *st;
  return info;
}

Status RocksStore::delete_snapshot(std::string_view name) {
  if (auto s = check_writable(); !s) return s;
  std::lock_guard admin(admin_mu_);
  SnapshotInfo info;
  auto state = snapshot_state(name, &info);
  if (!state) return state.status();
  NsState& ns = **state;
  std::lock_guard ns_lock(ns.mu);
  rocksdb::WriteBatch batch;
  batch.Delete(default_cf_, snapshot_key(name));
  if (auto w = write_batch(batch, "unregistering a snapshot"); !w) return w;
  if (auto d = db_->DropColumnFamily(ns.cf); !d.ok()) {
    spdlog::warn("dropping snapshot {}: {}", name, d.ToString());
  }
  ns.dropped = true;
  std::unique_lock lock(map_mu_);
  snaps_.erase(snaps_.find(name));
  // A swapped-out namespace was still reachable by id: not any more.
  auto by = by_id_.find(info.id);
  if (by != by_id_.end() && by->second.get() == &ns) by_id_.erase(by);
  return Status::ok();
}

}  // namespace gcfs
