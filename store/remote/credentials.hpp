// Credentials for AUTH, from a file or the environment, never from a URL or
// the command line (which `ps` shows).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "store/result.hpp"

namespace gcfs::remote {

struct Credentials {
  std::string user;      // empty: AUTH with the password alone (default user)
  std::string password;  // empty: no AUTH
};

// Reads `path`: one line (password) or two lines (user, then password);
// trailing CR/LF is ignored, anything more is refused. A file readable by
// group or others is accepted with a warning in the log.
Result<Credentials> load_credentials_file(const std::string& path);

// `path` when given, else GOCACHEFS_REMOTE_PASSWORD / GOCACHEFS_REMOTE_USER
// through `getenv` (injectable for tests), else none.
using GetEnv = std::function<std::optional<std::string>(const char*)>;
Result<Credentials> load_credentials(const std::string& path, const GetEnv& getenv);
Result<Credentials> load_credentials(const std::string& path);

}  // namespace gcfs::remote
