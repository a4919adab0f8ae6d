// The cacheprog helper's parts that need no store: namespace names of
// toolchains, the go command's requests and put bodies, the answers, and the
// materialized output files.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <nettle/sha2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "store/store.hpp"
#include "store_fixture.hpp"
#include "tools/cacheprog/base64.hpp"
#include "tools/cacheprog/body_line.hpp"
#include "tools/cacheprog/materializer.hpp"
#include "tools/cacheprog/reply.hpp"
#include "tools/cacheprog/request.hpp"
#include "tools/gocachectl/go_version.hpp"

namespace gcfs::cacheprog {
namespace {

gocache::GoHash sha(std::string_view bytes) {
  sha256_ctx c;
  sha256_init(&c);
  sha256_update(&c, bytes.size(), reinterpret_cast<const uint8_t*>(bytes.data()));
  gocache::GoHash h{};
  sha256_digest(&c, h.size(), h.data());
  return h;
}

std::string raw(const gocache::GoHash& h) {
  return std::string(reinterpret_cast<const char*>(h.data()), h.size());
}

TEST(NamespaceForVersion, ValidNamesForEveryVersionString) {
  EXPECT_EQ(ctl::namespace_for_version("go1.23.5"), "go1.23.5");
  EXPECT_EQ(ctl::namespace_for_version("go1.19.8\n"), "go1.19.8");
  EXPECT_EQ(ctl::namespace_for_version("go1.23.5 X:cacheprog"), "go1.23.5-X:cacheprog");
  EXPECT_EQ(ctl::namespace_for_version("devel go1.24-abc/def  +x"), "devel-go1.24-abc-def-+x");
  EXPECT_EQ(ctl::namespace_for_version("gccgo-12.2.0"), "gccgo-12.2.0");
  EXPECT_EQ(ctl::namespace_for_version(""), "");
  const std::string longer = ctl::namespace_for_version(std::string(100, 'g'));
  EXPECT_EQ(longer.size(), 64u);
  EXPECT_NE(longer, ctl::namespace_for_version(std::string(101, 'g')));  // still distinct
  for (const char* v : {"go1.23.5 X:cacheprog", "a b\tc", "x/y"}) {
    EXPECT_TRUE(valid_namespace_name(ctl::namespace_for_version(v))) << v;
  }
  EXPECT_TRUE(ctl::is_go_version("go1.21.13"));
  EXPECT_FALSE(ctl::is_go_version("unknown"));
  EXPECT_FALSE(ctl::is_go_version("gox"));
}

TEST(Request, GoCommandsForm) {
  const gocache::GoHash a = sha("a"), o = sha("o");
  auto r =
      parse_request(R"({"ID":7,"Command":"put","ActionID":")" + base64_encode(raw(a)) +
                    R"(","ObjectID":")" + base64_encode(raw(o)) + R"(","BodySize":12,"Future":1})");
  ASSERT_TRUE(std::holds_alternative<Request>(r));
  const Request& req = std::get<Request>(r);
  EXPECT_EQ(req.id, 7);
  EXPECT_EQ(req.command, "put");
  EXPECT_EQ(req.action, a);
  EXPECT_EQ(req.object, o);
  EXPECT_EQ(req.body_size, 12u);
  auto close = parse_request(R"({"ID":9,"Command":"close"})");
  ASSERT_TRUE(std::holds_alternative<Request>(close));
  EXPECT_FALSE(std::get<Request>(close).action);
}

TEST(Request, WhatIsNotARequest) {
  for (const char* bad :
       {"garbage", "[1,2]", R"({"Command":"get"})", R"({"ID":"1","Command":"get"})", R"({"ID":1})",
        R"({"ID":1,"Command":"get","ActionID":"!!"})",
        R"({"ID":1,"Command":"get","ActionID":"YWJj"})",
        R"({"ID":1,"Command":"put","BodySize":-1})"}) {
    EXPECT_TRUE(std::holds_alternative<std::string>(parse_request(bad))) << bad;
  }
}

// A pipe with `text` written (and closed) in the background.
class Pipe {
 public:
  explicit Pipe(std::string text) {
    EXPECT_EQ(::pipe(fds_), 0);
    writer_ = std::thread([this, text = std::move(text)] {
      size_t off = 0;
      while (off < text.size()) {
        ssize_t n = ::write(fds_[1], text.data() + off, text.size() - off);
        if (n <= 0) break;
        off += static_cast<size_t>(n);
      }
      ::close(fds_[1]);
    });
  }
  ~Pipe() {
    writer_.join();
    ::close(fds_[0]);
  }
  int fd() const { return fds_[0]; }

 private:
  int fds_[2];
  std::thread writer_;
};

std::string read_body(BodyLine& b) {
  std::string out;
  char buf[1000];
  for (;;) {
    auto n = b.read(std::span<char>(buf, sizeof(buf)));
    if (!n || *n == 0) break;
    out.append(buf, *n);
  }
  return out;
}

TEST(BodyLine, DecodesAsItReadsAndStopsAtTheNextRequest) {
  const std::string body = test::random_bytes(3 * 100000 + 1, 5);  // several pieces
  Pipe p("\n\"" + base64_encode(body) + "\"\n{\"ID\":3}\n");
  Input in(p.fd());
  BodyLine b(in, body.size());
  EXPECT_EQ(read_body(b), body);
  b.finish();
  EXPECT_FALSE(b.protocol_error());
  std::string next;
  ASSERT_EQ(in.read_line(&next, 100), Input::Line::ok);
  EXPECT_EQ(next, "{\"ID\":3}");
}

TEST(BodyLine, FinishSkipsWhatTheConsumerLeft) {
  const std::string body = test::random_bytes(50000, 6);
  Pipe p("\"" + base64_encode(body) + "\"\nnext\n");
  Input in(p.fd());
  BodyLine b(in, body.size());
  char buf[10];
  ASSERT_TRUE(b.read(std::span<char>(buf, sizeof(buf))));
  b.finish();
  EXPECT_FALSE(b.protocol_error());
  std::string next;
  ASSERT_EQ(in.read_line(&next, 100), Input::Line::ok);
  EXPECT_EQ(next, "next");
}

TEST(BodyLine, ProtocolErrors) {
  struct Case {
    std::string text;
    uint64_t size;
    const char* says;
  };
  const std::string ten = base64_encode("0123456789");
  for (const Case& c :
       {Case{"\"" + ten + "\"\n", 11, "holds 10 bytes, its request says 11"},
        Case{"\"" + ten + "\"\n", 9, "more than the 9 bytes"},
        Case{"\"" + ten.substr(0, 8), 10, "input ended inside the body"},
        Case{"", 10, "input ended where the body"}, Case{"{\"ID\":2}\n", 10, "does not start with"},
        Case{"\"!!!!\"\n", 3, "not base64"}}) {
    Pipe p(c.text);
    Input in(p.fd());
    BodyLine b(in, c.size);
    (void)read_body(b);
    b.finish();
    ASSERT_TRUE(b.protocol_error()) << c.text;
    EXPECT_NE(b.protocol_error()->find(c.says), std::string::npos) << *b.protocol_error();
  }
}

TEST(Reply, GoReadsTheseFields) {
  EXPECT_EQ(capabilities_line(), R"({"ID":0,"KnownCommands":["get","put","close"]})");
  EXPECT_EQ(miss_line(3), R"({"ID":3,"Miss":true})");
  EXPECT_EQ(rfc3339_nano(1700000000123456789), "2023-11-14T22:13:20.123456789Z");
  EXPECT_EQ(rfc3339_nano(0), "1970-01-01T00:00:00.000000000Z");
  const std::string hit = hit_line(4, sha("o"), 12, 0, "/p");
  EXPECT_NE(hit.find("\"OutputID\":\"" + base64_encode(raw(sha("o"))) + "\""), std::string::npos);
  EXPECT_NE(hit.find("\"DiskPath\":\"/p\""), std::string::npos);
  EXPECT_NE(error_line(5, "no").find("\"Err\":\"no\""), std::string::npos);
}

TEST(Materializer, WholeRightFilesOnly) {
  test::TempDir dir;
  Materializer m({dir.path() + "/a/b/outputs"});
  const std::string body = test::random_bytes(10000, 7);
  EXPECT_FALSE(m.find(sha(body), body.size()));
  auto f = m.create(sha(body));
  ASSERT_TRUE(f) << f.error().message();
  ASSERT_TRUE((*f)->write(body));
  auto path = (*f)->commit();
  ASSERT_TRUE(path) << path.error().message();
  EXPECT_EQ(*path, m.path_of(sha(body)));
  EXPECT_EQ(m.find(sha(body), body.size()), *path);
  EXPECT_FALSE(m.find(sha(body), body.size() + 1));
  struct stat st {};
  ASSERT_EQ(::stat((dir.path() + "/a/b/outputs").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  // Bytes that are not the output's: refused, nothing left behind.
  auto g = m.create(sha("other"));
  ASSERT_TRUE(g);
  ASSERT_TRUE((*g)->write("not it"));
  EXPECT_FALSE((*g)->commit());
  g->reset();
  EXPECT_FALSE(m.find(sha("other"), 6));
  size_t files = 0;
  for (auto& e : std::filesystem::recursive_directory_iterator(dir.path())) {
    files += e.is_regular_file();
  }
  EXPECT_EQ(files, 1u);
}

TEST(Materializer, TrimKeepsRecentlyUsedFiles) {
  test::TempDir dir;
  Materializer m({dir.path(), 1, std::chrono::seconds(3600), std::chrono::seconds(0)});
  std::vector<std::string> paths;
  for (int i = 0; i < 3; ++i) {
    const std::string body = test::random_bytes(5000, 10 + i);
    auto f = m.create(sha(body));
    ASSERT_TRUE(f && (*f)->write(body));
    auto p = (*f)->commit();
    ASSERT_TRUE(p);
    paths.push_back(*p);
  }
  // Two look unused for two hours, one is recent: over the 1-byte limit,
  // only the old ones go.
  const timespec old[2] = {{::time(nullptr) - 7200, 0}, {::time(nullptr) - 7200, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, paths[0].c_str(), old, 0), 0);
  ASSERT_EQ(::utimensat(AT_FDCWD, paths[1].c_str(), old, 0), 0);
  ASSERT_TRUE(m.trim());
  EXPECT_FALSE(std::filesystem::exists(paths[0]));
  EXPECT_FALSE(std::filesystem::exists(paths[1]));
  EXPECT_TRUE(std::filesystem::exists(paths[2]));
}

}  // namespace
}  // namespace gcfs::cacheprog
