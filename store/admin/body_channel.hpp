// Binary bodies on the control socket, for the cacheprog front end's outputs
// (tens of MB: not JSON strings, and past the 64 KiB request-line limit).
// Framing (docs/gocachectl.md, "cache.get and cache.put"):
//   - a request line whose object has "body_bytes": "<N>" (decimal) is
//     followed by exactly N raw bytes;
//   - a reply whose "result" has "body_bytes": N is followed by exactly N
//     raw bytes;
//   - a request body the command did not read to its end, or a reply body
//     that could not be sent whole, ends the connection after the reply: the
//     stream cannot be trusted to be at a line boundary any more.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>

#include "store/result.hpp"

namespace gcfs::control {

class BodyChannel {
 public:
  virtual ~BodyChannel() = default;
  // Bytes the request declared.
  virtual uint64_t request_bytes() const = 0;
  // The request's body: up to out.size() bytes, 0 at its end.
  virtual Result<size_t> read(std::span<char> out) = 0;
  using Send = std::function<Status(std::string_view)>;
  using Producer = std::function<Status(const Send&)>;
  // After the reply line, `size` bytes made by `produce` (which must send
  // exactly that many). The reply's result must say "body_bytes": size.
  virtual void reply_body(uint64_t size, Producer produce) = 0;
};

}  // namespace gcfs::control
