#include <gtest/gtest.h>

#include "crypto/hash/sha256.hpp"

namespace phx::crypto::hash {
namespace {

TEST(Sha256, MatchesFips180Vectors) {
  EXPECT_EQ(to_hex(sha256(as_bytes("abc")), false),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(to_hex(sha256(as_bytes("")), false),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256(as_bytes("ab"), as_bytes("c")), sha256(as_bytes("abc")));
  Sha256 h;
  h.update(as_bytes("a")).update(as_bytes("bc"));
  EXPECT_EQ(h.finish(), sha256(as_bytes("abc")));
}

TEST(HmacSha256, MatchesRfc4231Case2) {
  EXPECT_EQ(to_hex(hmac_sha256(as_bytes("Jefe"), as_bytes("what do ya want for nothing?")), false),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Hkdf, MatchesRfc5869Case1) {
  Bytes ikm(22, 0x0b);
  auto salt = *from_hex("000102030405060708090a0b0c");
  auto info = *from_hex("f0f1f2f3f4f5f6f7f8f9");
  auto prk = hkdf_extract(salt, ikm);
  EXPECT_EQ(to_hex(prk.view(), false), "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
  Bytes okm(42);
  hkdf_expand(prk.view(), info, okm);
  EXPECT_EQ(to_hex(okm, false),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

}  // namespace
}  // namespace phx::crypto::hash

#include "crypto/hash/random.hpp"

namespace phx::crypto::hash {
namespace {

TEST(Random, UuidV4HasVersionAndVariantBits) {
  auto u = uuid_v4();
  ASSERT_EQ(u.size(), 36u);
  EXPECT_EQ(u[14], '4');
  EXPECT_TRUE(u[19] == '8' || u[19] == '9' || u[19] == 'a' || u[19] == 'b');
  EXPECT_NE(uuid_v4(), uuid_v4());
  auto up = uuid_v4(true);
  EXPECT_EQ(up.find_first_of("abcdef"), std::string::npos);
}

}  // namespace
}  // namespace phx::crypto::hash
