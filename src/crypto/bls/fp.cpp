// Fp and Fp2 arithmetic that is not inline in the header (inversion, square roots), and the tower constants.
#include "crypto/bls/fp.hpp"

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
    c.psi2_x = c.psi_x.norm();
    c.psi2_y = c.psi_y.norm();
    return c;
  }();
  return kConsts;
}
}  // namespace detail

}  // namespace phx::crypto::bls
