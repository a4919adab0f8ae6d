#include "tools/cacheprog/base64.hpp"

namespace gcfs::cacheprog {

std::string base64_encode(std::string_view bytes) {
  std::string out(BASE64_ENCODE_RAW_LENGTH(bytes.size()), '\0');
  base64_encode_raw(out.data(), bytes.size(), reinterpret_cast<const uint8_t*>(bytes.data()));
  return out;
}

bool Base64Decoder::update(std::string_view text, std::string* out) {
  const size_t at = out->size();
  out->resize(at + BASE64_DECODE_LENGTH(text.size()));
  size_t n = out->size() - at;
  const int ok = base64_decode_update(&ctx_, &n, reinterpret_cast<uint8_t*>(out->data() + at),
                                      text.size(), text.data());
  out->resize(at + (ok ? n : 0));
  return ok == 1;
}

std::optional<std::string> base64_decode(std::string_view text) {
  Base64Decoder d;
  std::string out;
  if (!d.update(text, &out) || !d.final()) return std::nullopt;
  return out;
}

}  // namespace gcfs::cacheprog
