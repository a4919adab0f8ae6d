// What import's first pass checks about the records of an archive: every key
// is one of the namespace schema's keys with the right length, in strictly
// increasing order; inode records, dentries and chunks decode and verify with
// the store's own codecs; the counters equal a recount and the header.
#pragma once

#include <string>
#include <string_view>

#include "store/archive/format.hpp"
#include "store/types.hpp"

namespace gcfs::archive {

class RecordChecker {
 public:
  RecordChecker(const Header& header, uint32_t chunk_size)
      : header_(header), chunk_size_(chunk_size) {}
  Status feed(std::string_view key, std::string_view value);
  // A delta's deletion of `key` (checked alone: its place in the order).
  Status feed_deletion(std::string_view key);
  Status finish();
  const NsStats& counted() const { return counted_; }

 private:
  Status check_inode(std::string_view key, std::string_view value);
  Status check_dentry(std::string_view key, std::string_view value);
  Status check_counter(std::string_view key, std::string_view value);

  const Header& header_;
  uint32_t chunk_size_;
  std::string last_key_;
  bool any_ = false;
  bool root_ = false;
  uint64_t next_ino_ = 0;
  Ino max_ino_ = 0;
  NsStats counted_;   // recount from the records
  NsStats counters_;  // the `S` values
};

}  // namespace gcfs::archive
