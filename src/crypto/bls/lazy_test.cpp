// Tests of the Fp kernels (assembly vs portable) and of the lazily reduced tower arithmetic (Fp2W, Fp6 and Fp12
// products) against schoolbook references built from plain Fp/Fp2 operations, on random and extreme inputs.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "crypto/bls/fp.hpp"
#include "crypto/bls/fp12.hpp"
#include "crypto/bls/fp_kernels.hpp"
#include "crypto/bls/pairing.hpp"

namespace phx::crypto::bls {
namespace {

using detail::Limbs;
using detail::Limbs12;

std::mt19937_64 rng(20260101);
const auto& kP = detail::FpParams::kModulus;

// A uniformly random Fp element (full range [0, p), Montgomery limbs).
Fp rand_fp() {
  for (;;) {
    Limbs<6> l{};
    for (auto& w : l) w = rng();
    l[5] &= (std::uint64_t{1} << 61) - 1;  // < 2^381
    if (detail::less_than(l, kP.m)) return Fp::from_mont(l);
  }
}
Fp2 rand_fp2() { return {rand_fp(), rand_fp()}; }
Fp6 rand_fp6() { return {rand_fp2(), rand_fp2(), rand_fp2()}; }
Fp12 rand_fp12() { return {rand_fp6(), rand_fp6()}; }

// Extreme Montgomery limbs < p: 0, 1, p − 1, p − 2, and values with all-ones low limbs.
std::vector<Limbs<6>> edge_limbs() {
  std::vector<Limbs<6>> v;
  v.push_back(Limbs<6>{});
  v.push_back(Limbs<6>{1, 0, 0, 0, 0, 0});
  v.push_back(detail::sub_small(kP.m, 1));
  v.push_back(detail::sub_small(kP.m, 2));
  Limbs<6> ones = detail::sub_small(kP.m, 1);
  ones[0] = ~std::uint64_t{0};
  ones[1] = ~std::uint64_t{0};
  ones[5] -= 1;
  v.push_back(ones);
  return v;
}

// Values < 2p (unreduced sums of two reduced values), including 2p − 2.
Limbs<6> rand_below_2p() {
  const Fp a = rand_fp(), b = rand_fp();
  return Fp::add_unreduced(a, b).mont();
}

// A random 768-bit value below p·2^384 (the domain of the wide kernels).
Limbs12 rand_wide() {
  Limbs12 t{};
  for (std::size_t i = 0; i < 6; ++i) t[i] = rng();
  const Limbs<6> hi = rand_fp().mont();
  for (std::size_t i = 0; i < 6; ++i) t[6 + i] = hi[i];
  return t;
}
Limbs12 wide_max() {  // p·2^384 − 1
  Limbs12 t{};
  for (std::size_t i = 0; i < 6; ++i) t[i] = ~std::uint64_t{0};
  const Limbs<6> hi = detail::sub_small(kP.m, 1);
  for (std::size_t i = 0; i < 6; ++i) t[6 + i] = hi[i];
  return t;
}

// ---------------------------------------------------------------------------------------------- kernels
TEST(BlsKernels, MulSqr384MatchPortable) {
  std::vector<Limbs<6>> xs = edge_limbs();
  Limbs<6> two_p{};
  detail::add_n(two_p, kP.m, kP.m);
  xs.push_back(detail::sub_small(two_p, 1));  // 2p − 1, the largest unreduced input
  xs.push_back(detail::sub_small(two_p, 2));
  for (int i = 0; i < 200; ++i) xs.push_back(i % 2 ? rand_fp().mont() : rand_below_2p());
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const auto& a = xs[i];
    const auto& b = xs[(i * 7 + 3) % xs.size()];
    EXPECT_EQ(detail::mul_384(a, b), detail::mul_384_portable(a, b));
    EXPECT_EQ(detail::sqr_384(a), detail::mul_384_portable(a, a));
  }
}

TEST(BlsKernels, RedcMatchesPortableAndMontMul) {
  std::vector<Limbs12> ts = {Limbs12{}, wide_max()};
  for (int i = 0; i < 200; ++i) ts.push_back(rand_wide());
  for (const auto& t : ts) EXPECT_EQ(detail::redc_384(t), detail::redc_384_portable(t));
  // redc(a·b) is the Montgomery product, also for unreduced factors < 2p (a·b < 4p² < p·2^384).
  for (int i = 0; i < 200; ++i) {
    const Fp x = rand_fp(), y = rand_fp(), z = rand_fp();
    const Fp a = i % 3 ? x : Fp::add_unreduced(x, y), b = Fp::add_unreduced(y, z);  // b < 2p
    EXPECT_EQ(Fp::from_mont(detail::redc_384(detail::mul_384(a.mont(), b.mont()))), (i % 3 ? x : x + y) * (y + z));
  }
}

TEST(BlsKernels, AddSubModMatchPortable) {
  std::vector<Limbs<6>> xs = edge_limbs();
  for (int i = 0; i < 200; ++i) xs.push_back(rand_fp().mont());
  for (std::size_t i = 0; i < xs.size(); ++i) {
    for (std::size_t j = 0; j < xs.size(); j += 17) {
      EXPECT_EQ(detail::add_mod(xs[i], xs[j], kP), detail::add_mod_portable(xs[i], xs[j], kP));
      EXPECT_EQ(detail::sub_mod(xs[i], xs[j], kP), detail::sub_mod_portable(xs[i], xs[j], kP));
    }
  }
}

TEST(BlsKernels, WideAddSubMatchPortable) {
  std::vector<Limbs12> ts = {Limbs12{}, wide_max()};
  for (int i = 0; i < 100; ++i) ts.push_back(rand_wide());
  for (std::size_t i = 0; i < ts.size(); ++i) {
    for (std::size_t j = 0; j < ts.size(); j += 7) {
      const Limbs12 s = detail::wide_add_mod(ts[i], ts[j]);
      const Limbs12 d = detail::wide_sub_mod(ts[i], ts[j]);
      EXPECT_EQ(s, detail::wide_add_mod_portable(ts[i], ts[j]));
      EXPECT_EQ(d, detail::wide_sub_mod_portable(ts[i], ts[j]));
      // Both stay below p·2^384 and agree with the reduced arithmetic.
      EXPECT_TRUE(detail::less_than(s, wide_max()) || s == wide_max());
      EXPECT_EQ(FpW{s}.reduce(), FpW{ts[i]}.reduce() + FpW{ts[j]}.reduce());
      EXPECT_EQ(FpW{d}.reduce(), FpW{ts[i]}.reduce() - FpW{ts[j]}.reduce());
      // Exact subtraction when no borrow can occur.
      const Limbs12 big = detail::wide_add_mod(ts[i], ts[j]);
      if (!detail::less_than(big, ts[j])) {
        Limbs12 want{};
        detail::sub_n(want, big, ts[j]);
        EXPECT_EQ(detail::wide_sub_exact(big, ts[j]), want);
      }
    }
  }
}

TEST(BlsKernels, SafegcdInverseMatchesFermat) {
  const auto p_minus_2 = detail::sub_small(kP.m, 2);
  std::vector<Fp> xs = {Fp::zero(),     Fp::one(), Fp::one().neg(), Fp::from_u64(2),
                        Fp::from_mont(Limbs<6>{1, 0, 0, 0, 0, 0}), Fp::from_mont(detail::sub_small(kP.m, 1))};
  for (int i = 0; i < 300; ++i) xs.push_back(rand_fp());
  for (const Fp& a : xs) {
    const Fp inv = a.inverse();
    EXPECT_EQ(inv, a.pow_vartime_exp(p_minus_2));
    if (!a.is_zero()) {
      EXPECT_EQ(a * inv, Fp::one());
    }
  }
  EXPECT_TRUE(Fp::zero().inverse().is_zero());
}

TEST(BlsKernels, HalfAndLockstepPowers) {
  std::vector<Fp> xs = {Fp::zero(), Fp::one(), Fp::one().neg(), Fp::from_mont(detail::sub_small(kP.m, 1))};
  for (int i = 0; i < 100; ++i) xs.push_back(rand_fp());
  const Fp two_inv = Fp::from_u64(2).inverse();
  for (const Fp& a : xs) {
    EXPECT_EQ(a.half(), a * two_inv);
    EXPECT_EQ(a.half().dbl(), a);
  }
  // pow_lanes<2> equals two separate exponentiations; the 2-lane square roots equal the 1-lane ones.
  const auto e = detail::sub_small(kP.m, 3);
  for (std::size_t i = 0; i + 1 < xs.size(); i += 2) {
    const Fp in[2] = {xs[i], xs[i + 1]};
    Fp out[2];
    Fp::pow_lanes(in, e, out);
    EXPECT_EQ(out[0], xs[i].pow_vartime_exp(e));
    EXPECT_EQ(out[1], xs[i + 1].pow_vartime_exp(e));
    const Fp2 a[2] = {Fp2{xs[i], xs[i + 1]}.sqr(), Fp2{xs[i + 1], xs[i]}};
    const Fp s[2] = {a[0].norm().sqrt_candidate(), a[1].norm().sqrt_candidate()};
    Fp2 r[2];
    bool ok[2];
    Fp2::sqrt_with_norm_root_lanes(a, s, r, ok);
    for (int l = 0; l < 2; ++l) {
      Fp2 one;
      EXPECT_EQ(ok[l], a[l].sqrt_with_norm_root(s[l], one));
      EXPECT_EQ(r[l], one);
    }
    EXPECT_TRUE(ok[0]);
  }
}

// ---------------------------------------------------------------------------------------------- Fp2
Fp2 mul_ref(const Fp2& a, const Fp2& b) { return {a.c0 * b.c0 - a.c1 * b.c1, a.c0 * b.c1 + a.c1 * b.c0}; }

TEST(BlsLazy, Fp2MulAndSqrMatchSchoolbook) {
  const Fp m1 = Fp::one().neg();
  std::vector<Fp2> xs = {Fp2::zero(), Fp2::one(), Fp2{m1, m1}, Fp2{m1, Fp::zero()}, Fp2{Fp::zero(), m1}};
  for (int i = 0; i < 100; ++i) xs.push_back(rand_fp2());
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const Fp2& a = xs[i];
    const Fp2& b = xs[(i * 5 + 1) % xs.size()];
    EXPECT_EQ(a * b, mul_ref(a, b));
    EXPECT_EQ(Fp2W::mul(a, b).reduce(), mul_ref(a, b));
    EXPECT_EQ(Fp2W::sqr(a).reduce(), mul_ref(a, a));
    EXPECT_EQ(a.sqr(), mul_ref(a, a));
    // Unreduced operands (components up to 2p − 2) are accepted by the wide product.
    const Fp2& c = xs[(i * 3 + 2) % xs.size()];
    EXPECT_EQ(Fp2W::mul(Fp2::add_unreduced(a, b), Fp2::add_unreduced(c, a)).reduce(), mul_ref(a + b, c + a));
    EXPECT_EQ((Fp2W::mul(a, b) + Fp2W::mul(c, a)).reduce(), mul_ref(a, b) + mul_ref(c, a));
    EXPECT_EQ((Fp2W::mul(a, b) - Fp2W::mul(c, a)).reduce(), mul_ref(a, b) - mul_ref(c, a));
    EXPECT_EQ(Fp2W::mul(a, b).mul_by_xi().reduce(), mul_ref(a, b).mul_by_xi());
  }
}

// ---------------------------------------------------------------------------------------------- Fp6 / Fp12
const Fp2 kXi{Fp::one(), Fp::one()};

Fp6 mul_ref(const Fp6& a, const Fp6& b) {
  return {mul_ref(a.c0, b.c0) + mul_ref(mul_ref(a.c1, b.c2) + mul_ref(a.c2, b.c1), kXi),
          mul_ref(a.c0, b.c1) + mul_ref(a.c1, b.c0) + mul_ref(mul_ref(a.c2, b.c2), kXi),
          mul_ref(a.c0, b.c2) + mul_ref(a.c1, b.c1) + mul_ref(a.c2, b.c0)};
}

Fp12 mul_ref(const Fp12& a, const Fp12& b) {
  const Fp6 v{Fp2::zero(), Fp2::one(), Fp2::zero()};
  return {mul_ref(a.c0, b.c0) + mul_ref(mul_ref(a.c1, b.c1), v), mul_ref(a.c0, b.c1) + mul_ref(a.c1, b.c0)};
}

std::vector<Fp6> fp6_inputs() {
  const Fp2 m{Fp::one().neg(), Fp::one().neg()};
  std::vector<Fp6> xs = {Fp6::zero(), Fp6::one(), Fp6{m, m, m}, Fp6{m, Fp2::zero(), m}};
  for (int i = 0; i < 30; ++i) xs.push_back(rand_fp6());
  return xs;
}

TEST(BlsLazy, Fp6MulSqrSparseMatchSchoolbook) {
  const auto xs = fp6_inputs();
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const Fp6& a = xs[i];
    const Fp6& b = xs[(i * 5 + 1) % xs.size()];
    EXPECT_EQ(a * b, mul_ref(a, b));
    EXPECT_EQ(Fp6::mul_wide(a, b).reduce(), mul_ref(a, b));
    EXPECT_EQ(a.sqr(), mul_ref(a, a));
    EXPECT_EQ(a.sqr_wide().reduce(), mul_ref(a, a));
    EXPECT_EQ(a.mul_by_01(b.c0, b.c1), mul_ref(a, Fp6{b.c0, b.c1, Fp2::zero()}));
    EXPECT_EQ(a.mul_by_1(b.c2), mul_ref(a, Fp6{Fp2::zero(), b.c2, Fp2::zero()}));
    EXPECT_EQ((Fp6::mul_wide(a, b) - a.sqr_wide()).mul_by_v().reduce(),
              (mul_ref(a, b) - mul_ref(a, a)).mul_by_v());
  }
}

TEST(BlsLazy, Fp12MulSqrSparseMatchSchoolbook) {
  const auto six = fp6_inputs();
  std::vector<Fp12> xs;
  for (std::size_t i = 0; i < six.size(); ++i) xs.push_back({six[i], six[(i * 3 + 2) % six.size()]});
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const Fp12& a = xs[i];
    const Fp12& b = xs[(i * 7 + 1) % xs.size()];
    EXPECT_EQ(a * b, mul_ref(a, b));
    EXPECT_EQ(a.sqr(), mul_ref(a, a));
    const Fp2 l0 = b.c0.c0, l1 = b.c0.c1, l4 = b.c1.c1;
    const Fp12 line{{l0, l1, Fp2::zero()}, {Fp2::zero(), l4, Fp2::zero()}};
    EXPECT_EQ(a.mul_by_014(l0, l1, l4), mul_ref(a, line));
  }
}

TEST(BlsLazy, CyclotomicSquareEqualsSquareOnCyclotomicElements) {
  for (int i = 0; i < 20; ++i) {
    const Fp12 a = rand_fp12();
    Fp12 t = a.conj() * a.inverse();
    t = t.frobenius(2) * t;  // (p⁶ − 1)(p² + 1)-th power: in the cyclotomic subgroup
    EXPECT_EQ(t.cyclotomic_sqr(), mul_ref(t, t));
    EXPECT_EQ(t.cyclotomic_sqr().cyclotomic_sqr(), t.sqr().sqr());
  }
}

TEST(BlsLazy, KarabinaCompressedSquaringMatchesGrangerScott) {
  for (int i = 0; i < 10; ++i) {
    const Fp12 a = rand_fp12();
    Fp12 t = a.conj() * a.inverse();
    t = t.frobenius(2) * t;  // cyclotomic
    Fp12 back[1];
    const Fp12Compressed c0 = t.compress();
    ASSERT_TRUE(Fp12::decompress_batch_vartime(&c0, back, 1));
    EXPECT_EQ(back[0], t);
    // k compressed squarings, decompressed together, equal k Granger–Scott squarings.
    Fp12Compressed c = c0;
    Fp12 gs = t;
    std::vector<Fp12Compressed> snaps;
    std::vector<Fp12> want;
    for (int k = 1; k <= 20; ++k) {
      c = Fp12::compressed_sqr(c);
      gs = gs.cyclotomic_sqr();
      if (k % 4 == 1) {
        snaps.push_back(c);
        want.push_back(gs);
      }
    }
    std::vector<Fp12> got(snaps.size());
    ASSERT_TRUE(Fp12::decompress_batch_vartime(snaps.data(), got.data(), snaps.size()));
    EXPECT_EQ(got, want);
  }
  // z2 = 0 (here f = 1) is refused; the final exponentiation then takes the Granger–Scott path.
  const Fp12Compressed one_c = Fp12::one().compress();
  Fp12 back[1];
  EXPECT_FALSE(Fp12::decompress_batch_vartime(&one_c, back, 1));
  EXPECT_TRUE(final_exponentiation(Fp12::one()).is_one());
}

}  // namespace
}  // namespace phx::crypto::bls
