// Bytes of a put, arriving in pieces (from the go command's base64 line, or
// from the control socket), so an output of tens of MB is never held twice.
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <string_view>

#include "store/result.hpp"

namespace gcfs::gocache {

class BodyReader {
 public:
  virtual ~BodyReader() = default;
  // Up to out.size() bytes; 0 when the body has no more.
  virtual Result<size_t> read(std::span<char> out) = 0;
};

// Receives each piece of a body as it passes (a copy kept elsewhere).
using BodyTee = std::function<Status(std::string_view)>;

}  // namespace gcfs::gocache
