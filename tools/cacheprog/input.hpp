// The go command's side of the pipe: a buffered reader over stdin that can
// wait with a timeout (to notice the go command went quiet) and read either
// request lines or a body's characters.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace gcfs::cacheprog {

class Input {
 public:
  explicit Input(int fd) : fd_(fd) {}

  // True once input is there (or the end of it) within `timeout`.
  bool wait(std::chrono::milliseconds timeout);

  enum class Line { ok, eof, too_long, error };
  // The next line without its '\n'; lines longer than `max` are an error.
  Line read_line(std::string* line, size_t max);
  // The next byte, or -1 at the end of input (or an error: error() says).
  int get();
  // Bytes up to (not including) `stop`, at most `max`: appended to `out`;
  // *stopped once `stop` was found (and consumed). 0 at the end of input.
  size_t read_until(char stop, std::string* out, size_t max, bool* stopped);
  bool error() const { return error_; }

 private:
  bool fill();  // more bytes into buf_; false at the end of input

  int fd_;
  std::string buf_;
  size_t pos_ = 0;
  bool eof_ = false;
  bool error_ = false;
};

}  // namespace gcfs::cacheprog
