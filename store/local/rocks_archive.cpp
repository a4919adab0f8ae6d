// The RocksDB store's side of export and import: reading a snapshot family's
// records for the archive module (store/archive/archive.hpp) and writing an
// archive's records into a new family. Import: pass 1 reads and verifies the
// whole archive without touching the store. Only then pass 2 writes the
// records into a new hidden family (WAL off, flushed before registering) and
// one final registry batch makes it a snapshot or a namespace. A failure in
// pass 2 drops the family; a crash leaves an unregistered family that the
// next open drops.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "store/archive/archive.hpp"
#include "store/local/keys.hpp"
#include "store/local/rocks_store.hpp"
#include "store/local/snapshot_record.hpp"

namespace gcfs {

Result<ArchiveSummary> RocksStore::export_snapshot(std::string_view name, const std::string& path,
                                                   const Progress& progress) {
  SnapshotInfo info;
  GCFS_TRY_ASSIGN(auto state, snapshot_state(name, &info));
  GCFS_TRY_ASSIGN(NsStats counters, read_counters(*state));

  archive::Header h;
  h.chunk_size = chunk_size_;
  h.created = info.created;
  h.logical = counters.logical_bytes;
  h.stored = counters.stored_bytes;
  h.files = counters.files;
  h.ns = info.source_ns;
  h.go_version = info.go_version;

  SnapshotGuard snap(db_);
  auto records = [&](const archive::RecordEmit& emit) -> Status {
    rocksdb::ReadOptions ro;
    ro.snapshot = snap.get();
    ro.fill_cache = false;  // one pass over everything: do not evict the hot set
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, state->cf));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      GCFS_TRY(emit(it->key().ToStringView(), it->value().ToStringView()));
    }
    if (!it->status().ok()) return map_error(it->status(), "reading the snapshot");
    return Status::ok();
  };
  return archive::write(h, path, records, progress);
}

Result<ArchiveSummary> RocksStore::import_archive(const std::string& path, std::string_view as_name,
                                                  bool as_namespace, const Progress& progress) {
  if (!valid_namespace_name(as_name)) {
    return Error(Errc::invalid, fmt::format("invalid name '{}'", as_name));
  }
  if (auto s = check_writable(); !s) return s;
  auto taken = [&]() -> Status {
    if (as_namespace ? find_namespace(as_name).is_ok() : snapshot_state(as_name, nullptr).is_ok()) {
      return Error(Errc::exists,
                   fmt::format("{} {} exists", as_namespace ? "namespace" : "snapshot", as_name));
    }
    return Status::ok();
  };
  if (auto s = taken(); !s) return s;
  uint64_t verified_check = 0;
  auto sum = archive::verify(path, chunk_size_, progress, &verified_check);
  if (!sum) return sum.code() == Errc::not_found ? sum.error() : archive::refused(sum.error());

  // Reserve an id (persisted, never reused) without holding admin_mu_ for
  // the long write.
  NsId id = 0;
  {
    std::lock_guard admin(admin_mu_);
    if (next_ns_ > kMaxNsId) return Error(Errc::no_space, "ids exhausted");
    id = next_ns_;
    rocksdb::WriteBatch b;
    std::string next;
    keys::put_u64be(next, id + 1);
    b.Put(default_cf_, keys::kNextNs, next);
    if (auto w = write_batch(b, "reserving an id"); !w) return w;
    next_ns_ = id + 1;
  }
  const std::string family = as_namespace ? keys::family_name(id) : snapshot_family_name(id);
  rocksdb::ColumnFamilyHandle* cf = nullptr;
  auto cs = db_->CreateColumnFamily(family_options(), family, &cf);
  if (!cs.ok()) return map_error(cs, "creating the import family");
  auto state = std::make_shared<NsState>(db_, id, cf);
  auto fail = [&](Error e) -> Error {
    if (auto d = db_->DropColumnFamily(cf); !d.ok()) spdlog::warn("{}", d.ToString());
    return e;
  };

  // Pass 2.
  rocksdb::WriteOptions wo;
  wo.disableWAL = true;  // flushed below, before the registry batch makes it live
  auto write_part = [&](std::string_view raw, uint32_t records) -> Status {
    GCFS_TRY(check_space(raw.size()));
    rocksdb::WriteBatch batch;
    auto s = archive::for_each_record(raw, records, [&](std::string_view k, std::string_view v) {
      batch.Put(cf, k, v);
      return Status::ok();
    });
    if (!s) return archive::refused(s.error());
    if (auto w = db_->Write(wo, &batch); !w.ok()) return map_error(w, "writing the import");
    return Status::ok();
  };
  if (auto s = archive::replay(path, verified_check, write_part, progress); !s) {
    return fail(s.error());
  }
  if (auto f = db_->Flush(rocksdb::FlushOptions(), cf); !f.ok()) {
    return fail(map_error(f, "flushing the import"));
  }
  std::string n;
  if (auto g = db_->Get(rocksdb::ReadOptions(), cf, keys::kNextIno, &n); !g.ok() || n.size() != 8) {
    return fail(Error(Errc::corrupt, "imported family has no inode counter"));
  }
  state->next_ino = keys::get_u64be(n.data());

  std::lock_guard admin(admin_mu_);
  if (auto s = taken(); !s) return fail(s.error());
  rocksdb::WriteBatch reg;
  SnapshotInfo info;
  if (as_namespace) {
    std::string v;
    keys::put_u32be(v, id);
    reg.Put(default_cf_, keys::ns_by_name(as_name), v);
    reg.Put(default_cf_, keys::ns_by_id(id), as_name);
  } else {
    info.name = as_name;
    info.id = id;
    info.source_ns = sum->ns;
    info.created = sum->created;
    info.go_version = sum->go_version;
    reg.Put(default_cf_, snapshot_key(as_name), encode_snapshot_record(info));
  }
  if (auto w = write_batch(reg, "registering the import"); !w) return fail(w.error());
  {
    std::unique_lock lock(map_mu_);
    if (as_namespace) {
      by_id_.emplace(id, state);
      by_name_.emplace(std::string(as_name), id);
    } else {
      snaps_.emplace(info.name, SnapEntry{info, state});
    }
  }
  if (as_namespace) purge_orphans_quietly(id);
  return sum;
}

}  // namespace gcfs
