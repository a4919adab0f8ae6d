// snapshot export: streams a snapshot family into one archive file, one part
// (<= 4 MiB of records) in memory at a time. Written as FILE.tmp and renamed
// at the end, so a failed export never leaves a half archive under FILE.
#include <fmt/format.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "store/archive_format.hpp"
#include "store/keys.hpp"
#include "store/rocks_store.hpp"

namespace gcfs {

namespace {

class OutFile {
 public:
  explicit OutFile(std::string path) : path_(std::move(path)) {}
  ~OutFile() {
    if (f_ != nullptr) {
      std::fclose(f_);
      std::remove(path_.c_str());  // not committed: leave nothing behind
    }
  }
  Status open() {
    f_ = std::fopen(path_.c_str(), "wb");
    return f_ ? Status::ok() : fail("cannot create");
  }
  Status write(std::string_view bytes) {
    if (std::fwrite(bytes.data(), 1, bytes.size(), f_) != bytes.size()) return fail("writing");
    written_ += bytes.size();
    return Status::ok();
  }
  Status rewrite_head(std::string_view bytes) {
    if (std::fseek(f_, 0, SEEK_SET) != 0) return fail("seeking in");
    if (std::fwrite(bytes.data(), 1, bytes.size(), f_) != bytes.size()) return fail("writing");
    return Status::ok();
  }
  Status commit(const std::string& final_path) {
    if (std::fflush(f_) != 0 || ::fsync(fileno(f_)) != 0) return fail("flushing");
    std::FILE* f = f_;
    f_ = nullptr;
    if (std::fclose(f) != 0) return fail("closing");
    if (std::rename(path_.c_str(), final_path.c_str()) != 0) {
      std::remove(path_.c_str());
      return fail("renaming");
    }
    return Status::ok();
  }
  uint64_t written() const { return written_; }

 private:
  Status fail(std::string_view what) {
    Errc code = errno == ENOSPC ? Errc::no_space : errno == EACCES ? Errc::permission : Errc::io;
    return Error(code, fmt::format("{} {}: {}", what, path_, std::strerror(errno)));
  }
  std::string path_;
  std::FILE* f_ = nullptr;
  uint64_t written_ = 0;
};

}  // namespace

Result<ArchiveSummary> RocksStore::export_snapshot(std::string_view name, const std::string& path,
                                                   const Progress& progress) {
  SnapshotInfo info;
  auto state = snapshot_state(name, &info);
  if (!state) return state.status();
  auto counters = read_counters(**state);
  if (!counters) return counters.status();

  archive::Header h;
  h.chunk_size = chunk_size_;
  h.created = info.created;
  h.logical = counters->logical_bytes;
  h.stored = counters->stored_bytes;
  h.files = counters->files;
  h.ns = info.source_ns;
  h.go_version = info.go_version;

  OutFile out(path + ".tmp");
  if (auto s = out.open(); !s) return s;
  if (auto s = out.write(archive::encode_header(h)); !s) return s;

  SnapshotGuard snap(db_);
  rocksdb::ReadOptions ro;
  ro.snapshot = snap.get();
  ro.fill_cache = false;  // one pass over everything: do not evict the hot set
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, (*state)->cf));
  archive::Trailer t;
  std::string raw, checks;
  uint32_t records = 0;
  auto flush = [&]() -> Status {
    if (records == 0) return Status::ok();
    uint64_t check = 0;
    if (auto s = out.write(archive::encode_part(t.parts, raw, records, &check)); !s) return s;
    keys::put_u64be(checks, check);
    ++t.parts;
    t.entries += records;
    t.raw_bytes += raw.size();
    raw.clear();
    records = 0;
    if (progress) progress(t.raw_bytes, h.stored);
    return Status::ok();
  };
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const auto key = it->key().ToStringView();
    const auto value = it->value().ToStringView();
    const size_t size = 6 + key.size() + value.size();
    if (size > archive::kMaxPartRaw || key.size() > 0xffff) {
      return Error(Errc::not_supported, "a record does not fit an archive part");
    }
    if (raw.size() + size > archive::kMaxPartRaw) {
      if (auto s = flush(); !s) return s;
    }
    archive::append_record(raw, key, value);
    ++records;
  }
  if (!it->status().ok()) return map_error(it->status(), "reading the snapshot");
  if (auto s = flush(); !s) return s;
  t.parts_check = XXH3_64bits(checks.data(), checks.size());
  if (auto s = out.write(archive::encode_trailer(t)); !s) return s;
  h.entries = t.entries;
  if (auto s = out.rewrite_head(archive::encode_header(h)); !s) return s;
  const uint64_t size = out.written();
  if (auto s = out.commit(path); !s) return s;

  ArchiveSummary sum;
  sum.ns = h.ns;
  sum.go_version = h.go_version;
  sum.created = h.created;
  sum.entries = t.entries;
  sum.parts = t.parts;
  sum.logical_bytes = h.logical;
  sum.stored_bytes = h.stored;
  sum.files = h.files;
  sum.archive_bytes = size;
  return sum;
}

}  // namespace gcfs
