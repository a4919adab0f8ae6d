// Credentials: see credentials.hpp.
#include "store/remote/credentials.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

namespace gcfs::remote {

Result<Credentials> load_credentials_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return Error(Errc::invalid,
                 fmt::format("remote auth file '{}': {}", path, std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    return Error(Errc::invalid, fmt::format("remote auth file '{}': not a regular file", path));
  }
  if (st.st_size > 4096) {
    return Error(Errc::invalid, fmt::format("remote auth file '{}': larger than 4 KiB", path));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(Errc::invalid, fmt::format("remote auth file '{}': cannot read", path));
  if (st.st_mode & (S_IRGRP | S_IROTH)) {
    spdlog::warn("remote auth file '{}' is readable by group or others", path);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(ss, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  Credentials c;
  if (lines.size() == 1) {
    c.password = lines[0];
  } else if (lines.size() == 2) {
    c.user = lines[0];
    c.password = lines[1];
  } else {
    return Error(Errc::invalid,
                 fmt::format("remote auth file '{}': expected one line (password) or two "
                             "(user, password)",
                             path));
  }
  if (c.password.empty() || (lines.size() == 2 && c.user.empty())) {
    return Error(Errc::invalid, fmt::format("remote auth file '{}': empty user or password", path));
  }
  return c;
}

Result<Credentials> load_credentials(const std::string& path, const GetEnv& getenv) {
  if (!path.empty()) return load_credentials_file(path);
  Credentials c;
  if (auto pw = getenv("GOCACHEFS_REMOTE_PASSWORD")) c.password = *pw;
  if (auto user = getenv("GOCACHEFS_REMOTE_USER")) c.user = *user;
  if (!c.user.empty() && c.password.empty()) {
    return Error(Errc::invalid, "GOCACHEFS_REMOTE_USER is set without GOCACHEFS_REMOTE_PASSWORD");
  }
  return c;
}

Result<Credentials> load_credentials(const std::string& path) {
  return load_credentials(path, [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  });
}

}  // namespace gcfs::remote
