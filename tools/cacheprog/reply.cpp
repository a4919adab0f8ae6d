#include "tools/cacheprog/reply.hpp"

#include <fmt/format.h>
#include <time.h>

#include <nlohmann/json.hpp>

#include "store/admin/json_text.hpp"
#include "tools/cacheprog/base64.hpp"

namespace gcfs::cacheprog {

namespace {
using nlohmann::json;
std::string line(const json& j) { return control::to_text(j); }
}  // namespace

std::string rfc3339_nano(int64_t unix_ns) {
  int64_t sec = unix_ns / 1000000000, nsec = unix_ns % 1000000000;
  if (nsec < 0) {
    nsec += 1000000000;
    --sec;
  }
  const time_t t = static_cast<time_t>(sec);
  tm utc{};
  ::gmtime_r(&t, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, nsec);
}

std::string capabilities_line() {
  return line({{"ID", 0}, {"KnownCommands", {"get", "put", "close"}}});
}

std::string miss_line(int64_t id) { return line({{"ID", id}, {"Miss", true}}); }

std::string hit_line(int64_t id, const gocache::GoHash& output, uint64_t size, int64_t time_ns,
                     const std::string& disk_path) {
  const std::string out(reinterpret_cast<const char*>(output.data()), output.size());
  return line({{"ID", id},
               {"OutputID", base64_encode(out)},
               {"Size", size},
               {"Time", rfc3339_nano(time_ns)},
               {"DiskPath", disk_path}});
}

std::string put_line(int64_t id, const std::string& disk_path) {
  return line({{"ID", id}, {"DiskPath", disk_path}});
}

std::string ok_line(int64_t id) { return line({{"ID", id}}); }

std::string error_line(int64_t id, const std::string& error) {
  return line({{"ID", id}, {"Err", error}});
}

}  // namespace gcfs::cacheprog
