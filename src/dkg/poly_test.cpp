// Unit tests of the seed-derived dealer secrets and of Horner evaluation in the exponent.
#include "dkg/poly.hpp"

#include <gtest/gtest.h>

#include "crypto/threshold/threshold.hpp"

using namespace phx;
using namespace phx::dkg;
using crypto::bls::Fr;
using crypto::bls::G1;

namespace {

Seed seed_of(std::uint8_t b) {
  ByteArray<32> raw{};
  raw.fill(b);
  return Seed(std::span<const std::uint8_t, 32>(raw));
}

Root root_of(std::uint8_t b) {
  Root r{};
  r.fill(b);
  return r;
}

}  // namespace

TEST(DkgPoly, CoefficientsAreDeterministicAndDomainSeparated) {
  const Seed s = seed_of(1);
  const Root def = root_of(2), nonce = root_of(3);
  const Fr a = derive_coefficient(s, def, nonce, 7, 1);
  EXPECT_TRUE(a == derive_coefficient(seed_of(1), def, nonce, 7, 1));  // a resumed dealer regenerates it
  EXPECT_FALSE(a == derive_coefficient(seed_of(9), def, nonce, 7, 1));
  EXPECT_FALSE(a == derive_coefficient(s, root_of(4), nonce, 7, 1));
  EXPECT_FALSE(a == derive_coefficient(s, def, root_of(4), 7, 1));
  EXPECT_FALSE(a == derive_coefficient(s, def, nonce, 8, 1));
  EXPECT_FALSE(a == derive_coefficient(s, def, nonce, 7, 2));
  EXPECT_FALSE(a.is_zero());
}

TEST(DkgPoly, PolynomialMatchesItsCoefficients) {
  const Seed s = seed_of(5);
  const Root def = root_of(6), nonce = root_of(7);
  const auto f = derive_polynomial(s, def, nonce, 3, 4);
  ASSERT_EQ(f.threshold(), 4u);
  Fr expect = Fr::zero();
  Fr xp = Fr::one();
  const Fr x = Fr::from_u64(5);
  for (std::uint32_t k = 0; k < 4; ++k) {
    expect = expect + derive_coefficient(s, def, nonce, 3, k) * xp;
    xp = xp * x;
  }
  EXPECT_TRUE(f.evaluate(x) == expect);
}

TEST(DkgPoly, ResharePolynomialKeepsTheOldShareAsConstantTerm) {
  const Seed s = seed_of(5);
  const Fr old = Fr::from_u64(123456789);
  const auto f = derive_polynomial(s, root_of(1), root_of(2), 0, 3, &old);
  EXPECT_TRUE(f.evaluate(Fr::zero()) == old);
  EXPECT_TRUE(f.commitments()[0] == G1::generator().mul(old));
}

TEST(DkgPoly, EvaluationInTheExponentMatchesTheSecretEvaluation) {
  const auto f = derive_polynomial(seed_of(8), root_of(1), root_of(2), 0, 5);
  const auto c = f.commitments();
  for (std::uint32_t x : {1u, 2u, 7u, 64u, 1000u}) {
    EXPECT_TRUE(eval_in_exponent(c, x) == G1::generator().mul(f.evaluate(Fr::from_u64(x)))) << x;
    EXPECT_TRUE(eval_in_exponent(c, x) == crypto::threshold::commitment_eval(c, ShareIdx{x})) << x;
  }
  EXPECT_TRUE(eval_in_exponent({}, 3).is_identity());
}

TEST(DkgPoly, NonceAndEphemeralKeyAreDeterministicAndDistinct) {
  EXPECT_EQ(derive_nonce(seed_of(1)), derive_nonce(seed_of(1)));
  EXPECT_NE(derive_nonce(seed_of(1)), derive_nonce(seed_of(2)));
  const Fr e1 = derive_ephemeral_secret(seed_of(1), root_of(1), root_of(2));
  EXPECT_TRUE(e1 == derive_ephemeral_secret(seed_of(1), root_of(1), root_of(2)));
  EXPECT_FALSE(e1 == derive_ephemeral_secret(seed_of(1), root_of(3), root_of(2)));
  EXPECT_FALSE(e1.is_zero());
}

TEST(DkgPoly, HashToScalarSeparatesDomains) {
  const Bytes msg{1, 2, 3};
  EXPECT_TRUE(hash_to_scalar("A", msg) == hash_to_scalar("A", msg));
  EXPECT_FALSE(hash_to_scalar("A", msg) == hash_to_scalar("B", msg));
}

TEST(DkgPoly, SecretScalarsMoveLeavesTheSourceEmpty) {
  SecretScalars a(3);
  a[1] = Fr::from_u64(9);
  SecretScalars b = std::move(a);
  EXPECT_EQ(a.size(), 0u);  // NOLINT(bugprone-use-after-move): moved-from state is specified
  ASSERT_EQ(b.size(), 3u);
  EXPECT_TRUE(b[1] == Fr::from_u64(9));
}
