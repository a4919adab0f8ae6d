// snapshot import and restore. Pass 1 reads and verifies the whole archive,
// or a full archive and its deltas (framing, the chain, every record of the
// content they compose), without touching the store. Only then pass 2 writes the
// records into a new hidden family (WAL off, flushed before registering) and
// one final registry batch makes it a snapshot or a namespace. A failure in
// pass 2 drops the family; a crash leaves an unregistered family that the
// next open drops.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "store/archive/archive.hpp"
#include "store/archive/chain.hpp"
#include "store/archive/check.hpp"
#include "store/archive/reader.hpp"

namespace gcfs {

namespace archive {

Error refused(const Error& e) {
  return Error(e.code(), fmt::format("archive refused: {}", e.message()));
}

namespace {

ArchiveSummary summary_of(const Reader& r) {
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
  if (!r.header().content.none()) s.content_id = r.header().content.hex();
  if (r.header().delta()) s.base_id = r.header().base.hex();
  return s;
}

// The summary of a chain: the last file's header (the composed content),
// entries and sizes over all files.
ArchiveSummary summary_of(const Chain& c) {
  ArchiveSummary s = summary_of(c.file(c.files() - 1));
  s.entries = s.parts = s.archive_bytes = 0;
  for (size_t i = 0; i < c.files(); ++i) {
    s.entries += c.file(i).trailer().entries;
    s.parts += c.file(i).trailer().parts;
    s.archive_bytes += c.file(i).file_size();
  }
  s.base_id.clear();
  s.deltas = c.files() - 1;
  return s;
}

}  // namespace

// Pass 1; also returns each file's trailer check over its parts, which pass 2
// compares to make sure it writes exactly what was verified.
Result<ArchiveSummary> verify(const std::vector<std::string>& paths, uint32_t chunk_size,
                              const Progress& progress, std::vector<uint64_t>* checks) {
  GCFS_TRY_ASSIGN(auto chain, Chain::open(paths));
  for (size_t i = 0; i < chain->files(); ++i) {
    if (chain->file(i).header().chunk_size != chunk_size) {
      return Error(Errc::not_supported,
                   fmt::format("archive has chunk size {}, this store {}",
                               chain->file(i).header().chunk_size, chunk_size));
    }
  }
  RecordChecker checker(chain->head(), chunk_size);
  ContentDigest digest;
  std::string_view k, v;
  for (uint64_t n = 1;; ++n) {
    GCFS_TRY_ASSIGN(bool more, chain->next(&k, &v));
    if (!more) break;
    GCFS_TRY(checker.feed(k, v));
    digest.add(k, v);
    if (progress && n % 4096 == 0) progress(chain->offset(), chain->total_size());
  }
  GCFS_TRY(checker.finish());
  if (!chain->head().content.none() && digest.id() != chain->head().content) {
    return Error(Errc::corrupt,
                 chain->files() > 1
                     ? "the deltas do not compose the content they name (wrong base?)"
                     : "the records do not match the archive's content id");
  }
  if (progress) progress(chain->total_size(), chain->total_size());
  if (checks) {
    checks->clear();
    for (size_t i = 0; i < chain->files(); ++i) {
      checks->push_back(chain->file(i).trailer().parts_check);
    }
  }
  return summary_of(*chain);
}

Status replay(const std::vector<std::string>& paths, const std::vector<uint64_t>& verified,
              const RecordSink& sink, const Progress& progress) {
  auto chain = Chain::open(paths);
  if (!chain) return refused(chain.error());
  std::string_view k, v;
  for (uint64_t n = 1;; ++n) {
    auto more = (*chain)->next(&k, &v);
    if (!more) return refused(more.error());
    if (!*more) break;
    GCFS_TRY(sink(k, v));
    if (progress && n % 4096 == 0) progress((*chain)->offset(), (*chain)->total_size());
  }
  for (size_t i = 0; i < (*chain)->files(); ++i) {
    if (i >= verified.size() || (*chain)->file(i).trailer().parts_check != verified[i]) {
      return Error(Errc::corrupt, "archive refused: it changed while being imported");
    }
  }
  return Status::ok();
}

namespace {

// A delta alone: its framing and each record's form; what it composes is
// checked when it is restored after its base.
Result<ArchiveSummary> check_delta(const std::string& path, uint32_t chunk_size) {
  GCFS_TRY_ASSIGN(auto r, Reader::open(path));
  if (r->header().chunk_size != chunk_size) {
    return Error(Errc::not_supported, fmt::format("archive has chunk size {}, this store {}",
                                                  r->header().chunk_size, chunk_size));
  }
  RecordChecker checker(r->header(), chunk_size, false);
  std::string raw;
  uint32_t records = 0;
  for (;;) {
    GCFS_TRY_ASSIGN(bool more, r->next(&raw, &records));
    if (!more) break;
    GCFS_TRY(for_each_record(raw, records, [&](const Record& rec) {
      return rec.deleted ? checker.feed_deletion(rec.key) : checker.feed(rec.key, rec.value);
    }));
  }
  return summary_of(*r);
}

}  // namespace

}  // namespace archive

Result<ArchiveSummary> check_archive(const std::string& path, uint32_t chunk_size,
                                     const Progress& progress) {
  bool delta = false;
  if (auto r = archive::Reader::open(path); r) delta = (*r)->header().delta();
  auto s = delta ? archive::check_delta(path, chunk_size)
                 : archive::verify({path}, chunk_size, progress, nullptr);
  if (!s && s.code() != Errc::not_found && s.code() != Errc::permission) {
    return archive::refused(s.error());
  }
  return s;
}

}  // namespace gcfs
