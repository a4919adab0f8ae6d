// Fault names, classification of server error replies, mapping to Errc.
#include "store/remote/fault.hpp"

#include <fmt/format.h>

namespace gcfs::remote {

const char* fault_name(Fault f) {
  switch (f) {
    case Fault::timeout:
      return "timeout";
    case Fault::refused:
      return "refused";
    case Fault::io:
      return "io";
    case Fault::auth:
      return "auth";
    case Fault::noperm:
      return "noperm";
    case Fault::oom:
      return "oom";
    case Fault::protocol:
      return "protocol";
    case Fault::reply_error:
      return "reply_error";
    case Fault::redirect_loop:
      return "redirect_loop";
    case Fault::cluster_down:
      return "cluster_down";
    case Fault::breaker_open:
      return "breaker_open";
    case Fault::pool_busy:
      return "pool_busy";
    case Fault::cancelled:
      return "cancelled";
    case Fault::corrupt:
      return "corrupt";
    case Fault::too_big:
      return "too_big";
    case Fault::read_only:
      return "read_only";
  }
  return "unknown";
}

bool is_endpoint_fault(Fault f) {
  // AUTH failures count: a misconfigured endpoint is as useless as a dead one
  // and should not be asked again on every lookup.
  return f == Fault::timeout || f == Fault::refused || f == Fault::io || f == Fault::auth ||
         f == Fault::protocol;
}

Fault classify_error_reply(std::string_view text) {
  auto starts = [&](std::string_view p) { return text.substr(0, p.size()) == p; };
  if (starts("NOPERM")) return Fault::noperm;
  if (starts("OOM")) return Fault::oom;
  if (starts("WRONGPASS") || starts("NOAUTH") || starts("ERR invalid password") ||
      starts("ERR AUTH") || starts("ERR Client sent AUTH")) {
    return Fault::auth;
  }
  if (starts("CLUSTERDOWN") || starts("TRYAGAIN")) return Fault::cluster_down;
  return Fault::reply_error;
}

Error Failure::to_error() const {
  Errc code = Errc::io;
  switch (kind) {
    case Fault::auth:
    case Fault::noperm:
      code = Errc::permission;
      break;
    case Fault::oom:
      code = Errc::no_space;
      break;
    case Fault::breaker_open:
    case Fault::pool_busy:
    case Fault::cluster_down:
      code = Errc::busy;
      break;
    case Fault::corrupt:
      code = Errc::corrupt;
      break;
    case Fault::too_big:
      code = Errc::too_big;
      break;
    case Fault::read_only:
      code = Errc::read_only;
      break;
    default:
      break;
  }
  return Error(code, fmt::format("remote {}: {}", fault_name(kind), message));
}

}  // namespace gcfs::remote
