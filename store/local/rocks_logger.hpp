// RocksDB's info log, forwarded to spdlog: no LOG files in the store
// directory (a refused open must leave the store untouched, and LOG
// rotation would touch it before the lock is even tried).
#pragma once

#include <rocksdb/env.h>

#include <memory>

namespace gcfs {

std::shared_ptr<rocksdb::Logger> make_spdlog_rocks_logger();

}  // namespace gcfs
