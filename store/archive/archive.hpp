// The archive module's interface to the store: writing a family's records
// into an archive file, and reading one back (verified first). The records
// come from, and go to, the caller (store/local/rocks_archive.cpp): this
// module knows the file format, not the engine.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "store/archive/format.hpp"
#include "store/archive/reader.hpp"
#include "store/progress.hpp"
#include "store/result.hpp"
#include "store/snapshots.hpp"

namespace gcfs::archive {

using RecordEmit = std::function<Status(std::string_view key, std::string_view value)>;
// Calls `emit` for each record of a family, in key order, until it fails.
using RecordSource = std::function<Status(const RecordEmit& emit)>;

// Streams the records to `path` (written as path.tmp, renamed at the end, so
// a failed export never leaves a half archive under `path`). `h` has every
// field but `entries`, which is counted. `progress` gets bytes written of
// h.stored.
Result<ArchiveSummary> write(Header h, const std::string& path, const RecordSource& records,
                             const Progress& progress);

// Pass 1 of an import: reads and verifies the whole archive (framing and
// every record) for a store of `chunk_size`. `parts_check` gets the
// trailer's check over all parts, which replay() compares.
Result<ArchiveSummary> verify(const std::string& path, uint32_t chunk_size,
                              const Progress& progress, uint64_t* parts_check);

// Pass 2: calls `part` with each part's records (archive::for_each_record
// decodes them), then checks that the file is still the one verify() saw.
using PartSink = std::function<Status(std::string_view raw, uint32_t records)>;
Status replay(const std::string& path, uint64_t verified_check, const PartSink& part,
              const Progress& progress);

// "archive refused: ..." with the same code.
Error refused(const Error& e);

}  // namespace gcfs::archive
