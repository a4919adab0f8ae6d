#include "tools/gocachectl/env.hpp"

#include "tools/gocachectl/client.hpp"
#include "tools/gocachectl/go_version.hpp"

namespace gcfs::ctl {

control::json env_reply(const std::string& store_dir, const std::string& go) {
  control::json info = run_request(store_dir, {{"cmd", "info"}});
  if (!info.value("ok", false)) return info;
  const control::json& r = info["result"];
  std::string gocache = r.value("mountpoint", "");
  std::string version;
  if (r.value("mode", "") == "multi") {
    auto ns = toolchain_namespace(go);
    if (!ns) return control::fail(ns.error().message());
    version = *ns;
    gocache += "/" + version;
  }
  control::json result = {
      {"GOCACHE", gocache}, {"go_version", version}, {"namespace", version}, {"daemon", r}};
  return control::ok(result);
}

}  // namespace gcfs::ctl
