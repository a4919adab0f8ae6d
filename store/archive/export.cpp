// snapshot export: streams a snapshot family into one archive file, one part
// (<= 4 MiB of records) in memory at a time. Written as FILE.tmp and renamed
// at the end, so a failed export never leaves a half archive under FILE.
// FILE.tmp is flock'ed from open to rename: a second export to the same FILE
// (two CI jobs saving one cache path) is refused instead of interleaving its
// bytes with the first one's.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "store/archive/archive.hpp"
#include "store/archive/reader.hpp"
#include "store/codec/bytes.hpp"

namespace gcfs::archive {

namespace {

class OutFile {
 public:
  explicit OutFile(std::string path) : path_(std::move(path)) {}
  ~OutFile() {
    if (f_ != nullptr) {
      std::remove(path_.c_str());  // not committed: leave nothing behind (lock still held)
      std::fclose(f_);
    }
  }
  Status open() {
    // A finished export renames its FILE.tmp before it unlocks: a lock won on
    // a file no longer named FILE.tmp is stale, and the name is opened again.
    for (int attempt = 0; attempt < 3; ++attempt) {
      const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
      if (fd < 0) return fail("cannot create");
      if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) {
          ::close(fd);
          return Error(Errc::busy, fmt::format("another export is writing {}", path_));
        }
        return fail_closing(fd, "locking");
      }
      struct stat held, named;
      if (::fstat(fd, &held) == 0 && ::stat(path_.c_str(), &named) == 0 &&
          held.st_dev == named.st_dev && held.st_ino == named.st_ino) {
        if (S_ISREG(held.st_mode) && ::ftruncate(fd, 0) != 0) return fail_closing(fd, "truncating");
        f_ = ::fdopen(fd, "wb");
        if (f_ == nullptr) return fail_closing(fd, "cannot create");
        return Status::ok();
      }
      ::close(fd);
    }
    return Error(Errc::busy, fmt::format("another export is writing {}", path_));
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
  // Renamed while the lock is held, then closed (which unlocks).
  Status commit(const std::string& final_path) {
    if (std::fflush(f_) != 0 || ::fsync(fileno(f_)) != 0) return fail("flushing");
    if (std::rename(path_.c_str(), final_path.c_str()) != 0) return fail("renaming");
    std::FILE* f = f_;
    f_ = nullptr;
    if (std::fclose(f) != 0) return fail("closing");
    return Status::ok();
  }
  uint64_t written() const { return written_; }

 private:
  // fail() for an error on `fd`, which is closed first (keeping errno).
  Status fail_closing(int fd, std::string_view what) {
    const int e = errno;
    ::close(fd);
    errno = e;
    return fail(what);
  }
  Status fail(std::string_view what) {
    Errc code = errno == ENOSPC ? Errc::no_space : errno == EACCES ? Errc::permission : Errc::io;
    return Error(code, fmt::format("{} {}: {}", what, path_, std::strerror(errno)));
  }
  std::string path_;
  std::FILE* f_ = nullptr;
  uint64_t written_ = 0;
};

}  // namespace

Result<ArchiveSummary> write(Header h, const std::string& path, const RecordSource& records,
                             const Progress& progress) {
  OutFile out(path + ".tmp");
  if (auto s = out.open(); !s) return s;
  if (auto s = out.write(encode_header(h)); !s) return s;

  Trailer t;
  std::string raw, checks;
  uint32_t count = 0;
  auto flush = [&]() -> Status {
    if (count == 0) return Status::ok();
    uint64_t check = 0;
    if (auto s = out.write(encode_part(t.parts, raw, count, &check)); !s) return s;
    bytes::put_u64be(checks, check);
    ++t.parts;
    t.entries += count;
    t.raw_bytes += raw.size();
    raw.clear();
    count = 0;
    if (progress) progress(t.raw_bytes, h.stored);
    return Status::ok();
  };
  GCFS_TRY(records(
      [&](const Record& rec) -> Status {
        const size_t size = 6 + rec.key.size() + rec.value.size();
        if (size > kMaxPartRaw || rec.key.size() > 0xffff || rec.value.size() >= kDeleted) {
          return Error(Errc::not_supported, "a record does not fit an archive part");
        }
        if (raw.size() + size > kMaxPartRaw) GCFS_TRY(flush());
        if (rec.deleted) {
          append_deletion(raw, rec.key);
        } else {
          append_record(raw, rec.key, rec.value);
        }
        ++count;
        return Status::ok();
      },
      &h));
  GCFS_TRY(flush());
  t.parts_check = XXH3_64bits(checks.data(), checks.size());
  GCFS_TRY(out.write(encode_trailer(t)));
  h.entries = t.entries;
  GCFS_TRY(out.rewrite_head(encode_header(h)));
  const uint64_t size = out.written();
  GCFS_TRY(out.commit(path));

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
  sum.content_id = h.content.hex();
  if (h.delta()) sum.base_id = h.base.hex();
  return sum;
}

}  // namespace gcfs::archive
