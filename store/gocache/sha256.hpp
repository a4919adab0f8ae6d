// SHA-256 (nettle): the Go command names an output by the SHA-256 of its
// bytes, so a body that does not hash to its output ID is refused before it
// can be served under that name.
#pragma once

#include <nettle/sha2.h>

#include <string_view>

#include "store/gocache/go_hash.hpp"

namespace gcfs::gocache {

class Sha256 {
 public:
  Sha256() { sha256_init(&ctx_); }
  void update(std::string_view bytes) {
    sha256_update(&ctx_, bytes.size(), reinterpret_cast<const uint8_t*>(bytes.data()));
  }
  // The digest; the object starts over afterwards.
  GoHash digest() {
    GoHash h{};
    sha256_digest(&ctx_, h.size(), h.data());
    return h;
  }

 private:
  sha256_ctx ctx_;
};

}  // namespace gcfs::gocache
