// Whole-file bytes for tests that build, damage and compare archive files.
#pragma once

#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

namespace gcfs::test {

inline std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

inline void spit(const std::string& path, std::string_view bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace gcfs::test
