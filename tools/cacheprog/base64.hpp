// Standard base64 (with padding), as Go's encoding/json writes []byte fields
// and the body of a put (nettle's codec).
#pragma once

#include <nettle/base64.h>

#include <optional>
#include <string>
#include <string_view>

namespace gcfs::cacheprog {

std::string base64_encode(std::string_view bytes);
// nullopt for anything that is not valid base64.
std::optional<std::string> base64_decode(std::string_view text);

// Decodes a base64 text arriving in pieces.
class Base64Decoder {
 public:
  Base64Decoder() { base64_decode_init(&ctx_); }
  // Appends the bytes of `text` to `out`; false on an invalid character.
  bool update(std::string_view text, std::string* out);
  // False if the text ended in the middle of a group or with bad padding.
  bool final() { return base64_decode_final(&ctx_) == 1; }

 private:
  base64_decode_ctx ctx_;
};

}  // namespace gcfs::cacheprog
