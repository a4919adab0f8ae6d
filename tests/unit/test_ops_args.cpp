// The mount.fuse3 command-line form (fusefs/mount_args) and the health
// library's reading of the Prometheus text format (tools/health).
#include <gtest/gtest.h>

#include "fusefs/daemon/mount_args.hpp"
#include "tools/health/health.hpp"

namespace gcfs {
namespace {

using Args = std::vector<std::string>;

Args translate(const Args& in) {
  auto r = fusefs::translate_mount_args(in);
  EXPECT_TRUE(r) << r.error().message();
  return r ? *r : Args{};
}

TEST(MountArgs, PlainCommandLineIsUnchanged) {
  const Args a = {"-f", "--store", "/s", "/mnt", "--log-level", "debug"};
  EXPECT_EQ(translate(a), a);
}

TEST(MountArgs, MountFuse3Form) {
  EXPECT_EQ(translate({"/var/lib/s", "/mnt", "-o", "rw,namespace=go1.19,nodev,nofail,allow_other"}),
            (Args{"--store", "/var/lib/s", "/mnt", "--namespace", "go1.19", "-o",
                  "rw,nodev,allow_other"}));
  EXPECT_EQ(translate({"gocachefs#/s", "/mnt", "-o", "min_free=3"}),
            (Args{"--store", "/s", "/mnt", "--min-free", "3"}));
  EXPECT_EQ(translate({"gocachefs", "/mnt", "-ostore=/s,metrics_listen=off"}),
            (Args{"/mnt", "--store", "/s", "--metrics-listen", "off"}));
  // Size and memory limits work from fstab too.
  EXPECT_EQ(translate({"/s", "/mnt", "-o",
                       "max_size=20G,ns_max_size=5G,cache_size=128M,memtable_size=32M,"
                       "max_inodes=1000"}),
            (Args{"--store", "/s", "/mnt", "--max-size", "20G", "--ns-max-size", "5G",
                  "--cache-size", "128M", "--memtable-size", "32M", "--max-inodes", "1000"}));
}

TEST(MountArgs, Errors) {
  auto r = fusefs::translate_mount_args({"/s", "/mnt", "-o", "namespace=x,bogus=1"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "unknown mount option 'bogus=1'");
  EXPECT_FALSE(fusefs::translate_mount_args({"/s", "/mnt", "-o", "store=/t"}));  // twice
  EXPECT_FALSE(fusefs::translate_mount_args({"/mnt", "-o", "namespace"}));       // no value
  EXPECT_FALSE(fusefs::translate_mount_args({"/mnt", "-o"}));
}

TEST(HealthParse, SamplesLabelsAndSpecialValues) {
  const auto s = health::parse_text_format(
      "# HELP x_total X\n# TYPE x_total counter\n"
      "x_total 12\n"
      "y{namespace=\"go1.19\",op=\"a\\\"b\"} 2.5e-05\n"
      "z{le=\"+Inf\"} +Inf\n"
      "broken line\n");
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].name, "x_total");
  EXPECT_EQ(s[0].value, 12);
  EXPECT_EQ(s[1].labels.at("namespace"), "go1.19");
  EXPECT_EQ(s[1].labels.at("op"), "a\"b");
  EXPECT_DOUBLE_EQ(s[1].value, 2.5e-05);
  EXPECT_TRUE(std::isinf(s[2].value));
}

TEST(HealthReport, WorstStateWins) {
  health::Report r;
  r.checks = {{"a", health::State::ok, "", {}}, {"b", health::State::unknown, "", {}}};
  EXPECT_EQ(r.overall(), health::State::unknown);
  r.checks.push_back({"c", health::State::warning, "", {}});
  EXPECT_EQ(r.overall(), health::State::warning);
  r.checks.push_back({"d", health::State::critical, "", {}});
  EXPECT_EQ(r.overall(), health::State::critical);
  EXPECT_EQ(r.json()["code"], 2);
  EXPECT_EQ(r.text().substr(0, 28), "gocachefs health: CRITICAL (");
}

}  // namespace
}  // namespace gcfs
