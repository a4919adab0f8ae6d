#include "tools/cacheprog/request.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "store/admin/json_text.hpp"
#include "tools/cacheprog/base64.hpp"

namespace gcfs::cacheprog {

namespace {

using nlohmann::json;

// An ID field: absent is fine (nullopt in *out), anything but 32 bytes of
// base64 is not.
std::optional<std::string> id_field(const json& j, const char* key,
                                    std::optional<gocache::GoHash>* out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) return fmt::format("{} is not a string", key);
  auto bytes = base64_decode(it->get_ref<const std::string&>());
  if (!bytes) return fmt::format("{} is not base64", key);
  *out = gocache::hash_from_bytes(*bytes);
  if (!*out) return fmt::format("{} has {} bytes, not 32", key, bytes->size());
  return std::nullopt;
}

}  // namespace

std::variant<Request, std::string> parse_request(const std::string& line) {
  const json j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return "not a JSON object: " + control::printable(line.substr(0, 80));
  }
  Request r;
  auto id = j.find("ID");
  if (id == j.end() || !id->is_number_integer()) return std::string("no integer \"ID\"");
  r.id = id->get<int64_t>();
  auto cmd = j.find("Command");
  if (cmd == j.end() || !cmd->is_string()) return std::string("no string \"Command\"");
  r.command = cmd->get<std::string>();
  if (auto why = id_field(j, "ActionID", &r.action)) return *why;
  if (auto why = id_field(j, "ObjectID", &r.object)) return *why;
  auto size = j.find("BodySize");
  if (size != j.end() && !size->is_null()) {
    if (!size->is_number_integer() || size->get<int64_t>() < 0) {
      return std::string("\"BodySize\" is not a size");
    }
    r.body_size = size->get<uint64_t>();
  }
  return r;
}

}  // namespace gcfs::cacheprog
