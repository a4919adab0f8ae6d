// The fields each command takes, checked before anything runs: a request of a
// hostile or mistaken client (wrong types, unknown or missing fields, text
// that is not UTF-8 or holds a NUL) gets a one-line usage error, and the
// commands can read their fields without meeting a surprise. A command that
// gains a field must list it here.
#include <fmt/format.h>

#include <array>

#include "store/admin/control.hpp"
#include "store/admin/json_text.hpp"

namespace gcfs::control {

namespace {

using Fields = std::array<std::string_view, 4>;  // "" marks an unused place

struct Spec {
  std::string_view cmd;
  Fields required;            // strings
  Fields optional;            // strings; "" means "not given"
  Fields flags;               // optional booleans
  bool long_running = false;  // minutes on a large store (see long_running())
  Fields lists;               // optional arrays of strings
};

// A restore's deltas: far more than any CI keeps, and a bound on the files
// one request opens at once.
constexpr size_t kMaxListItems = 64;

constexpr std::array<Spec, 21> kSpecs = {{
    {"stats", {}, {"ns"}, {}},
    {"info", {}, {}, {}},
    {"ns.list", {}, {}, {}},
    {"ns.create", {"name"}, {}, {}},
    {"ns.drop", {"name"}, {}, {}},
    {"ns.rename", {"name", "to"}, {}, {}},
    {"snapshot.create", {"name"}, {"ns"}, {}},
    {"snapshot.list", {}, {}, {}},
    {"snapshot.delete", {"name"}, {}, {}},
    {"snapshot.swap", {"name"}, {"ns"}, {}},
    {"snapshot.export", {"name", "file"}, {"since", "since_archive"}, {}, true},
    {"snapshot.import", {"file"}, {"name", "as"}, {}, true, {"deltas"}},
    {"snapshot.restore", {"file"}, {"ns"}, {"keep_old"}, true, {"deltas"}},
    {"verify", {}, {"ns"}, {"repair"}, true},  // repair: gocachectl verify --repair
    {"compact", {}, {}, {}, true},
    {"evict", {"to"}, {}, {"include_recent"}, true},
    {"trim", {"unused_for"}, {}, {"include_recent"}, true},
    // gocachectl cacheprog (cache_cmds.cpp); body_bytes: body_channel.hpp
    {"cache.get", {"ns", "action"}, {}, {"want_body"}},
    {"cache.put", {"ns", "action", "output", "body_bytes"}, {}, {}},
    {"remote.status", {}, {}, {}},
    {"remote.push", {"ns"}, {}, {"force"}, true},  // force: upload pairs the remote has too
}};

const Spec* spec_of(std::string_view cmd) {
  for (const Spec& s : kSpecs) {
    if (s.cmd == cmd) return &s;
  }
  return nullptr;
}

bool listed(const Fields& names, std::string_view name) {
  for (auto n : names) {
    if (!n.empty() && n == name) return true;
  }
  return false;
}

std::optional<std::string> check_text(const std::string& cmd, const std::string& key,
                                      const json& value) {
  if (!value.is_string()) {
    return fmt::format("{}: field \"{}\" must be a string, not {}", cmd, key, value.type_name());
  }
  const std::string& s = value.get_ref<const std::string&>();
  if (!valid_utf8(s)) return fmt::format("{}: field \"{}\" is not valid UTF-8", cmd, key);
  if (s.find('\0') != std::string::npos) {
    return fmt::format("{}: field \"{}\" contains a NUL character", cmd, key);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> check_request(const json& req) {
  if (!req.is_object()) return "malformed request: not a JSON object";
  auto cmd_it = req.find("cmd");
  if (cmd_it == req.end() || !cmd_it->is_string()) {
    return "malformed request: \"cmd\" must be a string";
  }
  const std::string& cmd = cmd_it->get_ref<const std::string&>();
  const Spec* spec = spec_of(cmd);
  if (spec == nullptr) return "unknown command " + printable(cmd).substr(0, 64);
  for (const auto& [key, value] : req.items()) {
    if (key == "cmd") continue;
    if (listed(spec->flags, key)) {
      if (!value.is_boolean()) {
        return fmt::format("{}: field \"{}\" must be a boolean, not {}", cmd, key,
                           value.type_name());
      }
      continue;
    }
    if (listed(spec->lists, key)) {
      if (!value.is_array()) {
        return fmt::format("{}: field \"{}\" must be an array, not {}", cmd, key,
                           value.type_name());
      }
      if (value.size() > kMaxListItems) {
        return fmt::format("{}: field \"{}\" has more than {} items", cmd, key, kMaxListItems);
      }
      for (const auto& item : value) {
        if (auto bad = check_text(cmd, key, item)) return bad;
      }
      continue;
    }
    if (!listed(spec->required, key) && !listed(spec->optional, key)) {
      return fmt::format("{}: unknown field \"{}\"", cmd, printable(key).substr(0, 64));
    }
    if (auto bad = check_text(cmd, key, value)) return bad;
  }
  for (auto field : spec->required) {
    if (!field.empty() && !req.contains(field))
      return fmt::format("{}: missing field \"{}\"", cmd, field);
  }
  return std::nullopt;
}

bool long_running(std::string_view cmd) {
  const Spec* spec = spec_of(cmd);
  return spec != nullptr && spec->long_running;
}

}  // namespace gcfs::control
