// Sizes, durations and numbers from command lines and control requests:
// plain values in range are read, everything else is refused, never cast.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "policy/rules/parse.hpp"

namespace gcfs::policy {
namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

TEST(ParseSize, Units) {
  EXPECT_EQ(parse_size("20G"), uint64_t{20} << 30);
  EXPECT_EQ(parse_size("512M"), uint64_t{512} << 20);
  EXPECT_EQ(parse_size("64k"), uint64_t{64} << 10);
  EXPECT_EQ(parse_size("1.5G"), uint64_t{3} << 29);
  EXPECT_EQ(parse_size("4096"), 4096u);
  EXPECT_EQ(parse_size("2GiB"), uint64_t{2} << 30);
  EXPECT_EQ(parse_size("10MB"), uint64_t{10} << 20);
  EXPECT_EQ(parse_size("1T"), uint64_t{1} << 40);
  EXPECT_EQ(parse_size("0"), 0u);
  EXPECT_EQ(parse_size("1e3"), 1000u);
}

TEST(ParseSize, RefusesNanInfNegativesOverflowAndGarbage) {
  for (const char* bad :
       {"",          "nan",  "NaN",  "-nan", "nanG",   "inf",   "-inf",
        "infinity",  "infG", "-1G",  "-0",   "-1",     "1e400", "18446744073709551616",
        "16777216T", "1e30", "12X",  "1GG",  "G",      "1 G",   " 1G",
        "+1G",       "1G ",  "0x10", "1,5G", "1.5.5G", "ten"}) {
    EXPECT_EQ(parse_size(bad), std::nullopt) << "'" << bad << "'";
  }
  // The largest sizes that fit: 2^64 - 2048 is the largest double below 2^64.
  EXPECT_EQ(parse_size("16777215T"), uint64_t{16777215} << 40);
  EXPECT_EQ(parse_size("18446744073709549568"), kMax - 2047);
}

TEST(ParseDuration, Units) {
  EXPECT_EQ(parse_duration_seconds("90"), 90u);
  EXPECT_EQ(parse_duration_seconds("90s"), 90u);
  EXPECT_EQ(parse_duration_seconds("30m"), 1800u);
  EXPECT_EQ(parse_duration_seconds("12h"), 43200u);
  EXPECT_EQ(parse_duration_seconds("5d"), 432000u);
  EXPECT_EQ(parse_duration_seconds("2w"), 1209600u);
  EXPECT_EQ(parse_duration_seconds("0"), 0u);
}

TEST(ParseDuration, RefusesNanInfNegativesOverflowAndGarbage) {
  for (const char* bad : {"",
                          "nan",
                          "inf",
                          "-5",
                          "-5d",
                          "+5d",
                          "1.5h",
                          "5 d",
                          " 5d",
                          "5d ",
                          "5y",
                          "d",
                          "5dd",
                          "18446744073709551616",
                          "99999999999999999999d",
                          "3000000000000000000w",
                          "9223372037",
                          "153722868m",
                          "2562048h",
                          "106752d",
                          "15251w",
                          "soon"}) {
    EXPECT_EQ(parse_duration_seconds(bad), std::nullopt) << "'" << bad << "'";
  }
  // Up to what nanoseconds in an int64_t hold: 9,223,372,036 s.
  EXPECT_EQ(parse_duration_seconds("9223372036"), 9223372036u);
  EXPECT_EQ(parse_duration_seconds("106751d"), uint64_t{106751} * 86400);
}

TEST(ParseCount, DigitsOnly) {
  EXPECT_EQ(parse_count("0"), 0u);
  EXPECT_EQ(parse_count("262144"), 262144u);
  EXPECT_EQ(parse_count("18446744073709551615"), kMax);
  for (const char* bad : {"", "-1", "+1", "18446744073709551616", "99999999999999999999", "1.5",
                          "1e3", "nan", "inf", " 1", "1 ", "1k", "0x10"}) {
    EXPECT_EQ(parse_count(bad), std::nullopt) << "'" << bad << "'";
  }
}

TEST(ParseNumber, RangeAndRefusals) {
  EXPECT_EQ(parse_number("90", 1, 100), 90.0);
  EXPECT_EQ(parse_number("0.5", 0, 1), 0.5);
  EXPECT_EQ(parse_number("1e2", 1, 100), 100.0);
  EXPECT_EQ(parse_number("1", 1, 100), 1.0);
  EXPECT_EQ(parse_number("0", 0, 1), 0.0);
  for (const char* bad : {"", "nan", "NAN", "-nan", "inf", "-inf", "infinity", "1e400", "101",
                          "0.99", "-1", "90%", " 90", "90 ", "+90", "0x10", "ninety"}) {
    EXPECT_EQ(parse_number(bad, 1, 100), std::nullopt) << "'" << bad << "'";
  }
  EXPECT_EQ(parse_number("1e308", 0, std::numeric_limits<double>::max()), 1e308);
}

}  // namespace
}  // namespace gcfs::policy
