// Field tests: axioms on random elements, inverse, sqrt, tower identities, Frobenius, cyclotomic squaring.
#include <gtest/gtest.h>

#include <random>

#include "crypto/bls/fp.hpp"
#include "crypto/bls/fp12.hpp"
#include "crypto/bls/fr.hpp"
#include "crypto/bls/mont.hpp"

namespace phx::crypto::bls {
namespace {

std::mt19937_64 rng(12345);

Fp rand_fp() {
  detail::Limbs<6> l{};
  for (auto& w : l) w = rng();
  l[5] &= 0x0fffffffffffffffULL;  // < 2^380 < p
  return Fp::from_canonical(l);
}
Fp2 rand_fp2() { return {rand_fp(), rand_fp()}; }
Fp6 rand_fp6() { return {rand_fp2(), rand_fp2(), rand_fp2()}; }
Fp12 rand_fp12() { return {rand_fp6(), rand_fp6()}; }

TEST(BlsFp, PortableAndDispatchedKernelsAgree) {
  for (int i = 0; i < 200; ++i) {
    const Fp a = rand_fp(), b = rand_fp();
    EXPECT_EQ(detail::mont_mul(a.mont(), b.mont(), detail::FpParams::kModulus),
              detail::mont_mul_portable(a.mont(), b.mont(), detail::FpParams::kModulus));
  }
  // Edge values: p − 1 times p − 1.
  const Fp m1 = Fp::one().neg();
  EXPECT_EQ(m1 * m1, Fp::one());
}

TEST(BlsFp, KernelsAcceptUnreducedSums) {
  const Fp m1 = Fp::one().neg();  // p − 1: the largest reduced value
  for (int i = 0; i < 50; ++i) {
    const Fp a = (i == 0) ? m1 : rand_fp(), b = (i == 0) ? m1 : rand_fp(), c = rand_fp();
    const Fp s = Fp::add_unreduced(a, b);  // may be ≥ p
    EXPECT_EQ(s * c, (a + b) * c);
    EXPECT_EQ(s * s, (a + b) * (a + b));
    EXPECT_EQ(Fp::from_mont(detail::mont_mul_portable(s.mont(), s.mont(), detail::FpParams::kModulus)),
              (a + b) * (a + b));
  }
}

TEST(BlsFp, FieldAxioms) {
  for (int i = 0; i < 100; ++i) {
    const Fp a = rand_fp(), b = rand_fp(), c = rand_fp();
    EXPECT_EQ(a + b, b + a);
    EXPECT_EQ(a * b, b * a);
    EXPECT_EQ((a + b) + c, a + (b + c));
    EXPECT_EQ((a * b) * c, a * (b * c));
    EXPECT_EQ(a * (b + c), a * b + a * c);
    EXPECT_EQ(a - a, Fp::zero());
    EXPECT_EQ(a + a.neg(), Fp::zero());
    EXPECT_EQ(a * Fp::one(), a);
    EXPECT_EQ(a.sqr(), a * a);
  }
  EXPECT_EQ(Fp::zero().neg(), Fp::zero());
}

TEST(BlsFp, SmallIntegersRoundTrip) {
  EXPECT_EQ(Fp::from_u64(2) + Fp::from_u64(3), Fp::from_u64(5));
  EXPECT_EQ(Fp::from_u64(6) * Fp::from_u64(7), Fp::from_u64(42));
  EXPECT_EQ(Fp::from_u64(42).to_canonical()[0], 42u);
}

TEST(BlsFp, InverseAndSqrt) {
  EXPECT_TRUE(Fp::zero().inverse().is_zero());
  int squares = 0;
  for (int i = 0; i < 40; ++i) {
    const Fp a = rand_fp();
    EXPECT_EQ(a * a.inverse(), Fp::one());
    Fp s;
    EXPECT_TRUE(a.sqr().sqrt(s));
    EXPECT_EQ(s.sqr(), a.sqr());
    const bool sq = a.is_square();
    EXPECT_EQ(a.sqrt(s), sq);
    squares += sq ? 1 : 0;
  }
  EXPECT_GT(squares, 5);
  EXPECT_LT(squares, 35);
  Fp s;
  EXPECT_FALSE(Fp::one().neg().sqrt(s));  // −1 is a non-square (p ≡ 3 mod 4)
}

TEST(BlsFp, BytesRoundTripAndRange) {
  const Fp a = rand_fp();
  const auto b = a.to_bytes_be();
  const auto back = Fp::from_be_bytes(b.data());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, a);
  ByteArray<48> pb{};
  const auto m = Fp::modulus();
  for (std::size_t i = 0; i < 6; ++i) put_be64(pb.data() + 8 * (5 - i), m[i]);
  EXPECT_FALSE(Fp::from_be_bytes(pb.data()).has_value());
}

TEST(BlsFp2, AxiomsInverseSqrt) {
  for (int i = 0; i < 30; ++i) {
    const Fp2 a = rand_fp2(), b = rand_fp2(), c = rand_fp2();
    EXPECT_EQ(a * b, b * a);
    EXPECT_EQ((a * b) * c, a * (b * c));
    EXPECT_EQ(a * (b + c), a * b + a * c);
    EXPECT_EQ(a.sqr(), a * a);
    EXPECT_EQ(a * a.inverse(), Fp2::one());
    EXPECT_EQ(a.mul_by_xi(), (a * Fp2{Fp::one(), Fp::one()}));
    Fp2 s;
    ASSERT_TRUE(a.sqr().sqrt(s));
    EXPECT_EQ(s.sqr(), a.sqr());
    EXPECT_EQ(a.sqrt(s), a.is_square());
  }
  // u² = −1
  const Fp2 u{Fp::zero(), Fp::one()};
  EXPECT_EQ(u.sqr(), Fp2::one().neg());
  // Elements of Fp (c1 = 0) and 0 have roots in Fp2.
  Fp2 s;
  EXPECT_TRUE((Fp2{Fp::one().neg(), Fp::zero()}.sqrt(s)));
  EXPECT_EQ(s.sqr(), (Fp2{Fp::one().neg(), Fp::zero()}));
  EXPECT_TRUE(Fp2::zero().sqrt(s));
  EXPECT_TRUE(s.is_zero());
  EXPECT_TRUE((Fp2{Fp::from_u64(5), Fp::zero()}.sqrt(s)));
  EXPECT_EQ(s.sqr(), (Fp2{Fp::from_u64(5), Fp::zero()}));
}

TEST(BlsFp6, MulSqrInverse) {
  for (int i = 0; i < 10; ++i) {
    const Fp6 a = rand_fp6(), b = rand_fp6(), c = rand_fp6();
    EXPECT_EQ((a * b) * c, a * (b * c));
    EXPECT_EQ(a.sqr(), a * a);
    EXPECT_EQ(a * a.inverse(), Fp6::one());
    const Fp6 v{Fp2::zero(), Fp2::one(), Fp2::zero()};
    EXPECT_EQ(a.mul_by_v(), a * v);
    const Fp2 b0 = rand_fp2(), b1 = rand_fp2();
    EXPECT_EQ(a.mul_by_01(b0, b1), (a * Fp6{b0, b1, Fp2::zero()}));
    EXPECT_EQ(a.mul_by_1(b1), (a * Fp6{Fp2::zero(), b1, Fp2::zero()}));
  }
}

TEST(BlsFp12, MulSqrInverseFrobenius) {
  for (int i = 0; i < 5; ++i) {
    const Fp12 a = rand_fp12(), b = rand_fp12();
    EXPECT_EQ(a.sqr(), a * a);
    EXPECT_EQ(a * a.inverse(), Fp12::one());
    EXPECT_EQ((a * b).frobenius(1), a.frobenius(1) * b.frobenius(1));
    // frob^6 is conjugation, frob^12 the identity.
    EXPECT_EQ(a.frobenius(3).frobenius(3), a.conj());
    const Fp2 l0 = rand_fp2(), l1 = rand_fp2(), l4 = rand_fp2();
    const Fp12 line{{l0, l1, Fp2::zero()}, {Fp2::zero(), l4, Fp2::zero()}};
    EXPECT_EQ(a.mul_by_014(l0, l1, l4), a * line);
  }
}

TEST(BlsFp12, FrobeniusIsPthPower) {
  const Fp12 a = rand_fp12();
  Fp12 ap = Fp12::one();
  // a^p by square-and-multiply over p's bits.
  const auto& m = Fp::modulus();
  for (int i = 380; i >= 0; --i) {
    ap = ap.sqr();
    if ((m[static_cast<std::size_t>(i / 64)] >> (i % 64)) & 1) ap *= a;
  }
  EXPECT_EQ(ap, a.frobenius(1));
}

TEST(BlsFp12, CyclotomicSquareMatchesSquareInCyclotomicSubgroup) {
  for (int i = 0; i < 5; ++i) {
    const Fp12 a = rand_fp12();
    Fp12 t = a.conj() * a.inverse();
    t = t.frobenius(2) * t;  // now in the cyclotomic subgroup
    EXPECT_EQ(t.cyclotomic_sqr(), t.sqr());
    EXPECT_EQ(t * t.conj(), Fp12::one());
  }
}

TEST(BlsFr, ArithmeticAndBytes) {
  const Fr a = Fr::random(), b = Fr::random();
  EXPECT_EQ(a * b, b * a);
  EXPECT_EQ(a * a.inverse(), Fr::one());
  EXPECT_TRUE(Fr::zero().inverse().is_zero());
  EXPECT_EQ(a + a.neg(), Fr::zero());
  const auto bytes = a.to_bytes_be();
  const auto back = Fr::from_bytes_be(bytes);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, a);
  // r itself is rejected; r reduces to 0 via the reducing parser.
  ByteArray<32> rb{};
  for (std::size_t i = 0; i < 4; ++i) put_be64(rb.data() + 8 * (3 - i), Fr::modulus()[i]);
  EXPECT_FALSE(Fr::from_bytes_be(rb).has_value());
  EXPECT_TRUE(Fr::from_bytes_be_reduce(rb).is_zero());
  EXPECT_FALSE(Fr::from_bytes_be(ByteSpan(rb.data(), 31)).has_value());
  // 2^256 mod r computed two ways.
  ByteArray<33> big{};
  big[0] = 1;
  Fr two256 = Fr::one();
  for (int i = 0; i < 256; ++i) two256 = two256 + two256;
  EXPECT_EQ(Fr::from_bytes_be_reduce(big), two256);
}

}  // namespace
}  // namespace phx::crypto::bls
