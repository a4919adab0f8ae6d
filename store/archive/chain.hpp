// A base archive and its deltas read as one stream: the records of the
// content the last file describes, in key order. Each file is read part by
// part (Reader checks its framing); the files are merged by key, a later
// file's record or deletion replacing an earlier one's. Checked here: the
// chain's shape (a full archive first, then deltas each naming the content of
// the file before it as its base), increasing keys within each file, and no
// deletion outside a delta. What the records mean is RecordChecker's.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "store/archive/reader.hpp"

namespace gcfs::archive {

class Chain {
 public:
  static Result<std::unique_ptr<Chain>> open(const std::vector<std::string>& paths);

  // The next record of the composed content (deletions applied): views valid
  // until the next call. false at the end, once every file's trailer was read
  // and checked.
  Result<bool> next(std::string_view* key, std::string_view* value);

  const Reader& file(size_t i) const { return *inputs_[i].reader; }
  size_t files() const { return inputs_.size(); }
  // The last file's header: the composed content's totals and content id.
  const Header& head() const { return inputs_.back().reader->header(); }
  uint64_t offset() const;
  uint64_t total_size() const;

 private:
  struct Input {
    std::string path;
    std::unique_ptr<Reader> reader;
    std::string raw;        // the current part's records
    std::string_view rest;  // of raw, after the current record
    uint32_t left = 0;      // records of the part after the current one
    Record rec;             // the current record (views into raw)
    std::string last_key;   // for the order check across parts
    bool valid = false;     // rec holds a record
  };
  Status advance(Input& in);

  std::vector<Input> inputs_;
  std::vector<size_t> consumed_;  // inputs whose record the last next() used up
};

}  // namespace gcfs::archive
