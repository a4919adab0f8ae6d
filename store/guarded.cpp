#include "store/guarded.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace gcfs {

void log_escaped(std::string_view what, const char* why) noexcept {
  try {
    spdlog::error("{}: unexpected error: {}", what, why);
  } catch (...) {
    // The logger itself failed (e.g. out of memory): stderr, unformatted.
    std::fprintf(stderr, "gocachefs: %.*s: unexpected error: %s\n", static_cast<int>(what.size()),
                 what.data(), why);
  }
}

void log_terminate() {
  std::set_terminate([] {
    std::string why = "std::terminate without an exception";
    try {
      if (auto e = std::current_exception()) std::rethrow_exception(e);
    } catch (const std::exception& e) {
      why = e.what();
    } catch (...) {
      why = "unknown exception";
    }
    std::fprintf(stderr, "gocachefs: fatal: uncaught exception: %s\n", why.c_str());
    try {
      spdlog::critical("fatal: uncaught exception: {}", why);
      spdlog::shutdown();
    } catch (...) {
    }
    std::abort();
  });
}

}  // namespace gcfs
