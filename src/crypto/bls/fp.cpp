// Fp and Fp2 arithmetic that is not inline in the header (inversion, square roots), and the tower constants.
#include "crypto/bls/fp.hpp"

#include "crypto/bls/tower_consts.hpp"

namespace phx::crypto::bls {

namespace {
using detail::Limbs;
constexpr Limbs<6> kPPlus1Div4 = detail::shr(detail::add_small(Fp::modulus(), 1), 2);
constexpr Limbs<6> kPMinus1Div2 = detail::shr(detail::sub_small(Fp::modulus(), 1), 1);
constexpr Limbs<6> kPMinus3Div4 = detail::shr(detail::sub_small(Fp::modulus(), 3), 2);
}  // namespace

// ---------------------------------------------------------------------------------------------- Fp
Fp Fp::sqrt_candidate() const { return pow_vartime_exp(kPPlus1Div4); }

template <std::size_t K>
void Fp::sqrt_candidate_lanes(const Fp (&a)[K], Fp (&out)[K]) {
  pow_lanes(a, kPPlus1Div4, out);
}
template void Fp::sqrt_candidate_lanes<1>(const Fp (&)[1], Fp (&)[1]);
template void Fp::sqrt_candidate_lanes<2>(const Fp (&)[2], Fp (&)[2]);

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
  const Fp2 a[1] = {*this};
  const Fp ss[1] = {s};
  Fp2 r[1];
  bool ok[1];
  sqrt_with_norm_root_lanes(a, ss, r, ok);
  out = r[0];
  return ok[0];
}

template <std::size_t K>
void Fp2::sqrt_with_norm_root_lanes(const Fp2 (&a)[K], const Fp (&s)[K], Fp2 (&out)[K], bool (&ok)[K]) {
  Fp t[K], a1[K];
  for (std::size_t l = 0; l < K; ++l) {
    t[l] = (a[l].c0 + s[l]).half();
    t[l] = Fp::select(t[l], (a[l].c0 - s[l]).half(), t[l].is_zero());
  }
  Fp::pow_lanes(t, kPMinus3Div4, a1);  // the K exponentiations overlap
  for (std::size_t l = 0; l < K; ++l) {
    const Fp y = a1[l] * t[l];
    const Fp y_inv = a1[l].sqr() * y;
    const bool t_square = y.sqr() == t[l];
    const Fp w = (a[l].c1 * y_inv).half();
    out[l].c0 = Fp::select(w, y, t_square);
    out[l].c1 = Fp::select(y, w, t_square);
    ok[l] = out[l].sqr() == a[l];
  }
}
template void Fp2::sqrt_with_norm_root_lanes<1>(const Fp2 (&)[1], const Fp (&)[1], Fp2 (&)[1], bool (&)[1]);
template void Fp2::sqrt_with_norm_root_lanes<2>(const Fp2 (&)[2], const Fp (&)[2], Fp2 (&)[2], bool (&)[2]);

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
