// Text in and out of the control protocol. nlohmann's dump() throws on a
// string that is not UTF-8, and replies carry names the requester did not
// choose (store paths, file names found by verify): every reply is written
// through to_text(), which cannot throw on content.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace gcfs::control {

// One line (indent < 0) or indented; invalid UTF-8 becomes U+FFFD.
std::string to_text(const nlohmann::json& j, int indent = -1);

// Well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF): what a JSON string can carry.
bool valid_utf8(std::string_view s);

// `s` for a one-line message: invalid UTF-8 as U+FFFD, control characters
// (newlines included) as '?'.
std::string printable(std::string_view s);

}  // namespace gcfs::control
