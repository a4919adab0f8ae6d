// The body of a put as the go command sends it (cmd/go/internal/cache/
// prog.go): after the request line, a JSON string of the bytes in base64 on
// a line of its own, `"...."`. Decoded as it is read, so a 35 MB output is
// never held as a 47 MB line. Anything else where the body should be (no
// opening quote, a character outside base64, the end of input, more or
// fewer bytes than BodySize) is a protocol error: the stream cannot be
// trusted after it, and the helper ends (server.cpp).
#pragma once

#include <optional>
#include <string>

#include "store/gocache/body.hpp"
#include "tools/cacheprog/base64.hpp"
#include "tools/cacheprog/input.hpp"

namespace gcfs::cacheprog {

class BodyLine final : public gocache::BodyReader {
 public:
  BodyLine(Input& in, uint64_t size) : in_(in), size_(size), done_(size == 0) {}

  Result<size_t> read(std::span<char> out) override;
  // Reads (and drops) what the consumer left, to the closing quote: the
  // input is at the next request afterwards, or protocol_error() says why not.
  void finish();
  const std::optional<std::string>& protocol_error() const { return error_; }

 private:
  bool start();  // past the opening quote
  bool more();   // decodes the next piece into pending_

  Input& in_;
  const uint64_t size_;
  uint64_t decoded_ = 0;
  bool started_ = false;
  bool done_;
  Base64Decoder decoder_;
  std::string pending_;  // decoded, not yet handed out
  size_t pending_at_ = 0;
  std::optional<std::string> error_;
};

}  // namespace gcfs::cacheprog
