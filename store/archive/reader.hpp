// Streaming reader of an archive file: one part in memory at a time. Checks
// the framing (header, part checksums and lengths, trailer, nothing after
// it); what the records mean is checked by archive_check.
#pragma once

#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "store/archive/format.hpp"

namespace gcfs::archive {

class Reader {
 public:
  static Result<std::unique_ptr<Reader>> open(const std::string& path);
  ~Reader();
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  const Header& header() const { return header_; }
  // The next part's raw record bytes; false once the trailer was read and
  // checked against everything before it (then trailer() is valid).
  Result<bool> next(std::string* raw, uint32_t* records);
  const Trailer& trailer() const { return trailer_; }
  uint64_t offset() const { return offset_; }
  uint64_t file_size() const { return file_size_; }

 private:
  Reader() = default;
  Status read_exact(size_t n, std::string* out, std::string_view what);

  std::FILE* f_ = nullptr;
  Header header_;
  Trailer trailer_;
  uint64_t offset_ = 0;
  uint64_t file_size_ = 0;
  uint64_t parts_ = 0;
  uint64_t entries_ = 0;
  uint64_t raw_bytes_ = 0;
  std::string checks_;  // every part check, BE
  bool done_ = false;
};

// One record of a part; `deleted` (deltas only): the key goes, no value.
struct Record {
  std::string_view key;
  std::string_view value;
  bool deleted = false;
};
// Decodes the record at the front of `raw` and drops it from `raw`.
Status next_record(std::string_view* raw, Record* out);
// Calls emit for each of the `records` records of a part.
Status for_each_record(std::string_view raw, uint32_t records,
                       const std::function<Status(const Record&)>& emit);

}  // namespace gcfs::archive
