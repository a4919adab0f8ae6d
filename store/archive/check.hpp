// What import's first pass checks about the records of an archive: every key
// is one of the namespace schema's keys with the right length, in strictly
// increasing order; inode records, dentries and chunks decode and verify with
// the store's own codecs; the counters equal a recount and the header.
#pragma once

#include <set>
#include <string>
#include <string_view>

#include "store/archive/format.hpp"
#include "store/types.hpp"

namespace gcfs::archive {

class RecordChecker {
 public:
  // `whole`: the records are a whole namespace (a full archive, or a chain
  // composed); false for a delta checked alone, whose records need not
  // include what they refer to.
  RecordChecker(const Header& header, uint32_t chunk_size, bool whole = true)
      : header_(header), chunk_size_(chunk_size), whole_(whole) {}
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
  bool whole_ = true;
  std::string last_key_;
  bool any_ = false;
  bool root_ = false;
  uint64_t next_ino_ = 0;
  Ino max_ino_ = 0;
  NsStats counted_;             // recount from the records
  NsStats counters_;            // the `S` values
  std::set<Ino> with_xattrs_;   // inodes whose record says they have `X` records
  std::set<Ino> multi_linked_;  // non-directories with two or more links (`K` records)
};

}  // namespace gcfs::archive
