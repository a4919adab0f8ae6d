#include "policy/rules/parse.hpp"

#include <charconv>
#include <cmath>
#include <limits>

namespace gcfs::policy {

namespace {

// The whole text as a finite double; from_chars also reads "nan" and "inf".
std::optional<double> finite_prefix(std::string_view text, std::string_view* rest) {
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end == text.data() || !std::isfinite(v)) return std::nullopt;
  *rest = text.substr(static_cast<size_t>(end - text.data()));
  return v;
}

// 1024^n for a unit letter, 0 if it is none.
double unit_factor(char c) {
  switch (c) {
    case 'k':
    case 'K':
      return 1024.0;
    case 'm':
    case 'M':
      return 1024.0 * 1024;
    case 'g':
    case 'G':
      return 1024.0 * 1024 * 1024;
    case 't':
    case 'T':
      return 1024.0 * 1024 * 1024 * 1024;
    default:
      return 0;
  }
}

}  // namespace

std::optional<uint64_t> parse_size(std::string_view text) {
  std::string_view unit;
  auto number = finite_prefix(text, &unit);
  if (!number || std::signbit(*number)) return std::nullopt;  // also "-0"
  if (unit.ends_with("iB") || unit.ends_with("ib")) unit.remove_suffix(2);
  if (unit.ends_with("B") || unit.ends_with("b")) unit.remove_suffix(1);
  if (unit.size() > 1) return std::nullopt;
  const double mult = unit.empty() ? 1.0 : unit_factor(unit[0]);
  if (mult == 0) return std::nullopt;
  const double bytes = std::floor(*number * mult);
  // 2^64 is exact as a double: anything from it up does not fit (and the
  // cast would be undefined).
  if (!(bytes < 18446744073709551616.0)) return std::nullopt;
  return static_cast<uint64_t>(bytes);
}

std::optional<uint64_t> parse_duration_seconds(std::string_view text) {
  uint64_t number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || end == text.data()) return std::nullopt;  // also "-5", overflow
  const std::string_view unit(end, static_cast<size_t>(text.data() + text.size() - end));
  uint64_t mult = 0;
  if (unit == "" || unit == "s") mult = 1;
  if (unit == "m") mult = 60;
  if (unit == "h") mult = 3600;
  if (unit == "d") mult = 86400;
  if (unit == "w") mult = 7 * 86400;
  if (mult == 0) return std::nullopt;
  // Users turn it into nanoseconds in an int64_t.
  constexpr uint64_t kMaxSeconds = std::numeric_limits<int64_t>::max() / 1'000'000'000;
  if (number > kMaxSeconds / mult) return std::nullopt;
  return number * mult;
}

std::optional<uint64_t> parse_count(std::string_view text) {
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end == text.data() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return n;
}

std::optional<double> parse_number(std::string_view text, double min, double max) {
  std::string_view rest;
  auto v = finite_prefix(text, &rest);
  if (!v || !rest.empty() || *v < min || *v > max) return std::nullopt;
  return v;
}

}  // namespace gcfs::policy
