// Key encoding, dentry cookies, inode records and the chunk codec.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "store/codec/chunk.hpp"
#include "store/local/inode_record.hpp"
#include "store/local/keys.hpp"
#include "store_fixture.hpp"

namespace gcfs {
namespace {

TEST(Keys, BigEndianRoundTrip) {
  std::string s;
  keys::put_u64be(s, 0x0102030405060708ull);
  keys::put_u32be(s, 0xa1b2c3d4u);
  ASSERT_EQ(s.size(), 12u);
  EXPECT_EQ(static_cast<unsigned char>(s[0]), 0x01);
  EXPECT_EQ(static_cast<unsigned char>(s[7]), 0x08);
  EXPECT_EQ(keys::get_u64be(s.data()), 0x0102030405060708ull);
  EXPECT_EQ(keys::get_u32be(s.data() + 8), 0xa1b2c3d4u);
  std::string le;
  keys::put_u64le(le, 0x0102030405060708ull);
  EXPECT_EQ(static_cast<unsigned char>(le[0]), 0x08);
  EXPECT_EQ(keys::get_u64le(le.data()), 0x0102030405060708ull);
}

TEST(Keys, NumbersSortInKeyOrder) {
  // Big-endian keeps numeric order as byte order: chunk 255 < chunk 256.
  EXPECT_LT(keys::chunk(7, 255), keys::chunk(7, 256));
  EXPECT_LT(keys::chunk(7, ~0ull), keys::chunk(8, 0));
  EXPECT_LT(keys::inode(1), keys::inode(0x100));
  EXPECT_LT(keys::dentry(5, 3, "zzz"), keys::dentry(5, 4, "aaa"));
}

TEST(Keys, DentryParse) {
  const std::string k = keys::dentry(42, keys::dentry_cookie("hello"), "hello");
  ASSERT_TRUE(k.starts_with(keys::dentry_prefix(42)));
  auto d = keys::parse_dentry(k);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->parent, 42u);
  EXPECT_EQ(d->cookie, keys::dentry_cookie("hello"));
  EXPECT_EQ(d->name, "hello");
  EXPECT_FALSE(keys::parse_dentry(keys::dentry_prefix(42)));
  auto v = keys::parse_dentry_value(keys::dentry_value(99, S_IFDIR));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->ino, 99u);
  EXPECT_EQ(v->type, static_cast<uint32_t>(S_IFDIR));
  EXPECT_FALSE(keys::parse_dentry_value("short"));
}

TEST(Keys, CookieIsStableAndAboveTwo) {
  EXPECT_EQ(keys::dentry_cookie("abc"), keys::dentry_cookie("abc"));
  EXPECT_NE(keys::dentry_cookie("abc"), keys::dentry_cookie("abd"));
  for (int i = 0; i < 1000; ++i) {
    const uint64_t c = keys::dentry_cookie(std::to_string(i));
    EXPECT_GE(c, 3u);
    EXPECT_LT(c, (uint64_t{1} << 62) + 3);
  }
}

TEST(Keys, FamilyNames) {
  EXPECT_EQ(keys::family_name(12), "ns.12");
  EXPECT_EQ(keys::parse_family_name("ns.12"), NsId{12});
  EXPECT_FALSE(keys::parse_family_name("default"));
  EXPECT_FALSE(keys::parse_family_name("ns."));
  EXPECT_FALSE(keys::parse_family_name("ns.012"));
  EXPECT_FALSE(keys::parse_family_name("ns.1x"));
}

TEST(Keys, PrefixEnd) {
  EXPECT_EQ(keys::prefix_end("ab"), "ac");
  EXPECT_EQ(keys::prefix_end(std::string("a\xff", 2)), "b");
  EXPECT_EQ(keys::prefix_end(std::string("\xff\xff", 2)), "");
}

InodeRecord sample_record() {
  InodeRecord r;
  r.mode = S_IFREG | 0644;
  r.nlink = 1;
  r.uid = 1000;
  r.gid = 100;
  r.size = 175;
  r.stored = 120;
  r.atime = {1, 2};
  r.mtime = {-3, 4};
  r.ctime = {5, 999999999};
  r.parent = 0;
  r.data = encode_chunk(9, 0, std::string(175, 'a'));
  return r;
}

TEST(InodeRecord, RoundTrip) {
  const InodeRecord r = sample_record();
  auto p = parse_inode(serialize_inode(r), 9);
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->mode, r.mode);
  EXPECT_EQ(p->nlink, r.nlink);
  EXPECT_EQ(p->uid, r.uid);
  EXPECT_EQ(p->gid, r.gid);
  EXPECT_EQ(p->size, r.size);
  EXPECT_EQ(p->stored, r.stored);
  EXPECT_EQ(p->atime, r.atime);
  EXPECT_EQ(p->mtime, r.mtime);
  EXPECT_EQ(p->ctime, r.ctime);
  EXPECT_EQ(p->data, r.data);
  EXPECT_FALSE(p->chunked);
  InodeRecord d;
  d.mode = S_IFDIR | 0755;
  d.nlink = 3;
  d.parent = 77;
  d.chunked = true;
  auto pd = parse_inode(serialize_inode(d), 2);
  ASSERT_TRUE(pd);
  EXPECT_TRUE(pd->is_dir());
  EXPECT_EQ(pd->parent, 77u);
  EXPECT_TRUE(pd->chunked);
  const Attr a = pd->to_attr(2);
  EXPECT_EQ(a.ino, 2u);
  EXPECT_EQ(a.nlink, 3u);
}

TEST(InodeRecord, RejectsTruncatedAndGarbage) {
  const std::string v = serialize_inode(sample_record());
  for (size_t n : {size_t{0}, size_t{1}, size_t{20}, v.size() - 1}) {
    auto p = parse_inode(v.substr(0, n), 9);
    ASSERT_FALSE(p) << n;
    EXPECT_EQ(p.code(), Errc::corrupt);
  }
  for (size_t i = 0; i < v.size(); i += 7) {
    std::string bad = v;
    bad[i] ^= 0x20;
    EXPECT_EQ(parse_inode(bad, 9).code(), Errc::corrupt) << "flipped byte " << i;
  }
  EXPECT_EQ(parse_inode(v + "x", 9).code(), Errc::corrupt);
  EXPECT_EQ(parse_inode(std::string(200, '\x01'), 9).code(), Errc::corrupt);
  auto p = parse_inode("junk", 1234);
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message().find("1234"), std::string::npos);
}

TEST(Chunk, RoundTripCompressedAndRaw) {
  const std::string text = test::text_bytes(100000, 1);
  const std::string v = encode_chunk(5, 3, text);
  EXPECT_EQ(static_cast<uint8_t>(v[4]), kChunkLz4);
  EXPECT_LT(v.size(), text.size() / 2);
  auto d = decode_chunk(v, 5, 3);
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(*d, text);

  const std::string noise = test::random_bytes(100000, 2);
  const std::string r = encode_chunk(5, 4, noise);
  EXPECT_EQ(static_cast<uint8_t>(r[4]), kChunkRaw);  // LZ4 would not save 1/32
  EXPECT_EQ(r.size(), kChunkHeaderSize + noise.size());
  auto dr = decode_chunk(r, 5, 4);
  ASSERT_TRUE(dr);
  EXPECT_EQ(*dr, noise);

  auto e = decode_chunk(encode_chunk(1, 0, ""), 1, 0);
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->empty());
  EXPECT_EQ(chunk_raw_len(v).value(), 100000u);
}

TEST(Chunk, RejectsMisattributedData) {
  const std::string v = encode_chunk(5, 3, test::text_bytes(5000, 3));
  auto wrong_ino = decode_chunk(v, 6, 3);
  ASSERT_FALSE(wrong_ino);
  EXPECT_EQ(wrong_ino.code(), Errc::corrupt);
  EXPECT_NE(wrong_ino.error().message().find("inode 6"), std::string::npos);
  EXPECT_EQ(decode_chunk(v, 5, 2).code(), Errc::corrupt);
  EXPECT_EQ(decode_chunk(v, 5, 3, 4999).code(), Errc::corrupt);  // longer than a chunk
}

TEST(Chunk, RejectsDamage) {
  for (const std::string& raw : {test::text_bytes(5000, 4), test::random_bytes(5000, 5)}) {
    const std::string v = encode_chunk(5, 3, raw);
    // A flipped byte anywhere (header or payload) is caught.
    for (size_t i = 0; i < v.size(); i += 13) {
      std::string bad = v;
      bad[i] ^= 0x01;
      EXPECT_EQ(decode_chunk(bad, 5, 3).code(), Errc::corrupt) << "byte " << i;
    }
    for (size_t n : {size_t{0}, size_t{10}, kChunkHeaderSize, v.size() - 1}) {
      EXPECT_EQ(decode_chunk(v.substr(0, n), 5, 3).code(), Errc::corrupt) << "length " << n;
    }
    EXPECT_EQ(decode_chunk(v + "z", 5, 3).code(), Errc::corrupt);
  }
}

TEST(Names, NamespaceNames) {
  EXPECT_TRUE(valid_namespace_name("go1.19.8"));
  EXPECT_TRUE(valid_namespace_name(std::string(64, 'a')));
  EXPECT_TRUE(valid_namespace_name("~!@#"));
  EXPECT_FALSE(valid_namespace_name(""));
  EXPECT_FALSE(valid_namespace_name(std::string(65, 'a')));
  EXPECT_FALSE(valid_namespace_name("."));
  EXPECT_FALSE(valid_namespace_name(".."));
  EXPECT_FALSE(valid_namespace_name("a/b"));
  EXPECT_FALSE(valid_namespace_name("a b"));
  EXPECT_FALSE(valid_namespace_name("tab\t"));
  EXPECT_FALSE(valid_namespace_name("\x7f"));
  EXPECT_FALSE(valid_namespace_name("caf\xc3\xa9"));
  EXPECT_TRUE(valid_namespace_name("..."));
}

TEST(Errors, Names) {
  EXPECT_STREQ(errc_name(Errc::corrupt), "corrupt");
  EXPECT_STREQ(errc_name(Errc::not_empty), "not_empty");
  EXPECT_STREQ(errc_name(Errc::ok), "ok");
}

}  // namespace
}  // namespace gcfs
