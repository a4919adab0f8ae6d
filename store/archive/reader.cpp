#include "store/archive/reader.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <xxhash.h>

#include <cerrno>
#include <cstring>

#include "store/local/keys.hpp"

namespace gcfs::archive {

Result<std::unique_ptr<Reader>> Reader::open(const std::string& path) {
  std::unique_ptr<Reader> r(new Reader());
  r->f_ = std::fopen(path.c_str(), "rb");
  if (r->f_ == nullptr) {
    Errc code = errno == ENOENT ? Errc::not_found : errno == EACCES ? Errc::permission : Errc::io;
    return Error(code, fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  }
  struct stat st {};
  if (fstat(fileno(r->f_), &st) == 0) r->file_size_ = static_cast<uint64_t>(st.st_size);
  std::string head;
  // Read the magic and version first: a wrong version is reported as such
  // even when the rest of the header layout differs.
  if (auto s = r->read_exact(12, &head, "header"); !s) return s;
  if (auto h = decode_header(head); !h && h.code() != Errc::corrupt) return h.error();
  std::string rest;
  const uint32_t version = keys::get_u32be(head.data() + 8);
  if (auto s = r->read_exact(header_size(version) - 12, &rest, "header"); !s) return s;
  auto h = decode_header(head + rest);
  if (!h) return h.error();
  r->header_ = std::move(h).value();
  return r;
}

Reader::~Reader() {
  if (f_ != nullptr) std::fclose(f_);
}

Status Reader::read_exact(size_t n, std::string* out, std::string_view what) {
  out->resize(n);
  size_t got = n == 0 ? 0 : std::fread(out->data(), 1, n, f_);
  offset_ += got;
  if (got != n) {
    if (std::ferror(f_)) return Error(Errc::io, fmt::format("reading the {}", what));
    return Error(Errc::corrupt, fmt::format("truncated archive (in the {})", what));
  }
  return Status::ok();
}

Result<bool> Reader::next(std::string* raw, uint32_t* records) {
  if (done_) return false;
  std::string tag;
  if (auto s = read_exact(4, &tag, "part header"); !s) return s;
  if (is_trailer_tag(tag)) {
    std::string rest;
    if (auto s = read_exact(kTrailerSize - 4, &rest, "trailer"); !s) return s;
    auto t = decode_trailer(tag + rest);
    if (!t) return t.error();
    if (t->parts != parts_ || t->entries != entries_ || t->raw_bytes != raw_bytes_) {
      return Error(Errc::corrupt, "trailer counts do not match the parts");
    }
    if (t->parts_check != XXH3_64bits(checks_.data(), checks_.size())) {
      return Error(Errc::corrupt, "trailer part checksum mismatch");
    }
    if (entries_ != header_.entries) {
      return Error(Errc::corrupt, "entry count does not match the header");
    }
    if (std::fgetc(f_) != EOF) return Error(Errc::corrupt, "data after the end of the archive");
    trailer_ = *t;
    done_ = true;
    return false;
  }
  std::string frame_rest;
  if (auto s = read_exact(kFrameSize - 4, &frame_rest, "part header"); !s) return s;
  const std::string frame = tag + frame_rest;
  auto f = decode_frame(frame);
  if (!f) return f.error();
  if (file_size_ != 0 && f->stored_len > file_size_ - std::min(file_size_, offset_)) {
    return Error(Errc::corrupt, "truncated archive (part longer than the file)");
  }
  std::string payload;
  if (auto s = read_exact(f->stored_len, &payload, "part"); !s) return s;
  if (auto s = decode_payload(parts_, frame, *f, payload, raw); !s) return s;
  keys::put_u64be(checks_, f->check);
  ++parts_;
  entries_ += f->records;
  raw_bytes_ += f->raw_len;
  *records = f->records;
  return true;
}

Status next_record(std::string_view* raw, Record* out) {
  if (raw->size() < 6) return Error(Errc::corrupt, "record header runs past its part");
  const size_t klen =
      (static_cast<unsigned char>((*raw)[0]) << 8) | static_cast<unsigned char>((*raw)[1]);
  const uint32_t vlen = keys::get_u32be(raw->data() + 2);
  const bool deleted = vlen == kDeleted;
  const size_t value_len = deleted ? 0 : vlen;
  if (raw->size() - 6 < klen || raw->size() - 6 - klen < value_len) {
    return Error(Errc::corrupt, "record runs past its part");
  }
  out->key = raw->substr(6, klen);
  out->value = raw->substr(6 + klen, value_len);
  out->deleted = deleted;
  raw->remove_prefix(6 + klen + value_len);
  return Status::ok();
}

Status for_each_record(std::string_view raw, uint32_t records,
                       const std::function<Status(const Record&)>& emit) {
  Record rec;
  for (uint32_t i = 0; i < records; ++i) {
    GCFS_TRY(next_record(&raw, &rec));
    GCFS_TRY(emit(rec));
  }
  if (!raw.empty()) return Error(Errc::corrupt, "bytes after the last record of a part");
  return Status::ok();
}

}  // namespace gcfs::archive
