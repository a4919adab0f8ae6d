// CLI11 checks built on policy/parse.hpp, shared by gocachefs, gocachectl and
// gocachefs-health-check. CLI11 2.1's own number checks (Range,
// PositiveNumber, ...) let "nan" through, since every comparison with it is
// false, and its conversion reads "inf": a value then reaches a cast to an
// integer, which is undefined.
#pragma once

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <string>

#include "policy/rules/parse.hpp"

namespace gcfs::cli {

// A finite decimal number in [min, max].
inline CLI::Validator number_in(double min, double max) {
  return CLI::Validator(
      [min, max](std::string& v) -> std::string {
        if (policy::parse_number(v, min, max)) return {};
        return fmt::format("not a number from {:g} to {:g}: {}", min, max, v);
      },
      fmt::format("NUMBER in [{:g} - {:g}]", min, max));
}

// A whole number of things, 0 to 2^64-1 (CLI11 2.1 reads "-1" as 2^64-1).
inline CLI::Validator count() {
  return CLI::Validator(
      [](std::string& v) -> std::string {
        return policy::parse_count(v) ? std::string() : "not a count (0, 1, 2, ...): " + v;
      },
      "COUNT");
}

// A size as policy::parse_size reads it ("20G").
inline CLI::Validator size() {
  return CLI::Validator(
      [](std::string& v) -> std::string {
        return policy::parse_size(v) ? std::string() : "not a size (e.g. 20G, 512M): " + v;
      },
      "SIZE");
}

// A duration as policy::parse_duration_seconds reads it ("5d").
inline CLI::Validator duration() {
  return CLI::Validator(
      [](std::string& v) -> std::string {
        return policy::parse_duration_seconds(v) ? std::string()
                                                 : "not a duration (e.g. 5d, 12h): " + v;
      },
      "DURATION");
}

}  // namespace gcfs::cli
