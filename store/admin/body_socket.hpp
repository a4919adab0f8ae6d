// BodyChannel over one control connection (the daemon's side of the framing
// in body_channel.hpp). Per request: begin() with the parsed request, the
// command reads and queues through the channel, end() after the reply line.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "store/admin/body_channel.hpp"

namespace gcfs::control {

// Largest request body: above Go's largest outputs (~35 MB) with room.
constexpr uint64_t kMaxBodyBytes = uint64_t{4} << 30;
// A body that stops arriving for this long fails its request.
constexpr std::chrono::seconds kBodyIdle{10};

// The body a request declares: 0 without "body_bytes", nullopt when the
// field is malformed (not a decimal string, or above kMaxBodyBytes).
std::optional<uint64_t> declared_body(const nlohmann::json& request);

class SocketBody final : public BodyChannel {
 public:
  // `buffer`: bytes already read from fd past the request line.
  SocketBody(int fd, std::string* buffer) : fd_(fd), buffer_(buffer) {}

  void begin(const nlohmann::json& request);
  uint64_t request_bytes() const override { return declared_; }
  Result<size_t> read(std::span<char> out) override;
  void reply_body(uint64_t size, Producer produce) override;
  // After the reply line: sends the queued reply body. False when the
  // connection must end (see body_channel.hpp).
  bool end();

 private:
  int fd_;
  std::string* buffer_;
  uint64_t declared_ = 0;
  uint64_t consumed_ = 0;
  bool trusted_ = true;  // the stream is at a request boundary after this body
  uint64_t reply_size_ = 0;
  Producer reply_;
};

// Sends all of `bytes` (MSG_NOSIGNAL).
Status send_all(int fd, std::string_view bytes);

}  // namespace gcfs::control
