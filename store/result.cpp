// Names of error codes, for log lines and messages.
#include "store/result.hpp"

namespace gcfs {

const char* errc_name(Errc e) {
  switch (e) {
    case Errc::ok:
      return "ok";
    case Errc::not_found:
      return "not_found";
    case Errc::exists:
      return "exists";
    case Errc::not_dir:
      return "not_dir";
    case Errc::is_dir:
      return "is_dir";
    case Errc::not_empty:
      return "not_empty";
    case Errc::invalid:
      return "invalid";
    case Errc::name_too_long:
      return "name_too_long";
    case Errc::no_space:
      return "no_space";
    case Errc::too_big:
      return "too_big";
    case Errc::corrupt:
      return "corrupt";
    case Errc::io:
      return "io";
    case Errc::read_only:
      return "read_only";
    case Errc::busy:
      return "busy";
    case Errc::not_supported:
      return "not_supported";
    case Errc::permission:
      return "permission";
    case Errc::cross_device:
      return "cross_device";
    case Errc::no_attr:
      return "no_attr";
    case Errc::attr_too_big:
      return "attr_too_big";
    case Errc::too_many_links:
      return "too_many_links";
  }
  return "unknown";
}

}  // namespace gcfs
