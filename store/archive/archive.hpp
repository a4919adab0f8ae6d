// The archive module's interface to the store: writing a family's records
// into an archive file, and reading one back (verified first). The records
// come from, and go to, the caller (store/local/rocks_archive.cpp): this
// module knows the file format, not the engine.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "store/archive/format.hpp"
#include "store/archive/reader.hpp"
#include "store/progress.hpp"
#include "store/result.hpp"
#include "store/snapshots.hpp"

namespace gcfs::archive {

using RecordEmit = std::function<Status(const Record& rec)>;
// Calls `emit` for each record (or, in a delta, deletion) of a family, in key
// order, until it fails; then sets the header's content (and a delta's base)
// id.
using RecordSource = std::function<Status(const RecordEmit& emit, Header* h)>;

// Streams the records to `path` (written as path.tmp, renamed at the end, so
// a failed export never leaves a half archive under `path`). `h` has every
// field but `entries`, which is counted, and the ids, which `records` sets.
// `progress` gets bytes written of h.stored.
Result<ArchiveSummary> write(Header h, const std::string& path, const RecordSource& records,
                             const Progress& progress);

// Pass 1 of an import: reads and verifies a full archive and the deltas that
// follow it (framing, the chain, every record of the composed content and its
// content id) for a store of `chunk_size`. `checks` gets each file's trailer
// check over its parts, which replay() compares.
Result<ArchiveSummary> verify(const std::vector<std::string>& paths, uint32_t chunk_size,
                              const Progress& progress, std::vector<uint64_t>* checks);

// Pass 2: calls `sink` with each record of the composed content, in key
// order, then checks that the files are still the ones verify() saw.
using RecordSink = std::function<Status(std::string_view key, std::string_view value)>;
Status replay(const std::vector<std::string>& paths, const std::vector<uint64_t>& verified,
              const RecordSink& sink, const Progress& progress);

// "archive refused: ..." with the same code.
Error refused(const Error& e);

}  // namespace gcfs::archive
