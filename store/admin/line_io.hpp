// One JSON object per line over a Unix stream socket, both ways.
#pragma once

#include <chrono>
#include <string>

namespace gcfs::control {

// Path of the daemon's control socket in a store directory.
std::string socket_path(const std::string& store_dir);

// Reads up to and without the next '\n' (limited to max bytes). False on EOF,
// error or an over-long line. For gocachectl reading replies, which may be
// long (verify's list of damaged files) and slow (an export's minutes).
bool read_line(int fd, std::string* line, std::string* buffer, size_t max = size_t{64} << 20);

enum class LineStatus { line, eof, too_long, timed_out, error };

// The daemon's reader: like read_line, but gives up at `deadline` and never
// buffers more than max + 1 bytes of an unfinished line, so a client can
// neither hold a connection open forever nor make the daemon buffer without
// bound. Bytes after the line stay in `buffer` for the next call.
LineStatus read_line_until(int fd, std::string* line, std::string* buffer, size_t max,
                           std::chrono::steady_clock::time_point deadline);

// Writes all of `line` plus '\n'. False on error (peer gone, or the socket's
// SO_SNDTIMEO passed).
bool write_line(int fd, const std::string& line);

}  // namespace gcfs::control
