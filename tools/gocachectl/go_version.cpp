#include "tools/gocachectl/go_version.hpp"

#include <fmt/format.h>
#include <xxhash.h>

#include <sstream>
#include <vector>

#include "tools/gocachectl/run_capture.hpp"

namespace gcfs::ctl {

namespace {

std::string trimmed(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) {
    s.remove_suffix(1);
  }
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return std::string(s);
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(trimmed(l));
  return out;
}

// The child must not start a cache helper of its own for `go env`.
const std::vector<std::string> kNoHelper = {"GOCACHEPROG"};

}  // namespace

bool is_go_version(std::string_view v) {
  return v.size() > 2 && v.starts_with("go") && v[2] >= '0' && v[2] <= '9';
}

std::string namespace_for_version(std::string_view goversion) {
  const std::string v = trimmed(goversion);
  std::string name;
  bool gap = false;
  for (char c : v) {
    if (c < 0x21 || c > 0x7e || c == '/') {
      gap = true;
      continue;
    }
    if (gap && !name.empty()) name += '-';
    gap = false;
    name += c;
  }
  if (name.size() > 64) {
    name = fmt::format("{}-{:016x}", name.substr(0, 47), XXH3_64bits(v.data(), v.size()));
  }
  if (name == "." || name == "..") name = "go-" + name;
  return name;
}

Result<std::string> toolchain_namespace(const std::string& go) {
  auto env = run_capture({go, "env", "GOVERSION", "GCCGO"}, kNoHelper);
  if (!env)
    return Error(env.code(), fmt::format("{} env GOVERSION: {}", go, env.error().message()));
  auto l = lines(*env);
  const std::string version = l.empty() ? std::string() : l[0];
  if (is_go_version(version)) return namespace_for_version(version);
  const std::string gccgo = l.size() > 1 ? l[1] : std::string();
  if (gccgo.empty()) {
    return Error(Errc::invalid,
                 fmt::format("{} reports no Go version (GOVERSION \"{}\")", go, version));
  }
  auto v = run_capture({gccgo, "-dumpfullversion"});
  if (!v || trimmed(*v).empty()) {
    return Error(Errc::invalid, fmt::format("{} reports GOVERSION \"{}\" and its compiler {} no "
                                            "version: cannot name its namespace",
                                            go, version, gccgo));
  }
  return namespace_for_version("gccgo-" + trimmed(*v));
}

}  // namespace gcfs::ctl
