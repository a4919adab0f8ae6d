// One JSON object per line over a Unix stream socket, both ways.
#pragma once

#include <string>

namespace gcfs::control {

// Path of the daemon's control socket in a store directory.
std::string socket_path(const std::string& store_dir);

// Reads up to and without the next '\n' (limited to max bytes). False on EOF,
// error or an over-long line.
bool read_line(int fd, std::string* line, std::string* buffer, size_t max = 1 << 20);
// Writes all of `line` plus '\n'. False on error (peer gone).
bool write_line(int fd, const std::string& line);

}  // namespace gcfs::control
