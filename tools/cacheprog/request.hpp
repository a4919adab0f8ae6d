// One request of the go command (ProgRequest in cmd/go/internal/cache/
// prog.go): a JSON object per line, {"ID", "Command", "ActionID",
// "ObjectID", "BodySize"}, IDs as base64 of 32 bytes. Fields it does not
// know are ignored (later Go versions may add some).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "store/gocache/go_hash.hpp"

namespace gcfs::cacheprog {

struct Request {
  int64_t id = 0;
  std::string command;
  std::optional<gocache::GoHash> action;  // get, put
  std::optional<gocache::GoHash> object;  // put: the output ID
  uint64_t body_size = 0;                 // put
};

// The request on `line`, or a one-line reason it is not one.
std::variant<Request, std::string> parse_request(const std::string& line);

}  // namespace gcfs::cacheprog
