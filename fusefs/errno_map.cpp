#include "fusefs/errno_map.hpp"

#include <spdlog/spdlog.h>

#include <cerrno>

namespace gcfs::fusefs {

int to_errno(Errc code) {
  switch (code) {
    case Errc::ok:
      return 0;
    case Errc::not_found:
      return ENOENT;
    case Errc::exists:
      return EEXIST;
    case Errc::not_dir:
      return ENOTDIR;
    case Errc::is_dir:
      return EISDIR;
    case Errc::not_empty:
      return ENOTEMPTY;
    case Errc::invalid:
      return EINVAL;
    case Errc::name_too_long:
      return ENAMETOOLONG;
    case Errc::no_space:
      return ENOSPC;
    case Errc::too_big:
      return EFBIG;
    case Errc::corrupt:
      return EIO;
    case Errc::io:
      return EIO;
    case Errc::read_only:
      return EROFS;
    case Errc::busy:
      return EBUSY;
    case Errc::not_supported:
      return EOPNOTSUPP;
    case Errc::permission:
      return EPERM;
    case Errc::cross_device:
      return EXDEV;
    case Errc::no_attr:
      return ENODATA;
    case Errc::attr_too_big:
      return E2BIG;
    case Errc::too_many_links:
      return EMLINK;
  }
  return EIO;
}

int to_errno(const Error& e) {
  // An error without a message is a plain answer of the FUSE layer itself
  // (EPERM for a device node, EXDEV between namespaces): nothing to log.
  if (e.message().empty()) return to_errno(e.code());
  switch (e.code()) {
    case Errc::corrupt:
      spdlog::error("corrupt data refused: {}", e.message());
      break;
    case Errc::io:
      spdlog::error("store I/O error: {}", e.message());
      break;
    case Errc::no_space:
      spdlog::warn("store disk full: {}", e.message());
      break;
    case Errc::invalid:
    case Errc::read_only:
      spdlog::info("refused: {}", e.message());
      break;
    default:
      break;
  }
  return to_errno(e.code());
}

}  // namespace gcfs::fusefs
