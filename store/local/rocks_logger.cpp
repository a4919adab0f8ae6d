#include "store/local/rocks_logger.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>

namespace gcfs {

namespace {

class SpdlogRocksLogger : public rocksdb::Logger {
 public:
  // Only warnings and worse: RocksDB's info chatter is not for operators.
  SpdlogRocksLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    char buf[1024];
    std::vsnprintf(buf, sizeof buf, format, ap);
    auto l = level >= rocksdb::InfoLogLevel::ERROR_LEVEL ? spdlog::level::err : spdlog::level::warn;
    spdlog::log(l, "rocksdb: {}", buf);
  }
};

}  // namespace

std::shared_ptr<rocksdb::Logger> make_spdlog_rocks_logger() {
  return std::make_shared<SpdlogRocksLogger>();
}

}  // namespace gcfs
