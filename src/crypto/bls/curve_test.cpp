// Group-law, scalar-multiplication, subgroup, serialization and pairing tests.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "crypto/bls/g1.hpp"
#include "crypto/bls/g2.hpp"
#include "crypto/bls/hash_to_curve.hpp"
#include "crypto/bls/pairing.hpp"

namespace phx::crypto::bls {
namespace {

// Reference: plain double-and-add over the canonical scalar bits.
template <class G>
G double_and_add(const G& p, const Fr& k) {
  const auto l = k.to_limbs();
  G acc = G::identity();
  for (int i = 255; i >= 0; --i) {
    acc = acc.dbl();
    if ((l[static_cast<std::size_t>(i / 64)] >> (i % 64)) & 1) acc = acc + p;
  }
  return acc;
}

template <class G>
class GroupTest : public ::testing::Test {};
using Groups = ::testing::Types<G1, G2>;
TYPED_TEST_SUITE(GroupTest, Groups);

TYPED_TEST(GroupTest, GeneratorIsOnCurveAndInSubgroup) {
  const TypeParam g = TypeParam::generator();
  EXPECT_TRUE(g.on_curve());
  EXPECT_TRUE(g.in_subgroup());
  EXPECT_FALSE(g.is_identity());
}

TYPED_TEST(GroupTest, GroupLaws) {
  const TypeParam g = TypeParam::generator();
  const TypeParam a = g.mul(Fr::random()), b = g.mul(Fr::random()), c = g.mul(Fr::random());
  const TypeParam o = TypeParam::identity();
  EXPECT_EQ(a + b, b + a);
  EXPECT_EQ((a + b) + c, a + (b + c));
  EXPECT_EQ(a + o, a);
  EXPECT_EQ(o + a, a);
  EXPECT_TRUE((a + a.neg()).is_identity());
  EXPECT_EQ(a + a, a.dbl());  // the complete addition handles P = Q
  EXPECT_EQ(a.add_vartime(a), a.dbl());
  EXPECT_TRUE(a.add_vartime(a.neg()).is_identity());
  EXPECT_EQ(a.add_vartime(b), a + b);
  EXPECT_TRUE(o.dbl().is_identity());
  EXPECT_TRUE((a + b).on_curve());
  EXPECT_FALSE(a == b);
  EXPECT_FALSE(a == o);
}

TYPED_TEST(GroupTest, ScalarMulAgreesWithDoubleAndAdd) {
  const TypeParam g = TypeParam::generator();
  for (int i = 0; i < 3; ++i) {
    const Fr k = Fr::random();
    const TypeParam ref = double_and_add(g, k);
    EXPECT_EQ(g.mul(k), ref);
    EXPECT_EQ(g.mul_vartime(k), ref);
  }
  EXPECT_TRUE(g.mul(Fr::zero()).is_identity());
  EXPECT_EQ(g.mul(Fr::one()), g);
  EXPECT_EQ(g.mul(Fr::one().neg()), g.neg());
  EXPECT_EQ(g.mul_u64_vartime(5), g.dbl().dbl() + g);
  // [r]P = O: r − 1 times P plus P.
  EXPECT_TRUE((g.mul(Fr::one().neg()) + g).is_identity());
}

TYPED_TEST(GroupTest, ScalarMulSignedWindowEdgeDigits) {
  // Scalars whose GLV/GLS digits hit the Booth recoding's extremes: all-ones windows, alternating signs,
  // magnitude-16 digits, the top bit of a 64-bit digit, and digits of |x| − 1.
  const TypeParam g = TypeParam::generator().mul(Fr::from_u64(777));
  const Fr abs_x = Fr::from_u64(0xd201000000010000ULL);
  const std::uint64_t words[] = {0xffffffffffffffffULL, 0x8000000000000000ULL, 0x1084210842108421ULL,
                                 0xf7bdef7bdef7bdefULL, 0x8421084210842108ULL, 0xd200ffffffffffffULL, 1, 16, 17};
  for (const std::uint64_t w0 : words) {
    for (const std::uint64_t w1 : {std::uint64_t{0}, std::uint64_t{0xd200ffffffffffffULL}, w0}) {
      // k = w0 + w1·|x| + w0·|x|² + w1·|x|³ (GLS digits w0, w1 on G2; two 128-bit GLV halves on G1).
      const Fr a = Fr::from_u64(w0), b = Fr::from_u64(w1);
      const Fr k = a + abs_x * (b + abs_x * (a + abs_x * b));
      EXPECT_EQ(g.mul(k), double_and_add(g, k));
    }
  }
}

TYPED_TEST(GroupTest, MsmMatchesNaiveSum) {
  for (std::size_t n : {0u, 1u, 3u, 9u, 70u, 300u}) {
    std::vector<TypeParam> pts;
    std::vector<Fr> ks;
    TypeParam expect = TypeParam::identity();
    for (std::size_t i = 0; i < n; ++i) {
      pts.push_back(TypeParam::generator().mul_u64_vartime(i + 1));
      ks.push_back(i % 7 == 3 ? Fr::zero() : Fr::random());
      expect = expect + pts.back().mul(ks.back());
    }
    EXPECT_EQ(TypeParam::msm_vartime(pts, ks), expect) << n;
  }
}

TYPED_TEST(GroupTest, SerializationRoundTrip) {
  const TypeParam p = TypeParam::generator().mul(Fr::random());
  auto c = TypeParam::from_compressed(p.to_compressed());
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(*c, p);
  auto u = TypeParam::from_uncompressed(p.to_uncompressed());
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(*u, p);
  // Both y choices round-trip.
  auto n = TypeParam::from_compressed(p.neg().to_compressed());
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, p.neg());
  EXPECT_NE(p.to_compressed(), p.neg().to_compressed());
  // Identity.
  const auto ic = TypeParam::identity().to_compressed();
  EXPECT_EQ(ic[0], 0xc0);
  auto id = TypeParam::from_compressed(ic);
  ASSERT_TRUE(id.has_value());
  EXPECT_TRUE(id->is_identity());
  auto iu = TypeParam::from_uncompressed(TypeParam::identity().to_uncompressed());
  ASSERT_TRUE(iu.has_value());
  EXPECT_TRUE(iu->is_identity());
}

TYPED_TEST(GroupTest, DeserializationErrorPaths) {
  const TypeParam p = TypeParam::generator().mul(Fr::random());
  auto c = p.to_compressed();
  auto u = p.to_uncompressed();
  auto err = [](const auto& r) { return r.has_value() ? BlsError::kOk : static_cast<BlsError>(r.error().value()); };
  // Length.
  EXPECT_EQ(err(TypeParam::from_compressed(ByteSpan(c.data(), c.size() - 1))), BlsError::kBadLength);
  EXPECT_EQ(err(TypeParam::from_uncompressed(ByteSpan(u.data(), u.size() - 1))), BlsError::kBadLength);
  // Compression flag.
  auto c2 = c;
  c2[0] &= 0x7f;
  EXPECT_EQ(err(TypeParam::from_compressed(c2)), BlsError::kBadCompressionFlag);
  auto u2 = u;
  u2[0] |= 0x80;
  EXPECT_EQ(err(TypeParam::from_uncompressed(u2)), BlsError::kBadCompressionFlag);
  // Sign flag in uncompressed form.
  auto u3 = u;
  u3[0] |= 0x20;
  EXPECT_EQ(err(TypeParam::from_uncompressed(u3)), BlsError::kBadSortFlag);
  // Infinity with junk.
  auto i1 = TypeParam::identity().to_compressed();
  i1[i1.size() - 1] = 1;
  EXPECT_EQ(err(TypeParam::from_compressed(i1)), BlsError::kBadInfinityEncoding);
  auto i2 = TypeParam::identity().to_compressed();
  i2[0] |= 0x20;
  EXPECT_EQ(err(TypeParam::from_compressed(i2)), BlsError::kBadInfinityEncoding);
  // x ≥ p.
  auto big = c;
  for (std::size_t i = 1; i < 48; ++i) big[i] = 0xff;
  big[0] = 0x9f;
  EXPECT_EQ(err(TypeParam::from_compressed(big)), BlsError::kXNotInField);
  // Off-curve uncompressed (tweak y).
  auto u4 = u;
  u4[u4.size() - 1] ^= 1;
  const auto e4 = err(TypeParam::from_uncompressed(u4));
  EXPECT_TRUE(e4 == BlsError::kNotOnCurve || e4 == BlsError::kXNotInField);
}

TEST(BlsG1, SubgroupCheckRejectsNonSubgroupPoint) {
  // Find a point of E(Fp) outside G1: x = 0, 1, 2, … until x³ + 4 is a square; its order is divisible by the
  // cofactor's prime factors with overwhelming likelihood.
  int found = 0;
  for (std::uint64_t xi = 0; xi < 50 && found < 3; ++xi) {
    const Fp x = Fp::from_u64(xi);
    Fp y;
    if (!(x.sqr() * x + Fp::from_u64(4)).sqrt(y)) continue;
    const G1 p = G1::from_affine_unchecked(x, y);
    ASSERT_TRUE(p.on_curve());
    EXPECT_FALSE(p.in_subgroup()) << xi;
    // [r]P ≠ O confirms it is not in G1.
    EXPECT_FALSE((double_and_add(p, Fr::one().neg()) + p).is_identity());
    auto enc = p.to_compressed();
    auto r = G1::from_compressed(enc);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(static_cast<BlsError>(r.error().value()), BlsError::kNotInSubgroup);
    ++found;
  }
  EXPECT_GT(found, 0);
}

TEST(BlsG2, SubgroupCheckRejectsNonSubgroupPoint) {
  int found = 0;
  for (std::uint64_t xi = 0; xi < 50 && found < 3; ++xi) {
    const Fp2 x{Fp::from_u64(xi), Fp::one()};
    Fp2 y;
    if (!(x.sqr() * x + Fp2{Fp::from_u64(4), Fp::from_u64(4)}).sqrt(y)) continue;
    const G2 p = G2::from_affine_unchecked(x, y);
    ASSERT_TRUE(p.on_curve());
    EXPECT_FALSE(p.in_subgroup());
    auto r = G2::from_compressed(p.to_compressed());
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(static_cast<BlsError>(r.error().value()), BlsError::kNotInSubgroup);
    // Clearing the cofactor lands in G2.
    EXPECT_TRUE(p.clear_cofactor().in_subgroup());
    ++found;
  }
  EXPECT_GT(found, 0);
}

TEST(BlsG2, PsiActsAsMultiplicationByX) {
  const G2 p = G2::generator().mul(Fr::random());
  EXPECT_EQ(p.psi(), p.mul_by_x());
  EXPECT_EQ(p.psi2(), p.psi().psi());
  // x = −0xd201000000010000 as a scalar.
  const Fr x = Fr::from_u64(0xd201000000010000ULL).neg();
  EXPECT_EQ(p.mul_by_x(), p.mul(x));
}

TEST(BlsPairing, Bilinearity) {
  const G1 p = G1::generator();
  const G2 q = G2::generator();
  const Fr a = Fr::random(), b = Fr::random();
  const Fp12 e = pairing(p, q);
  EXPECT_FALSE(e.is_one());
  const Fp12 eab = pairing(p.mul(a), q.mul(b));
  // e^(ab) via e(P, [ab]Q) and e([ab]P, Q).
  EXPECT_EQ(eab, pairing(p, q.mul(a * b)));
  EXPECT_EQ(eab, pairing(p.mul(a * b), q));
  EXPECT_EQ(pairing(p + p, q), pairing(p, q) * pairing(p, q));
  // e(P, Q)^r = 1: GT has order r.
  const Fp12 er = pairing(p.mul(Fr::one().neg()), q) * e;
  EXPECT_TRUE(er.is_one());
  // The identity pairs to 1.
  EXPECT_TRUE(pairing(G1::identity(), q).is_one());
  EXPECT_TRUE(pairing(p, G2::identity()).is_one());
}

TEST(BlsPairing, MultiPairingCheck) {
  const Fr a = Fr::random();
  const G1 ps[2] = {G1::generator().mul(a), G1::generator().neg()};
  const G2 qs[2] = {G2::generator(), G2::generator().mul(a)};
  EXPECT_TRUE(pairing_check(ps, qs));
  const G2 bad[2] = {G2::generator(), G2::generator().mul(a + Fr::one())};
  EXPECT_FALSE(pairing_check(ps, bad));
  EXPECT_TRUE(pairing_check(std::span<const G1>{}, std::span<const G2>{}));
}

TEST(BlsHashToCurve, ExceptionalSswuInputsMapOntoTheCurve) {
  // u = 0 makes the SSWU denominator zero (x1 = B/(Z·A) branch); so does any u with Z·u² = −1.
  for (const Fp2& u : {Fp2::zero(), Fp2::one(), Fp2{Fp::zero(), Fp::one()}}) {
    const G2 p = map_to_curve_g2(u);
    EXPECT_TRUE(p.on_curve());
    EXPECT_TRUE(p.clear_cofactor().in_subgroup());
  }
}

TEST(BlsHashToCurve, OutputInSubgroupAndDeterministic) {
  const Bytes m = {1, 2, 3};
  const G2 h = hash_to_g2(m);
  EXPECT_TRUE(h.in_subgroup());
  EXPECT_EQ(h, hash_to_g2(m));
  EXPECT_FALSE(h == hash_to_g2(m, "OTHER-DST"));
  // Oversize DST path (RFC 9380 §5.3.3) runs and differs from the short DST.
  const std::string long_dst(300, 'D');
  std::uint8_t out1[32], out2[32];
  expand_message_xmd(m, long_dst, out1);
  expand_message_xmd(m, "D", out2);
  EXPECT_FALSE(std::equal(out1, out1 + 32, out2));
}

}  // namespace
}  // namespace phx::crypto::bls
