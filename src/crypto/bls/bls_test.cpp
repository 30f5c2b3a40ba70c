// Ethereum BLS API tests: keys, sign/verify, aggregation, batch verification and error paths.
#include <gtest/gtest.h>

#include <vector>

#include "crypto/bls/bls.hpp"

namespace phx::crypto::bls {
namespace {

BlsError err_of(const std::error_code& e) { return static_cast<BlsError>(e.value()); }

SecretKey key(std::uint8_t seed) {
  Bytes ikm(32, seed);
  return *SecretKey::keygen(ikm);
}

TEST(BlsKeys, KeyGenMatchesEip2333MasterKeys) {
  // EIP-2333 test cases 0 and 1: derive_master_SK(seed) = HKDF_mod_r(seed).
  const auto s0 = *from_hex(
      "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2"
      "f001698e7463b04");
  const auto s1 = *from_hex("3141592653589793238462643383279502884197169399375105820974944592");
  auto k0 = SecretKey::keygen(s0);
  auto k1 = SecretKey::keygen(s1);
  ASSERT_TRUE(k0 && k1);
  EXPECT_EQ(to_hex(k0->to_bytes().view(), false), "0d7359d57963ab8fbbde1852dcf553fedbc31f464d80ee7d40ae683122b45070");
  EXPECT_EQ(to_hex(k1->to_bytes().view(), false), "41c9e07822b092a93fd6797396338c3ada4170cc81829fdfce6b5d34bd5e7ec7");
  EXPECT_EQ(err_of(SecretKey::keygen(Bytes(31, 1)).error()), BlsError::kShortIkm);
}

TEST(BlsKeys, FromBytesRejectsZeroAndOutOfRange) {
  EXPECT_EQ(err_of(SecretKey::from_bytes(Bytes(32, 0)).error()), BlsError::kZeroSecretKey);
  EXPECT_EQ(err_of(SecretKey::from_bytes(Bytes(32, 0xff)).error()), BlsError::kScalarOutOfRange);
  EXPECT_EQ(err_of(SecretKey::from_bytes(Bytes(31, 1)).error()), BlsError::kBadLength);
  const SecretKey k = key(7);
  auto again = SecretKey::from_bytes(k.to_bytes().view());
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->public_key(), k.public_key());
}

TEST(BlsKeys, MoveZeroizesSource) {
  SecretKey a = key(9);
  const auto pk = a.public_key();
  SecretKey b = std::move(a);
  EXPECT_TRUE(a.scalar().is_zero());  // NOLINT(bugprone-use-after-move): checking the zeroization
  EXPECT_EQ(b.public_key(), pk);
}

TEST(BlsKeys, PublicKeyValidation) {
  const auto id = G1::identity().to_compressed();
  EXPECT_EQ(err_of(PublicKey::from_bytes(id).error()), BlsError::kIdentityPublicKey);
  const auto pk = key(3).public_key();
  auto back = PublicKey::from_bytes(pk.to_bytes());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, pk);
  EXPECT_EQ(err_of(PublicKey::from_bytes(Bytes(47, 0)).error()), BlsError::kBadLength);
}

TEST(BlsSignature, SignVerifyRoundTrip) {
  const SecretKey sk = key(1);
  const PublicKey pk = sk.public_key();
  const Bytes msg = {'h', 'i'};
  const Signature sig = sk.sign(msg);
  EXPECT_TRUE(verify(pk, msg, sig));
  EXPECT_FALSE(verify(pk, Bytes{'h', 'o'}, sig));
  EXPECT_FALSE(verify(key(2).public_key(), msg, sig));
  auto back = Signature::from_bytes(sig.to_bytes());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, sig);
  // Identity public key / signature never verify.
  EXPECT_FALSE(verify(PublicKey::from_point(G1::identity()), msg, Signature::from_point(G2::identity())));
  EXPECT_FALSE(verify(pk, msg, Signature::from_point(G2::identity())));
}

TEST(BlsSignature, AggregationAndFastAggregateVerify) {
  const Bytes msg = {1, 2, 3};
  std::vector<PublicKey> pks;
  std::vector<Signature> sigs;
  for (std::uint8_t i = 0; i < 4; ++i) {
    const SecretKey sk = key(static_cast<std::uint8_t>(10 + i));
    pks.push_back(sk.public_key());
    sigs.push_back(sk.sign(msg));
  }
  const auto agg = aggregate(sigs);
  ASSERT_TRUE(agg.has_value());
  EXPECT_TRUE(fast_aggregate_verify(pks, msg, *agg));
  EXPECT_FALSE(fast_aggregate_verify(std::span(pks).first(3), msg, *agg));
  EXPECT_FALSE(fast_aggregate_verify({}, msg, *agg));
  EXPECT_EQ(err_of(aggregate({}).error()), BlsError::kEmptyInput);
  EXPECT_EQ(err_of(aggregate_pubkeys({}).error()), BlsError::kEmptyInput);
  // Keys that cancel out: the aggregate is the identity and must not verify the identity signature.
  const PublicKey pk0 = key(40).public_key();
  const PublicKey cancel[2] = {pk0, PublicKey::from_point(pk0.point().neg())};
  EXPECT_FALSE(fast_aggregate_verify(cancel, msg, Signature::from_point(G2::identity())));
  auto apk = aggregate_pubkeys(pks);
  ASSERT_TRUE(apk.has_value());
  EXPECT_TRUE(verify(*apk, msg, *agg));
}

TEST(BlsSignature, AggregateVerifyDistinctMessages) {
  std::vector<PublicKey> pks;
  std::vector<Signature> sigs;
  std::vector<Bytes> msgs;
  for (std::uint8_t i = 0; i < 3; ++i) {
    const SecretKey sk = key(static_cast<std::uint8_t>(20 + i));
    msgs.push_back(Bytes{i, i});
    pks.push_back(sk.public_key());
    sigs.push_back(sk.sign(msgs.back()));
  }
  std::vector<ByteSpan> spans(msgs.begin(), msgs.end());
  const auto agg = aggregate(sigs);
  ASSERT_TRUE(agg.has_value());
  EXPECT_TRUE(aggregate_verify(pks, spans, *agg));
  std::swap(spans[0], spans[1]);
  EXPECT_FALSE(aggregate_verify(pks, spans, *agg));
  EXPECT_FALSE(aggregate_verify(pks, std::span(spans).first(2), *agg));
}

TEST(BlsSignature, BatchVerify) {
  std::vector<SignatureSet> sets;
  for (std::uint8_t i = 0; i < 5; ++i) {
    const SecretKey sk = key(static_cast<std::uint8_t>(30 + i));
    const Bytes m = {i, 0x55};
    sets.push_back(SignatureSet{sk.public_key(), m, sk.sign(m)});
  }
  EXPECT_TRUE(batch_verify(sets));
  EXPECT_FALSE(batch_verify({}));
  // Swapping two signatures keeps the aggregate equal but must fail.
  auto forged = sets;
  std::swap(forged[0].signature, forged[1].signature);
  EXPECT_FALSE(batch_verify(forged));
  auto bad = sets;
  bad[4].message = Bytes{9};
  EXPECT_FALSE(batch_verify(bad));
  // The threaded variant agrees for every split, including more threads than sets.
  for (unsigned threads : {1u, 2u, 3u, 5u, 8u}) {
    EXPECT_TRUE(batch_verify(sets, threads)) << threads;
    EXPECT_FALSE(batch_verify(forged, threads)) << threads;
    EXPECT_FALSE(batch_verify(bad, threads)) << threads;
  }
  EXPECT_FALSE(batch_verify({}, 2));
}

TEST(BlsSignature, BatchVerifyGroupsEqualMessages) {
  // 9 keys over 3 messages (interleaved), as validators of one duty sign a few shared roots.
  std::vector<SignatureSet> sets;
  for (std::uint8_t i = 0; i < 9; ++i) {
    const SecretKey sk = key(static_cast<std::uint8_t>(60 + i));
    const Bytes m = {static_cast<std::uint8_t>(i % 3), 0x77};
    sets.push_back(SignatureSet{sk.public_key(), m, sk.sign(m)});
  }
  for (unsigned threads : {1u, 2u, 4u}) {
    EXPECT_TRUE(batch_verify(sets, threads)) << threads;
    // Two signatures of the same message swapped: the group's sums stay equal only without randomisation.
    auto swapped = sets;
    std::swap(swapped[0].signature, swapped[3].signature);
    EXPECT_FALSE(batch_verify(swapped, threads)) << threads;
    // One set claims another group's message.
    auto moved = sets;
    moved[4].message = sets[5].message;
    EXPECT_FALSE(batch_verify(moved, threads)) << threads;
    // A signature of the right message under the wrong key.
    auto wrong_key = sets;
    wrong_key[8].pubkey = sets[2].pubkey;
    EXPECT_FALSE(batch_verify(wrong_key, threads)) << threads;
  }
  // All sets over one message.
  std::vector<SignatureSet> same;
  for (std::uint8_t i = 0; i < 4; ++i) {
    const SecretKey sk = key(static_cast<std::uint8_t>(80 + i));
    const Bytes m = {0x01};
    same.push_back(SignatureSet{sk.public_key(), m, sk.sign(m)});
  }
  EXPECT_TRUE(batch_verify(same));
  same[1].signature = same[2].signature;
  EXPECT_FALSE(batch_verify(same));
}

}  // namespace
}  // namespace phx::crypto::bls
