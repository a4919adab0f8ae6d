// Which transport the daemon picks from --transport and the fuse module's
// enable_uring parameter, and the one-line error when `uring` cannot be had.
#include <gtest/gtest.h>

#include "fusefs/daemon/uring_transport.hpp"

using gcfs::fusefs::parse_transport;
using gcfs::fusefs::plan_transport;
using gcfs::fusefs::TransportMode;

TEST(TransportPlan, ParsesTheThreeKinds) {
  EXPECT_EQ(parse_transport("auto"), TransportMode::automatic);
  EXPECT_EQ(parse_transport("uring"), TransportMode::uring);
  EXPECT_EQ(parse_transport("dev"), TransportMode::dev);
  EXPECT_FALSE(parse_transport("io_uring").has_value());
  EXPECT_FALSE(parse_transport("").has_value());
}

TEST(TransportPlan, AutoTakesUringWhereTheKernelHasItOn) {
  auto p = plan_transport(TransportMode::automatic, "Y", false);
  ASSERT_TRUE(p.is_ok());
  EXPECT_TRUE(p->uring);
}

TEST(TransportPlan, AutoFallsBackAndSaysWhy) {
  auto off = plan_transport(TransportMode::automatic, "N", false);
  ASSERT_TRUE(off.is_ok());
  EXPECT_FALSE(off->uring);
  EXPECT_NE(off->why.find("echo 1 > /sys/module/fuse/parameters/enable_uring"), std::string::npos)
      << off->why;
  auto none = plan_transport(TransportMode::automatic, "", false);
  ASSERT_TRUE(none.is_ok());
  EXPECT_FALSE(none->uring);
  EXPECT_NE(none->why.find("6.14"), std::string::npos) << none->why;
}

TEST(TransportPlan, AutoStaysOnDevFuseWithARemote) {
  auto p = plan_transport(TransportMode::automatic, "Y", true);
  ASSERT_TRUE(p.is_ok());
  EXPECT_FALSE(p->uring);
  EXPECT_NE(p->why.find("--remote"), std::string::npos) << p->why;
  auto forced = plan_transport(TransportMode::uring, "Y", true);
  ASSERT_TRUE(forced.is_ok());
  EXPECT_TRUE(forced->uring);
}

TEST(TransportPlan, UringRefusesWithoutTheKernelSetting) {
  auto p = plan_transport(TransportMode::uring, "N", false);
  ASSERT_FALSE(p.is_ok());
  EXPECT_EQ(p.error().message(),
            "--transport uring: FUSE over io_uring is off (as root: echo 1 > "
            "/sys/module/fuse/parameters/enable_uring)");
}

TEST(TransportPlan, DevNeverUsesUring) {
  auto p = plan_transport(TransportMode::dev, "Y", false);
  ASSERT_TRUE(p.is_ok());
  EXPECT_FALSE(p->uring);
}
