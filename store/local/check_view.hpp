// The records of one namespace as the integrity check reads them: one fixed
// view (a RocksDB snapshot, with repair's pending batch on top), so the
// check's logic (check_scan.cpp, check_rules.cpp) sees no RocksDB type.
// rocks_check.cpp implements it.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "store/result.hpp"

namespace gcfs {

class CheckView {
 public:
  virtual ~CheckView() = default;
  using Visit = std::function<bool(std::string_view key, std::string_view value)>;
  // Visits every record with from <= key < to (to "" = no end) in key order
  // until `visit` returns false.
  virtual Status scan(std::string_view from, std::string_view to, const Visit& visit) = 0;
  // The value of one key (nullopt when absent).
  virtual Result<std::optional<std::string>> get(std::string_view key) = 0;
};

// One change repair makes: a put, or a delete when `value` is empty.
struct Fix {
  std::string key;
  std::optional<std::string> value;
};

}  // namespace gcfs
