#include "tools/gocachectl/env.hpp"

#include <cstdio>

#include "tools/gocachectl/client.hpp"

namespace gcfs::ctl {

namespace {
// `go env GOVERSION` of the go in PATH; "" when there is none.
std::string go_version() {
  std::FILE* p = ::popen("go env GOVERSION 2>/dev/null", "r");
  if (p == nullptr) return "";
  char buf[128] = {};
  std::string out;
  while (std::fgets(buf, sizeof(buf), p) != nullptr) out += buf;
  ::pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}
}  // namespace

control::json env_reply(const std::string& store_dir) {
  control::json info = run_request(store_dir, {{"cmd", "info"}});
  if (!info.value("ok", false)) return info;
  const control::json& r = info["result"];
  std::string gocache = r.value("mountpoint", "");
  std::string version;
  if (r.value("mode", "") == "multi") {
    version = go_version();
    if (version.empty()) return control::fail("no go in PATH (go env GOVERSION failed)");
    gocache += "/" + version;
  }
  control::json result = {{"GOCACHE", gocache}, {"go_version", version}, {"daemon", r}};
  return control::ok(result);
}

}  // namespace gcfs::ctl
