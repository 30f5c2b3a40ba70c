// Fp, Fp2, Fp6 and Fp12 arithmetic that is not inline in the headers.
#include "crypto/bls/fp.hpp"

#include "crypto/bls/fp12.hpp"
#include "crypto/bls/tower_consts.hpp"

namespace phx::crypto::bls {

namespace {
using detail::Limbs;
constexpr Limbs<6> kPPlus1Div4 = detail::shr(detail::add_small(Fp::modulus(), 1), 2);
constexpr Limbs<6> kPMinus1Div2 = detail::shr(detail::sub_small(Fp::modulus(), 1), 1);
constexpr Limbs<6> kPMinus3Div4 = detail::shr(detail::sub_small(Fp::modulus(), 3), 2);
constexpr Fp kHalf = Fp::from_canonical(detail::shr(detail::add_small(Fp::modulus(), 1), 1));
}  // namespace

// ---------------------------------------------------------------------------------------------- Fp
Fp Fp::sqrt_candidate() const { return pow_vartime_exp(kPPlus1Div4); }

bool Fp::sqrt(Fp& out) const {
  out = sqrt_candidate();
  return out.sqr() == *this;
}

bool Fp::is_square() const {
  const Fp l = pow_vartime_exp(kPMinus1Div2);
  return detail::ct_or(l == Fp::one(), is_zero());
}

bool Fp::lexicographically_largest_vartime() const { return detail::less_than(kPMinus1Div2, to_canonical()); }

// ---------------------------------------------------------------------------------------------- Fp2
Fp2 Fp2::inverse() const {
  const Fp t = (c0.sqr() + c1.sqr()).inverse();
  return {c0 * t, (c1 * t).neg()};
}

bool Fp2::is_square() const { return (c0.sqr() + c1.sqr()).is_square(); }

bool Fp2::sqrt(Fp2& out) const {
  // Norm method for p ≡ 3 (mod 4): with s = √(c0² + c1²) and t = (c0 + s)/2, a root is x0 + x1·u where
  // either x0 = √t, x1 = c1/(2·x0), or (t a non-square) x1 = √(−t), x0 = c1/(2·x1). One exponentiation
  // a1 = t^((p−3)/4) yields both the candidate y = a1·t and its inverse a1²·y. Constant time.
  return sqrt_with_norm_root(norm().sqrt_candidate(), out);
}

bool Fp2::sqrt_with_norm_root(const Fp& s, Fp2& out) const {
  Fp t = (c0 + s) * kHalf;
  t = Fp::select(t, (c0 - s) * kHalf, t.is_zero());
  const Fp a1 = t.pow_vartime_exp(kPMinus3Div4);
  const Fp y = a1 * t;
  const Fp y_inv = a1.sqr() * y;
  const bool t_square = y.sqr() == t;
  const Fp w = c1 * y_inv * kHalf;
  out.c0 = Fp::select(w, y, t_square);
  out.c1 = Fp::select(y, w, t_square);
  return out.sqr() == *this;
}

bool Fp2::sgn0() const {
  const bool sign0 = c0.sgn0();
  const bool zero0 = c0.is_zero();
  const bool sign1 = c1.sgn0();
  return detail::ct_or(sign0, detail::ct_and(zero0, sign1));
}

bool Fp2::lexicographically_largest_vartime() const {
  if (!c1.is_zero()) return c1.lexicographically_largest_vartime();
  return c0.lexicographically_largest_vartime();
}

Fp2 Fp2::pow_vartime_exp(const detail::Limbs<6>& e) const {
  Fp2 acc = Fp2::one();
  bool started = false;
  for (std::size_t i = 6 * 64; i-- > 0;) {
    if (started) acc = acc.sqr();
    if ((e[i / 64] >> (i % 64)) & 1) {
      acc = acc * *this;
      started = true;
    }
  }
  return acc;
}

// ---------------------------------------------------------------------------------------------- Fp6
Fp6 operator*(const Fp6& a, const Fp6& b) {
  const Fp2 t0 = a.c0 * b.c0;
  const Fp2 t1 = a.c1 * b.c1;
  const Fp2 t2 = a.c2 * b.c2;
  Fp6 r;
  r.c0 = ((a.c1 + a.c2) * (b.c1 + b.c2) - t1 - t2).mul_by_xi() + t0;
  r.c1 = (a.c0 + a.c1) * (b.c0 + b.c1) - t0 - t1 + t2.mul_by_xi();
  r.c2 = (a.c0 + a.c2) * (b.c0 + b.c2) - t0 - t2 + t1;
  return r;
}

Fp6 Fp6::sqr() const {
  // Chung–Hasan SQR2.
  const Fp2 s0 = c0.sqr();
  const Fp2 s1 = (c0 * c1).dbl();
  const Fp2 s2 = (c0 - c1 + c2).sqr();
  const Fp2 s3 = (c1 * c2).dbl();
  const Fp2 s4 = c2.sqr();
  return {s3.mul_by_xi() + s0, s4.mul_by_xi() + s1, s1 + s2 + s3 - s0 - s4};
}

Fp6 Fp6::mul_by_01(const Fp2& b0, const Fp2& b1) const {
  const Fp2 t0 = c0 * b0;
  const Fp2 t1 = c1 * b1;
  return {(c2 * b1).mul_by_xi() + t0, (c0 + c1) * (b0 + b1) - t0 - t1, c2 * b0 + t1};
}

Fp6 Fp6::mul_by_1(const Fp2& b1) const { return {(c2 * b1).mul_by_xi(), c0 * b1, c1 * b1}; }

Fp6 Fp6::inverse() const {
  const Fp2 t0 = c0.sqr() - (c1 * c2).mul_by_xi();
  const Fp2 t1 = c2.sqr().mul_by_xi() - c0 * c1;
  const Fp2 t2 = c1.sqr() - c0 * c2;
  const Fp2 d = (c0 * t0 + (c2 * t1 + c1 * t2).mul_by_xi()).inverse();
  return {t0 * d, t1 * d, t2 * d};
}

// ---------------------------------------------------------------------------------------------- Fp12
Fp12 operator*(const Fp12& a, const Fp12& b) {
  const Fp6 t0 = a.c0 * b.c0;
  const Fp6 t1 = a.c1 * b.c1;
  return {t0 + t1.mul_by_v(), (a.c0 + a.c1) * (b.c0 + b.c1) - t0 - t1};
}

Fp12 Fp12::sqr() const {
  const Fp6 ab = c0 * c1;
  const Fp6 c0n = (c0 + c1) * (c0 + c1.mul_by_v()) - ab - ab.mul_by_v();
  return {c0n, ab + ab};
}

Fp12 Fp12::inverse() const {
  const Fp6 t = (c0.sqr() - c1.sqr().mul_by_v()).inverse();
  return {c0 * t, (c1 * t).neg()};
}

Fp12 Fp12::frobenius(int k) const {
  const auto& g = detail::tower_consts().frob_gamma;  // g[j] = ξ^(j(p−1)/6), j = 1..5
  Fp12 r = *this;
  for (int i = 0; i < k; ++i) {
    // Coefficient of w^j: c0.c0 ↔ w⁰, c0.c1 ↔ w², c0.c2 ↔ w⁴, c1.c0 ↔ w¹, c1.c1 ↔ w³, c1.c2 ↔ w⁵.
    Fp12 t;
    t.c0.c0 = r.c0.c0.conj();
    t.c0.c1 = r.c0.c1.conj() * g[2];
    t.c0.c2 = r.c0.c2.conj() * g[4];
    t.c1.c0 = r.c1.c0.conj() * g[1];
    t.c1.c1 = r.c1.c1.conj() * g[3];
    t.c1.c2 = r.c1.c2.conj() * g[5];
    r = t;
  }
  return r;
}

namespace {
// (a + b·w³)² in Fp4 = Fp2[w³]/((w³)² − ξ): returns (a² + ξb², 2ab).
inline void fp4_sqr(const Fp2& a, const Fp2& b, Fp2& r0, Fp2& r1) {
  const Fp2 t0 = a.sqr();
  const Fp2 t1 = b.sqr();
  r0 = t1.mul_by_xi() + t0;
  r1 = (a + b).sqr() - t0 - t1;
}
}  // namespace

Fp12 Fp12::cyclotomic_sqr() const {
  // Granger–Scott: view Fp12 as Fp4³ with pairs (z0,z1), (z2,z3), (z4,z5).
  Fp2 z0 = c0.c0, z4 = c0.c1, z3 = c0.c2, z2 = c1.c0, z1 = c1.c1, z5 = c1.c2;
  Fp2 t0, t1, t2, t3;
  fp4_sqr(z0, z1, t0, t1);
  z0 = (t0 - z0).dbl() + t0;
  z1 = (t1 + z1).dbl() + t1;
  fp4_sqr(z2, z3, t0, t1);
  fp4_sqr(z4, z5, t2, t3);
  z4 = (t0 - z4).dbl() + t0;
  z5 = (t1 + z5).dbl() + t1;
  t0 = t3.mul_by_xi();
  z2 = (t0 + z2).dbl() + t0;
  z3 = (t2 - z3).dbl() + t2;
  return {{z0, z4, z3}, {z2, z1, z5}};
}

Fp12 Fp12::mul_by_014(const Fp2& l0, const Fp2& l1, const Fp2& l4) const {
  const Fp6 t0 = c0.mul_by_01(l0, l1);
  const Fp6 t1 = c1.mul_by_1(l4);
  const Fp6 s = (c0 + c1).mul_by_01(l0, l1 + l4);
  return {t0 + t1.mul_by_v(), s - t0 - t1};
}

// ---------------------------------------------------------------------------------------------- constants
namespace detail {
const TowerConsts& tower_consts() {
  static const TowerConsts kConsts = [] {
    TowerConsts c{};
    const Fp2 xi{Fp::one(), Fp::one()};
    const Limbs<6> e = div_small(sub_small(Fp::modulus(), 1), 6);
    const Fp2 g1 = xi.pow_vartime_exp(e);
    c.frob_gamma[0] = Fp2::one();
    for (int j = 1; j < 6; ++j) c.frob_gamma[j] = c.frob_gamma[j - 1] * g1;
    c.psi_x = c.frob_gamma[2].inverse();  // ξ^(−(p−1)/3)
    c.psi_y = c.frob_gamma[3].inverse();  // ξ^(−(p−1)/2)
    return c;
  }();
  return kConsts;
}
}  // namespace detail

}  // namespace phx::crypto::bls
