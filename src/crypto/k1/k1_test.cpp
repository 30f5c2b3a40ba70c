#include <gtest/gtest.h>

#include "crypto/hash/sha256.hpp"
#include "crypto/k1/k1.hpp"

namespace phx::crypto::k1 {
namespace {

Digest digest_of(std::string_view s) { return hash::sha256(as_bytes(s)); }

TEST(K1, SecretKeyOneGivesTheGenerator) {
  ByteArray<32> one{};
  one[31] = 1;
  auto sk = SecretKey::from_bytes(one);
  ASSERT_TRUE(sk);
  EXPECT_EQ(to_hex(sk->public_key().to_compressed(), false),
            "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
}

TEST(K1, RejectsZeroAndOutOfRangeSecretKeys) {
  EXPECT_EQ(SecretKey::from_bytes(ByteArray<32>{}).error(), make_error_code(K1Error::kBadSecretKey));
  ByteArray<32> big;
  big.fill(0xff);
  EXPECT_FALSE(SecretKey::from_bytes(big));
  EXPECT_FALSE(SecretKey::from_bytes(Bytes(31, 1)));
}

TEST(K1, SignVerifyAndTamper) {
  auto sk = SecretKey::generate();
  auto d = digest_of("qbft commit");
  auto sig = sk.sign(d);
  EXPECT_TRUE(verify(sk.public_key(), d, sig));
  auto bad = sig;
  bad[10] ^= 1;
  EXPECT_FALSE(verify(sk.public_key(), d, bad));
  EXPECT_FALSE(verify(sk.public_key(), digest_of("other"), sig));
  EXPECT_FALSE(verify(SecretKey::generate().public_key(), d, sig));
  EXPECT_FALSE(verify(sk.public_key(), d, ByteSpan(sig.data(), 63)));
}

TEST(K1, RecoverableSignatureRecoversTheSigner) {
  auto sk = SecretKey::generate();
  auto d = digest_of("lock hash");
  auto sig = sk.sign_recoverable(d);
  auto pk = recover(d, sig);
  ASSERT_TRUE(pk);
  EXPECT_EQ(*pk, sk.public_key());
  auto eth = sig;
  eth[64] = static_cast<std::uint8_t>(eth[64] + 27);
  EXPECT_EQ(*recover(d, eth), sk.public_key());
  eth[64] = 5;
  EXPECT_EQ(recover(d, eth).error(), make_error_code(K1Error::kBadRecoveryId));
  EXPECT_FALSE(recover(d, ByteSpan(sig.data(), 64)));
}

TEST(K1, PublicKeyEncodingsRoundTrip) {
  auto pk = SecretKey::generate().public_key();
  auto u = pk.to_uncompressed();
  EXPECT_EQ(u[0], 0x04);
  EXPECT_EQ(*PublicKey::from_bytes(u), pk);
  EXPECT_EQ(*PublicKey::from_bytes(pk.to_compressed()), pk);
  auto c = pk.to_compressed();
  c[0] = 0x05;
  EXPECT_EQ(PublicKey::from_bytes(c).error(), make_error_code(K1Error::kBadPublicKey));
}

TEST(K1, DerRoundTripAndGarbage) {
  auto sk = SecretKey::generate();
  auto sig = sk.sign(digest_of("x"));
  auto der = to_der(sig);
  EXPECT_EQ(*from_der(der), sig);
  EXPECT_FALSE(from_der(Bytes{0x30, 0x01, 0x00}));
  EXPECT_FALSE(from_der(Bytes{}));
}

}  // namespace
}  // namespace phx::crypto::k1
