#include "tools/cacheprog/daemon_backend.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include "store/admin/control.hpp"
#include "store/admin/line_io.hpp"

namespace gcfs::cacheprog {

namespace {

using nlohmann::json;

// The error of a reply with "ok": false.
Error reply_error(const json& reply) {
  const int exit = reply.value("exit", 1);
  return Error(exit == control::kNotAvailable ? Errc::busy : Errc::io,
               "daemon: " + reply.value("error", std::string("failed")));
}

}  // namespace

Result<std::unique_ptr<DaemonBackend>> DaemonBackend::connect(const std::string& store_dir,
                                                              const std::string& ns,
                                                              Materializer& files) {
  auto conn = DaemonConn::connect(control::socket_path(store_dir));
  if (!conn) return conn.status();
  // Also the admission check: a daemon at its connection limit says busy
  // here, before a put's body is on its way.
  auto info = (*conn)->request({{"cmd", "info"}});
  if (!info) return info.status();
  if (!info->value("ok", false)) return reply_error(*info);
  const json& r = (*info)["result"];
  const std::string mnt = r.value("mountpoint", "");
  const bool shows = r.value("mode", "") == "multi" || r.value("namespace", "") == ns;
  const bool mount_ok = shows && !mnt.empty() && ::access(mnt.c_str(), R_OK | X_OK) == 0;
  return std::unique_ptr<DaemonBackend>(new DaemonBackend(std::move(*conn), ns, mount_ok, files));
}

bool DaemonBackend::usable() { return conn_ && !conn_->stale(); }

Result<std::string> DaemonBackend::fetch(const gocache::GoHash& action,
                                         const gocache::GoHash& output, uint64_t size) {
  if (auto p = files_.find(output, size)) return *p;
  auto reply = conn_->request({{"cmd", "cache.get"},
                               {"ns", ns_},
                               {"action", gocache::to_hex(action)},
                               {"want_body", true}});
  if (!reply) return reply.status();
  if (!reply->value("ok", false)) return reply_error(*reply);
  const json& r = (*reply)["result"];
  // Evicted or replaced since the first request: a miss would be right, but
  // rare; the caller reports it as an error.
  if (!r.value("hit", false) || r.value("output", "") != gocache::to_hex(output)) {
    return Error(Errc::not_found, "the entry changed between two requests");
  }
  const uint64_t n = r.value("body_bytes", uint64_t{0});
  auto file = files_.create(output);
  Status s = file ? Status::ok() : file.status();
  // Read the whole body even when the file failed: the connection stays in step.
  Status body = conn_->read_body(
      n, [&](std::string_view bytes) { return s ? (s = (*file)->write(bytes)) : Status::ok(); });
  if (!body) {
    conn_.reset();
    return body;
  }
  if (!s) return s;
  return (*file)->commit();
}

Result<std::optional<Hit>> DaemonBackend::get(const gocache::GoHash& action) {
  using Miss = std::optional<Hit>;
  if (!conn_) return Error(Errc::io, "the control connection was lost");
  auto reply =
      conn_->request({{"cmd", "cache.get"}, {"ns", ns_}, {"action", gocache::to_hex(action)}});
  if (!reply) {
    conn_.reset();
    return reply.status();
  }
  if (!reply->value("ok", false)) return reply_error(*reply);
  const json& r = (*reply)["result"];
  if (!r.value("hit", false)) return Miss();
  auto output = gocache::hash_from_hex(r.value("output", ""));
  if (!output) return Error(Errc::io, "daemon: a hit without an output ID");
  Hit hit{*output, r.value("size", uint64_t{0}), r.value("time_ns", int64_t{0}), ""};
  if (mount_ok_ && r.contains("disk_path")) {
    hit.disk_path = r.value("disk_path", "");
    return Miss(hit);
  }
  auto path = fetch(action, *output, hit.size);
  if (!path) return path.status();
  hit.disk_path = *path;
  return Miss(hit);
}

Result<std::string> DaemonBackend::put(const gocache::GoHash& action, const gocache::GoHash& output,
                                       uint64_t size, gocache::BodyReader& body) {
  if (!conn_) return Error(Errc::io, "the control connection was lost");
  std::optional<std::string> have;
  std::unique_ptr<OutputFile> file;
  if (!mount_ok_) {
    have = files_.find(output, size);
    if (!have) {
      auto f = files_.create(output);
      if (!f) return f.status();
      file = std::move(*f);
    }
  }
  gocache::BodyTee tee;
  if (file) tee = [&](std::string_view bytes) { return file->write(bytes); };
  TeeReader reader(body, tee);
  auto reply = conn_->request({{"cmd", "cache.put"},
                               {"ns", ns_},
                               {"action", gocache::to_hex(action)},
                               {"output", gocache::to_hex(output)},
                               {"body_bytes", std::to_string(size)}},
                              &reader, size);
  if (!reply) {
    conn_.reset();  // a body cut short leaves the stream mid-way
    return reply.status();
  }
  if (!reply->value("ok", false)) {
    conn_.reset();  // the daemon may not have read the body
    return reply_error(*reply);
  }
  const json& r = (*reply)["result"];
  if (mount_ok_ && r.contains("disk_path")) return r.value("disk_path", "");
  if (have) return *have;
  if (file) return file->commit();
  return Error(Errc::io, "daemon: no disk path for the output");
}

}  // namespace gcfs::cacheprog
