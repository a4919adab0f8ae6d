#include "tools/cacheprog/materializer.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <vector>

#include "store/gocache/layout.hpp"

namespace gcfs::cacheprog {

namespace {

constexpr int64_t kMarkEvery = 600;  // s: a use rewrites the mtime at most this often

Error sys_error(const std::string& what) {
  return Error(errno == ENOSPC ? Errc::no_space : Errc::io,
               fmt::format("{}: {}", what, std::strerror(errno)));
}

int64_t now_s() { return static_cast<int64_t>(std::time(nullptr)); }

struct Found {
  std::string path;
  int64_t mtime = 0;
  uint64_t bytes = 0;
  bool tmp = false;
};

}  // namespace

std::string default_materialize_dir() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x == '/') {
    return std::string(x) + "/gocachefs/outputs";
  }
  if (const char* h = std::getenv("HOME"); h && *h == '/') {
    return std::string(h) + "/.cache/gocachefs/outputs";
  }
  return "";
}

std::string Materializer::path_of(const gocache::GoHash& output) const {
  return o_.dir + "/" + gocache::output_path(output);
}

std::optional<std::string> Materializer::find(const gocache::GoHash& output, uint64_t size) {
  std::string p = path_of(output);
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<uint64_t>(st.st_size) != size) {
    return std::nullopt;
  }
  if (now_s() - st.st_mtim.tv_sec > kMarkEvery) (void)::utimensat(AT_FDCWD, p.c_str(), nullptr, 0);
  return p;
}

Status Materializer::ensure_dir(const std::string& dir, mode_t mode) {
  if (::mkdir(dir.c_str(), mode) == 0 || errno == EEXIST) return Status::ok();
  return sys_error("mkdir " + dir);
}

Result<std::unique_ptr<OutputFile>> Materializer::create(const gocache::GoHash& output) {
  if (o_.dir.empty()) {
    return Error(Errc::invalid, "no directory for output files: set HOME or --outputs");
  }
  // ~/.cache may not exist yet: the levels above are made as mkdir -p would.
  for (size_t at = o_.dir.find('/', 1); at != std::string::npos; at = o_.dir.find('/', at + 1)) {
    (void)::mkdir(o_.dir.substr(0, at).c_str(), 0700);
  }
  if (auto s = ensure_dir(o_.dir, 0700); !s) return s;
  const std::string sub = o_.dir + "/" + gocache::subdir_of(output);
  if (auto s = ensure_dir(sub, 0755); !s) return s;
  std::random_device rd;
  const std::string tmp = fmt::format("{}/.tmp-{}-{:08x}", sub, ::getpid(), rd());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return sys_error("create " + tmp);
  return std::make_unique<OutputFile>(fd, tmp, path_of(output), output);
}

OutputFile::~OutputFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(tmp_.c_str());
}

Status OutputFile::write(std::string_view bytes) {
  sha_.update(bytes);
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error("write " + tmp_);
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::ok();
}

Result<std::string> OutputFile::commit() {
  if (sha_.digest() != output_) {
    return Error(Errc::corrupt,
                 fmt::format("bytes of output {} do not hash to its ID", gocache::to_hex(output_)));
  }
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) return sys_error("close " + tmp_);
  if (::rename(tmp_.c_str(), path_.c_str()) != 0) return sys_error("rename " + tmp_);
  committed_ = true;
  return path_;
}

Status Materializer::trim() {
  const std::string stamp = o_.dir + "/trim.txt";
  struct stat st {};
  const int64_t now = now_s();
  if (::stat(stamp.c_str(), &st) == 0 && now - st.st_mtim.tv_sec < o_.trim_every.count()) {
    return Status::ok();
  }
  if (::stat(o_.dir.c_str(), &st) != 0) return Status::ok();  // nothing made yet
  const int fd = ::open(stamp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd >= 0) ::close(fd);
  std::vector<Found> files;
  uint64_t total = 0;
  for (int i = 0; i < 256; ++i) {
    const std::string sub = fmt::format("{}/{:02x}", o_.dir, i);
    DIR* d = ::opendir(sub.c_str());
    if (d == nullptr) continue;
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] == '.' && (e->d_name[1] == '\0' || e->d_name[1] == '.')) continue;
      Found f{sub + "/" + e->d_name, 0, 0, std::strncmp(e->d_name, ".tmp-", 5) == 0};
      if (::lstat(f.path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      f.mtime = st.st_mtim.tv_sec;
      f.bytes = static_cast<uint64_t>(st.st_blocks) * 512;
      total += f.bytes;
      files.push_back(std::move(f));
    }
    ::closedir(d);
  }
  std::sort(files.begin(), files.end(),
            [](const Found& a, const Found& b) { return a.mtime < b.mtime; });
  const int64_t cutoff = now - o_.keep_used.count();
  for (const Found& f : files) {
    if (f.mtime >= cutoff) break;  // in use, or may be: kept even past the limit
    if (!f.tmp && total <= o_.max_bytes) continue;
    if (::unlink(f.path.c_str()) == 0) total -= std::min(total, f.bytes);
  }
  return Status::ok();
}

}  // namespace gcfs::cacheprog
