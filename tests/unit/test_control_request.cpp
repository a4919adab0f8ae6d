// The control protocol's defences (store/admin): request checks, UTF-8,
// replies that cannot throw, and the daemon's bounded line reader.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "store/admin/control.hpp"
#include "store/admin/json_text.hpp"
#include "store/admin/line_io.hpp"

using gcfs::control::check_request;
using gcfs::control::json;
using gcfs::control::LineStatus;
using namespace std::chrono_literals;

TEST(ControlRequest, AcceptsWhatGocachectlSends) {
  EXPECT_EQ(check_request({{"cmd", "stats"}, {"ns", ""}}), std::nullopt);
  EXPECT_EQ(check_request({{"cmd", "ns.list"}}), std::nullopt);
  EXPECT_EQ(check_request({{"cmd", "ns.rename"}, {"name", "a"}, {"to", "b"}}), std::nullopt);
  EXPECT_EQ(check_request({{"cmd", "snapshot.import"}, {"name", "a"}, {"as", ""}, {"file", "/x"}}),
            std::nullopt);
  EXPECT_EQ(check_request({{"cmd", "trim"}, {"unused_for", "5d"}}), std::nullopt);
  EXPECT_EQ(check_request({{"cmd", "verify"}, {"ns", ""}, {"repair", true}}), std::nullopt);
  EXPECT_EQ(check_request({{"cmd", "remote.push"}, {"ns", "go1.23.5"}, {"force", false}}),
            std::nullopt);
  EXPECT_EQ(check_request(
                {{"cmd", "snapshot.export"}, {"name", "head"}, {"file", "/d"}, {"since", "base"}}),
            std::nullopt);
  EXPECT_EQ(check_request({{"cmd", "snapshot.restore"},
                           {"file", "/full"},
                           {"deltas", json::array({"/d1", "/d2"})},
                           {"ns", ""}}),
            std::nullopt);
}

TEST(ControlRequest, RefusesMalformedRequestsWithOneLine) {
  const json bad[] = {
      json::array({1}),
      {{"cmd", 5}},
      {{"cmd", "nope"}},
      {{"cmd", "stats"}, {"bogus", "x"}},
      {{"cmd", "stats"}, {"ns", 5}},
      {{"cmd", "ns.create"}, {"name", json::array({"a"})}},
      {{"cmd", "ns.create"}, {"name", nullptr}},
      {{"cmd", "ns.create"}},
      {{"cmd", "snapshot.export"}, {"name", "a"}},
      {{"cmd", "ns.create"}, {"name", std::string("bad\xff")}},
      {{"cmd", "verify"}, {"repair", "yes"}},
      {{"cmd", "stats"}, {"repair", true}},
      {{"cmd", "snapshot.export"}, {"name", "a"}, {"file", std::string("/tmp/x\0y", 8)}},
      {{"cmd", "remote.push"}},
      {{"cmd", "remote.push"}, {"ns", "go1.23.5"}, {"force", "yes"}},
      {{"cmd", "remote.push"}, {"ns", 1}},
      {{"cmd", "remote.push"}, {"ns", "go1.23.5"}, {"remote", "redis://h"}},
      {{"cmd", "snapshot.restore"}, {"file", "/f"}, {"deltas", "/d1"}},
      {{"cmd", "snapshot.restore"}, {"file", "/f"}, {"deltas", json::array({"/d1", 2})}},
      {{"cmd", "snapshot.restore"}, {"file", "/f"}, {"deltas", json::array({"/d\xff"})}},
      {{"cmd", "snapshot.restore"},
       {"file", "/f"},
       {"deltas", json(std::vector<std::string>(65, "/d"))}},
      {{"cmd", "snapshot.export"}, {"name", "a"}, {"file", "/x"}, {"deltas", json::array()}},
      {{"cmd", "snapshot.swap"}, {"name", "a"}, {"since", "b"}},
  };
  for (const auto& req : bad) {
    auto why = check_request(req);
    ASSERT_TRUE(why.has_value()) << req.dump();
    EXPECT_EQ(why->find('\n'), std::string::npos) << *why;
    EXPECT_TRUE(gcfs::control::valid_utf8(*why)) << *why;
  }
  EXPECT_NE(check_request({{"cmd", "stats"}, {"ns", 5}})->find("must be a string"),
            std::string::npos);
  EXPECT_NE(check_request({{"cmd", "stats"}, {"bogus", "x"}})->find("unknown field"),
            std::string::npos);
  EXPECT_NE(check_request({{"cmd", "snapshot.restore"},
                           {"file", "/f"},
                           {"deltas", json(std::vector<std::string>(65, "/d"))}})
                ->find("more than 64 items"),
            std::string::npos);
}

TEST(ControlRequest, LongRunningCommands) {
  for (const char* cmd : {"verify", "snapshot.export", "snapshot.import", "snapshot.restore",
                          "compact", "evict", "trim", "remote.push"}) {
    EXPECT_TRUE(gcfs::control::long_running(cmd)) << cmd;
  }
  for (const char* cmd :
       {"stats", "info", "ns.list", "snapshot.list", "snapshot.swap", "remote.status", "x"}) {
    EXPECT_FALSE(gcfs::control::long_running(cmd)) << cmd;
  }
}

TEST(JsonText, ValidUtf8) {
  using gcfs::control::valid_utf8;
  EXPECT_TRUE(valid_utf8(""));
  EXPECT_TRUE(valid_utf8("go1.19.8"));
  EXPECT_TRUE(valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(valid_utf8("bad\xffname"));
  EXPECT_FALSE(valid_utf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(valid_utf8("\xed\xa0\x80"));      // surrogate U+D800
  EXPECT_FALSE(valid_utf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(valid_utf8("\xe2\x82"));          // truncated
}

TEST(JsonText, RepliesWithInvalidUtf8DoNotThrow) {
  json reply = gcfs::control::fail(std::string("no namespace bad\xffname"));
  EXPECT_THROW((void)reply.dump(), json::type_error);  // why to_text exists
  std::string text;
  EXPECT_NO_THROW(text = gcfs::control::to_text(reply));
  EXPECT_NE(text.find("bad\xef\xbf\xbdname"), std::string::npos) << text;
  EXPECT_EQ(gcfs::control::printable("a\nb\xff"), "a?b\xef\xbf\xbd");
}

class LineReader : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds_), 0); }
  void TearDown() override {
    ::close(fds_[0]);
    if (fds_[1] >= 0) ::close(fds_[1]);
  }
  LineStatus read(std::string* line, std::string* buffer, size_t max,
                  std::chrono::milliseconds wait = 2000ms) {
    return gcfs::control::read_line_until(fds_[0], line, buffer, max,
                                          std::chrono::steady_clock::now() + wait);
  }
  int fds_[2] = {-1, -1};
};

TEST_F(LineReader, ReadsPipelinedLines) {
  ASSERT_TRUE(gcfs::control::write_line(fds_[1], "one"));
  ASSERT_TRUE(gcfs::control::write_line(fds_[1], "two"));
  std::string line, buffer;
  ASSERT_EQ(read(&line, &buffer, 100), LineStatus::line);
  EXPECT_EQ(line, "one");
  ASSERT_EQ(read(&line, &buffer, 100), LineStatus::line);
  EXPECT_EQ(line, "two");
  ::close(fds_[1]);
  fds_[1] = -1;
  EXPECT_EQ(read(&line, &buffer, 100), LineStatus::eof);
}

TEST_F(LineReader, StopsAtMaxWithoutBufferingMore) {
  const std::string big(10000, 'x');  // well within a socket buffer: sent at once
  ASSERT_EQ(::send(fds_[1], big.data(), big.size(), MSG_DONTWAIT),
            static_cast<ssize_t>(big.size()));
  std::string line, buffer;
  EXPECT_EQ(read(&line, &buffer, 1000), LineStatus::too_long);
  EXPECT_LE(buffer.size(), 1001u);
}

TEST_F(LineReader, ALineOfExactlyMaxBytesIsFine) {
  ASSERT_TRUE(gcfs::control::write_line(fds_[1], std::string(1000, 'y')));
  std::string line, buffer;
  EXPECT_EQ(read(&line, &buffer, 1000), LineStatus::line);
  EXPECT_EQ(line.size(), 1000u);
}

TEST_F(LineReader, GivesUpAtTheDeadline) {
  ASSERT_EQ(::send(fds_[1], "partial", 7, 0), 7);
  std::string line, buffer;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(read(&line, &buffer, 100, 200ms), LineStatus::timed_out);
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(waited, 190ms);
  EXPECT_LT(waited, 2s);
}
