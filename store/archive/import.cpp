// snapshot import. Pass 1 reads and verifies the whole archive (framing and
// every record) without touching the store. Only then pass 2 writes the
// records into a new hidden family (WAL off, flushed before registering) and
// one final registry batch makes it a snapshot or a namespace. A failure in
// pass 2 drops the family; a crash leaves an unregistered family that the
// next open drops.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "store/archive/archive.hpp"
#include "store/archive/check.hpp"
#include "store/archive/reader.hpp"

namespace gcfs {

namespace archive {

Error refused(const Error& e) {
  return Error(e.code(), fmt::format("archive refused: {}", e.message()));
}

namespace {

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

}  // namespace

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

Status replay(const std::string& path, uint64_t verified_check, const PartSink& part,
              const Progress& progress) {
  auto r = archive::Reader::open(path);
  if (!r) return r.error();
  std::string raw;
  uint32_t records = 0;
  for (;;) {
    auto more = (*r)->next(&raw, &records);
    if (!more) return refused(more.error());
    if (!*more) break;
    GCFS_TRY(part(raw, records));
    if (progress) progress((*r)->offset(), (*r)->file_size());
  }
  if ((*r)->trailer().parts_check != verified_check) {
    return Error(Errc::corrupt, "archive refused: it changed while being imported");
  }
  return Status::ok();
}

}  // namespace archive

Result<ArchiveSummary> check_archive(const std::string& path, uint32_t chunk_size,
                                     const Progress& progress) {
  auto s = archive::verify(path, chunk_size, progress, nullptr);
  if (!s && s.code() != Errc::not_found && s.code() != Errc::permission) {
    return archive::refused(s.error());
  }
  return s;
}

}  // namespace gcfs
