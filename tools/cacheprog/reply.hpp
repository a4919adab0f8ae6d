// The helper's answers (ProgResponse in cmd/go/internal/cache/prog.go), one
// JSON object per line on stdout.
#pragma once

#include <cstdint>
#include <string>

#include "store/gocache/go_hash.hpp"

namespace gcfs::cacheprog {

// {"ID":0,"KnownCommands":["get","put","close"]}: the first thing written.
std::string capabilities_line();
std::string miss_line(int64_t id);
std::string hit_line(int64_t id, const gocache::GoHash& output, uint64_t size, int64_t time_ns,
                     const std::string& disk_path);
std::string put_line(int64_t id, const std::string& disk_path);
std::string ok_line(int64_t id);
std::string error_line(int64_t id, const std::string& error);

// Go's time.Time JSON form (RFC 3339, nanoseconds, UTC).
std::string rfc3339_nano(int64_t unix_ns);

}  // namespace gcfs::cacheprog
