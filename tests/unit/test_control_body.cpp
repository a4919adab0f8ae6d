// The control protocol's binary bodies (store/admin/body_channel.hpp): what
// a request declares, reading it from the line reader's leftovers and then
// the socket, and when the connection can go on.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "store/admin/body_socket.hpp"

namespace gcfs::control {
namespace {

using nlohmann::json;

class Pair : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds_), 0); }
  void TearDown() override {
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  int server() const { return fds_[0]; }
  int client() const { return fds_[1]; }
  std::string read_all(SocketBody& b) {
    std::string out;
    char buf[7];
    for (;;) {
      auto n = b.read(std::span<char>(buf, sizeof(buf)));
      EXPECT_TRUE(n);
      if (!n || *n == 0) return out;
      out.append(buf, *n);
    }
  }
  int fds_[2];
};

TEST(DeclaredBody, OnlyADecimalStringInRange) {
  EXPECT_EQ(declared_body(json{{"cmd", "stats"}}), 0u);
  EXPECT_EQ(declared_body(json{{"body_bytes", "12"}}), 12u);
  EXPECT_EQ(declared_body(json{{"body_bytes", "0"}}), 0u);
  for (const json& bad :
       {json{{"body_bytes", 12}}, json{{"body_bytes", ""}}, json{{"body_bytes", "12x"}},
        json{{"body_bytes", "-1"}}, json{{"body_bytes", "99999999999"}}}) {
    EXPECT_FALSE(declared_body(bad)) << bad.dump();
  }
}

TEST_F(Pair, TheBodyComesFromTheLeftoverThenTheSocket) {
  std::string leftover = "hello ";
  ASSERT_TRUE(send_all(client(), "world, and the next request"));
  SocketBody b(server(), &leftover);
  b.begin(json{{"body_bytes", "11"}});
  EXPECT_EQ(b.request_bytes(), 11u);
  EXPECT_EQ(read_all(b), "hello world");
  EXPECT_TRUE(b.end());
  char rest[64] = {};
  ASSERT_GT(::read(server(), rest, sizeof(rest)), 0);
  EXPECT_STREQ(rest, ", and the next request");  // never read past the body
}

TEST_F(Pair, ABodyNotReadToItsEndEndsTheConnection) {
  std::string leftover;
  ASSERT_TRUE(send_all(client(), "0123456789"));
  SocketBody b(server(), &leftover);
  b.begin(json{{"body_bytes", "10"}});
  char buf[4];
  ASSERT_TRUE(b.read(std::span<char>(buf, sizeof(buf))));
  EXPECT_FALSE(b.end());
  b.begin(json{{"body_bytes", "x"}});  // malformed: the stream cannot be trusted
  EXPECT_FALSE(b.end());
  b.begin(json{{"cmd", "stats"}});
  EXPECT_TRUE(b.end());
}

TEST_F(Pair, ACutBodyIsAnError) {
  std::string leftover;
  ASSERT_TRUE(send_all(client(), "abc"));
  ::shutdown(client(), SHUT_WR);
  SocketBody b(server(), &leftover);
  b.begin(json{{"body_bytes", "10"}});
  char buf[16];
  auto n = b.read(std::span<char>(buf, sizeof(buf)));
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 3u);
  auto cut = b.read(std::span<char>(buf, sizeof(buf)));
  ASSERT_FALSE(cut);
  EXPECT_NE(cut.error().message().find("after 3 of 10 bytes"), std::string::npos);
}

TEST_F(Pair, AReplyBodyFollowsTheReplyWhole) {
  std::string leftover;
  SocketBody b(server(), &leftover);
  b.begin(json{{"cmd", "cache.get"}});
  b.reply_body(8, [](const BodyChannel::Send& send) {
    if (auto s = send("abcd"); !s) return s;
    return send("efgh");
  });
  EXPECT_TRUE(b.end());
  char got[16] = {};
  ASSERT_EQ(::read(client(), got, sizeof(got)), 8);
  EXPECT_STREQ(got, "abcdefgh");
  // A producer that sends less than it promised ends the connection.
  b.begin(json{{"cmd", "cache.get"}});
  b.reply_body(8, [](const BodyChannel::Send& send) { return send("abc"); });
  EXPECT_FALSE(b.end());
}

}  // namespace
}  // namespace gcfs::control
