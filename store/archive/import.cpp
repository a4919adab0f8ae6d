// snapshot import. Pass 1 reads and verifies the whole archive (framing and
// every record) without touching the store. Only then pass 2 writes the
// records into a new hidden family (WAL off, flushed before registering) and
// one final registry batch makes it a snapshot or a namespace. A failure in
// pass 2 drops the family; a crash leaves an unregistered family that the
// next open drops.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "store/archive_check.hpp"
#include "store/archive_reader.hpp"
#include "store/keys.hpp"
#include "store/rocks_store.hpp"
#include "store/snapshot_record.hpp"

namespace gcfs {

namespace {

Error refused(const Error& e) {
  return Error(e.code(), fmt::format("archive refused: {}", e.message()));
}

ArchiveSummary summary_of(const archive::Reader& r) {
  ArchiveSummary s;
  s.ns = r.header().ns;
  s.go_version = r.header().go_version;
  s.created = r.header().created;
  s.entries = r.trailer().entries;
  s.parts = r.trailer().parts;
  s.logical_bytes = r.header().logical;
  s.stored_bytes = r.header().stored;
  s.files = r.header().files;
  s.archive_bytes = r.file_size();
  return s;
}

// Pass 1; also returns the trailer's check over all parts, which pass 2
// compares to make sure it writes exactly what was verified.
Result<ArchiveSummary> verify(const std::string& path, uint32_t chunk_size,
                              const Progress& progress, uint64_t* parts_check) {
  auto r = archive::Reader::open(path);
  if (!r) return r.error();
  if ((*r)->header().chunk_size != chunk_size) {
    return Error(Errc::not_supported, fmt::format("archive has chunk size {}, this store {}",
                                                  (*r)->header().chunk_size, chunk_size));
  }
  archive::RecordChecker checker((*r)->header(), chunk_size);
  std::string raw;
  uint32_t records = 0;
  for (;;) {
    auto more = (*r)->next(&raw, &records);
    if (!more) return more.error();
    if (!*more) break;
    auto s = archive::for_each_record(
        raw, records, [&](std::string_view k, std::string_view v) { return checker.feed(k, v); });
    if (!s) return s.error();
    if (progress) progress((*r)->offset(), (*r)->file_size());
  }
  if (auto s = checker.finish(); !s) return s.error();
  if (parts_check) *parts_check = (*r)->trailer().parts_check;
  return summary_of(**r);
}

}  // namespace

Result<ArchiveSummary> check_archive(const std::string& path, uint32_t chunk_size,
                                     const Progress& progress) {
  auto s = verify(path, chunk_size, progress, nullptr);
  if (!s && s.code() != Errc::not_found && s.code() != Errc::permission) return refused(s.error());
  return s;
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
  auto sum = verify(path, chunk_size_, progress, &verified_check);
  if (!sum) return sum.code() == Errc::not_found ? sum.error() : refused(sum.error());

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
  auto r = archive::Reader::open(path);
  if (!r) return fail(r.error());
  std::string raw;
  uint32_t records = 0;
  rocksdb::WriteOptions wo;
  wo.disableWAL = true;  // flushed below, before the registry batch makes it live
  for (;;) {
    auto more = (*r)->next(&raw, &records);
    if (!more) return fail(refused(more.error()));
    if (!*more) break;
    if (auto s = check_space(raw.size()); !s) return fail(s.error());
    rocksdb::WriteBatch batch;
    auto s = archive::for_each_record(raw, records, [&](std::string_view k, std::string_view v) {
      batch.Put(cf, k, v);
      return Status::ok();
    });
    if (!s) return fail(refused(s.error()));
    if (auto w = db_->Write(wo, &batch); !w.ok()) return fail(map_error(w, "writing the import"));
    if (progress) progress((*r)->offset(), (*r)->file_size());
  }
  if ((*r)->trailer().parts_check != verified_check) {
    return fail(Error(Errc::corrupt, "archive refused: it changed while being imported"));
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
