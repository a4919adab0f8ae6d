// The value of an `I` key: an inode's attributes and, for small regular files
// and symlinks, its data (encoded as chunk 0 of the inode, see chunk.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "store/result.hpp"
#include "store/types.hpp"

namespace gcfs {

struct InodeRecord {
  uint32_t mode = 0;  // with the S_IFMT type bits
  uint32_t nlink = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t size = 0;    // logical size (symlink: target length)
  uint64_t stored = 0;  // bytes its file data takes: inline value or sum of chunk values
  Timespec atime, mtime, ctime;
  // Directories: the parent directory, so rename can refuse to move a
  // directory into its own subtree by walking up. 0 for other inodes.
  Ino parent = 0;
  // Character and block devices: the device number; 0 for other inodes.
  uint64_t rdev = 0;
  // Regular files: data lives in `C` chunks with an `M` map (else inline).
  bool chunked = false;
  // The inode has extended attributes (`X` records): without the flag a
  // getxattr needs no second read and a purge no scan.
  bool xattrs = false;
  // Inline data or symlink target, encoded as chunk 0; empty = none.
  std::string data;

  bool is_dir() const;
  bool is_reg() const;
  bool is_symlink() const;
  // A fifo, socket, character or block device: a type and no data.
  bool is_special() const;
  Attr to_attr(Ino ino) const;
};

std::string serialize_inode(const InodeRecord& rec);
// Errc::corrupt (naming `ino`) for a truncated, garbled or unknown record.
Result<InodeRecord> parse_inode(std::string_view value, Ino ino);

}  // namespace gcfs
