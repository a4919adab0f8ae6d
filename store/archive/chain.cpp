#include "store/archive/chain.hpp"

#include <fmt/format.h>

#include <filesystem>

namespace gcfs::archive {

namespace {

std::string base_name(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

}  // namespace

Result<std::unique_ptr<Chain>> Chain::open(const std::vector<std::string>& paths) {
  if (paths.empty()) return Error(Errc::invalid, "no archive given");
  std::unique_ptr<Chain> c(new Chain());
  c->inputs_.resize(paths.size());
  for (size_t i = 0; i < paths.size(); ++i) {
    Input& in = c->inputs_[i];
    in.path = paths[i];
    GCFS_TRY_ASSIGN(in.reader, Reader::open(paths[i]));
    const Header& h = in.reader->header();
    const std::string name = base_name(paths[i]);
    if (i == 0) {
      if (h.delta()) {
        return Error(Errc::invalid,
                     fmt::format("{} is a delta (of content {}): give its base archive first", name,
                                 h.base.hex()));
      }
      if (h.content.none() && paths.size() > 1) {
        return Error(Errc::invalid,
                     fmt::format("{} has no content id (written by an older gocachefs), so no "
                                 "delta can apply to it: export it again",
                                 name));
      }
      continue;
    }
    const Input& prev = c->inputs_[i - 1];
    if (!h.delta()) {
      return Error(
          Errc::invalid,
          fmt::format("{} is a full archive: only deltas may follow the first archive", name));
    }
    if (h.base != prev.reader->header().content) {
      return Error(Errc::invalid, fmt::format("{} is a delta of content {}, not of {} (content {})",
                                              name, h.base.hex(), base_name(prev.path),
                                              prev.reader->header().content.hex()));
    }
    if (h.chunk_size != prev.reader->header().chunk_size) {
      return Error(Errc::invalid,
                   fmt::format("{} has another chunk size than {}", name, base_name(prev.path)));
    }
  }
  for (auto& in : c->inputs_) GCFS_TRY(c->advance(in));
  return c;
}

Status Chain::advance(Input& in) {
  for (;;) {
    if (in.left > 0) {
      GCFS_TRY(next_record(&in.rest, &in.rec));
      --in.left;
      if (in.rec.key.empty()) return Error(Errc::corrupt, "empty key");
      if (!in.last_key.empty() && in.rec.key <= std::string_view(in.last_key)) {
        return Error(Errc::corrupt, "keys out of order");
      }
      if (in.rec.deleted && !in.reader->header().delta()) {
        return Error(Errc::corrupt, "a deletion in a full archive");
      }
      in.last_key.assign(in.rec.key);
      in.valid = true;
      return Status::ok();
    }
    if (!in.rest.empty()) return Error(Errc::corrupt, "bytes after the last record of a part");
    in.valid = false;
    uint32_t records = 0;
    GCFS_TRY_ASSIGN(bool more, in.reader->next(&in.raw, &records));
    if (!more) return Status::ok();
    in.rest = in.raw;
    in.left = records;
  }
}

Result<bool> Chain::next(std::string_view* key, std::string_view* value) {
  for (;;) {
    for (size_t i : consumed_) GCFS_TRY(advance(inputs_[i]));
    consumed_.clear();
    const Input* winner = nullptr;
    std::string_view least;
    for (size_t i = 0; i < inputs_.size(); ++i) {
      const Input& in = inputs_[i];
      if (!in.valid) continue;
      if (winner == nullptr || in.rec.key < least) {
        least = in.rec.key;
        consumed_.clear();
      } else if (in.rec.key != least) {
        continue;
      }
      consumed_.push_back(i);
      winner = &in;  // on equal keys the later file wins
    }
    if (winner == nullptr) return false;
    if (winner->rec.deleted) continue;
    *key = winner->rec.key;
    *value = winner->rec.value;
    return true;
  }
}

uint64_t Chain::offset() const {
  uint64_t n = 0;
  for (const auto& in : inputs_) n += in.reader->offset();
  return n;
}

uint64_t Chain::total_size() const {
  uint64_t n = 0;
  for (const auto& in : inputs_) n += in.reader->file_size();
  return n;
}

}  // namespace gcfs::archive
