#include "fusefs/daemon/mountpoint.hpp"

#include <dirent.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace gcfs::fusefs {

namespace {

// /proc/self/mountinfo escapes spaces and such as octal \NNN.
std::string unescape_mount_path(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 3), nullptr, 8)));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

bool is_mount_point(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, mnt;
    fields >> id >> parent >> devno >> root >> mnt;
    if (unescape_mount_path(mnt) == path) return true;
  }
  return false;
}

}  // namespace

Status check_mountpoint(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    int e = errno;
    if (e == ENOTCONN) {
      return Error(Errc::busy, fmt::format("mountpoint {} is a dead FUSE mount; run "
                                           "'fusermount3 -u {}' first",
                                           path, path));
    }
    if (e == ENOENT)
      return Error(Errc::not_found, fmt::format("mountpoint {} does not exist", path));
    return Error(Errc::io, fmt::format("mountpoint {}: {}", path, std::strerror(e)));
  }
  if (!S_ISDIR(st.st_mode)) {
    return Error(Errc::not_dir, fmt::format("mountpoint {} is not a directory", path));
  }
  if (is_mount_point(path)) {
    return Error(Errc::busy, fmt::format("{} is already a mount point", path));
  }
  DIR* d = opendir(path.c_str());
  if (!d) return Error(Errc::io, fmt::format("mountpoint {}: {}", path, std::strerror(errno)));
  bool empty = true;
  while (dirent* de = readdir(d)) {
    if (std::strcmp(de->d_name, ".") != 0 && std::strcmp(de->d_name, "..") != 0) {
      empty = false;
      break;
    }
  }
  closedir(d);
  if (!empty) return Error(Errc::not_empty, fmt::format("mountpoint {} is not empty", path));
  return Status::ok();
}

}  // namespace gcfs::fusefs
