// Fp6 and Fp12 arithmetic with lazy reduction (double-width Fp2 products, one Montgomery reduction per output
// coefficient), the Frobenius map and the Granger–Scott cyclotomic squaring.
#include "crypto/bls/fp12.hpp"

#include <vector>

#include "crypto/bls/tower_consts.hpp"

namespace phx::crypto::bls {

// ---------------------------------------------------------------------------------------------- Fp6
Fp6W Fp6::mul_wide(const Fp6& a, const Fp6& b) {
  // Karatsuba over Fp2: 6 double-width Fp2 products. The sums fed to Fp2W::mul are unreduced (< 2p), which
  // Fp2W::mul accepts.
  const Fp2W t0 = Fp2W::mul(a.c0, b.c0);
  const Fp2W t1 = Fp2W::mul(a.c1, b.c1);
  const Fp2W t2 = Fp2W::mul(a.c2, b.c2);
  const Fp2W s12 = Fp2W::mul(Fp2::add_unreduced(a.c1, a.c2), Fp2::add_unreduced(b.c1, b.c2));
  const Fp2W s01 = Fp2W::mul(Fp2::add_unreduced(a.c0, a.c1), Fp2::add_unreduced(b.c0, b.c1));
  const Fp2W s02 = Fp2W::mul(Fp2::add_unreduced(a.c0, a.c2), Fp2::add_unreduced(b.c0, b.c2));
  Fp6W r;
  r.c0 = (s12 - t1 - t2).mul_by_xi() + t0;
  r.c1 = s01 - t0 - t1 + t2.mul_by_xi();
  r.c2 = s02 - t0 - t2 + t1;
  return r;
}

Fp6 operator*(const Fp6& a, const Fp6& b) { return Fp6::mul_wide(a, b).reduce(); }

Fp6W Fp6::sqr_wide() const {
  // Chung–Hasan SQR2.
  const Fp2W s0 = Fp2W::sqr(c0);
  const Fp2W s1 = Fp2W::mul(Fp2::add_unreduced(c0, c0), c1);
  const Fp2W s2 = Fp2W::sqr(c0 - c1 + c2);
  const Fp2W s3 = Fp2W::mul(Fp2::add_unreduced(c1, c1), c2);
  const Fp2W s4 = Fp2W::sqr(c2);
  return {s3.mul_by_xi() + s0, s4.mul_by_xi() + s1, s1 + s2 + s3 - s0 - s4};
}

Fp6 Fp6::sqr() const { return sqr_wide().reduce(); }

Fp6W Fp6::mul_by_01_wide(const Fp2& b0, const Fp2& b1) const {
  const Fp2W t0 = Fp2W::mul(c0, b0);
  const Fp2W t1 = Fp2W::mul(c1, b1);
  return {Fp2W::mul(c2, b1).mul_by_xi() + t0,
          Fp2W::mul(Fp2::add_unreduced(c0, c1), Fp2::add_unreduced(b0, b1)) - t0 - t1, Fp2W::mul(c2, b0) + t1};
}

Fp6 Fp6::mul_by_01(const Fp2& b0, const Fp2& b1) const { return mul_by_01_wide(b0, b1).reduce(); }

Fp6W Fp6::mul_by_1_wide(const Fp2& b1) const {
  return {Fp2W::mul(c2, b1).mul_by_xi(), Fp2W::mul(c0, b1), Fp2W::mul(c1, b1)};
}

Fp6 Fp6::mul_by_1(const Fp2& b1) const { return mul_by_1_wide(b1).reduce(); }

Fp6 Fp6::inverse() const {
  const Fp2 t0 = c0.sqr() - (c1 * c2).mul_by_xi();
  const Fp2 t1 = c2.sqr().mul_by_xi() - c0 * c1;
  const Fp2 t2 = c1.sqr() - c0 * c2;
  const Fp2 d = (c0 * t0 + (c2 * t1 + c1 * t2).mul_by_xi()).inverse();
  return {t0 * d, t1 * d, t2 * d};
}

// ---------------------------------------------------------------------------------------------- Fp12
Fp12 operator*(const Fp12& a, const Fp12& b) {
  // Karatsuba over Fp6, all three products double-width: 12 reductions instead of 18.
  const Fp6W t0 = Fp6::mul_wide(a.c0, b.c0);
  const Fp6W t1 = Fp6::mul_wide(a.c1, b.c1);
  const Fp6W t2 = Fp6::mul_wide(a.c0 + a.c1, b.c0 + b.c1);
  return {(t0 + t1.mul_by_v()).reduce(), (t2 - t0 - t1).reduce()};
}

Fp12 Fp12::sqr() const {
  // Complex squaring: (c0 + c1·w)² = (c0 + c1)(c0 + v·c1) − ab − v·ab + 2ab·w with ab = c0·c1.
  const Fp6W ab = Fp6::mul_wide(c0, c1);
  const Fp6W s = Fp6::mul_wide(c0 + c1, c0 + c1.mul_by_v());
  return {(s - ab - ab.mul_by_v()).reduce(), (ab + ab).reduce()};
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

Fp12Compressed Fp12::compressed_sqr(const Fp12Compressed& g) {
  // The w, w⁴ and w², w⁵ pairs of Granger–Scott's squaring only depend on each other.
  Fp2 t0, t1, t2, t3;
  fp4_sqr(g.z2, g.z3, t0, t1);
  fp4_sqr(g.z4, g.z5, t2, t3);
  Fp12Compressed r;
  r.z4 = (t0 - g.z4).dbl() + t0;
  r.z5 = (t1 + g.z5).dbl() + t1;
  const Fp2 t = t3.mul_by_xi();
  r.z2 = (t + g.z2).dbl() + t;
  r.z3 = (t2 - g.z3).dbl() + t2;
  return r;
}

bool Fp12::decompress_batch_vartime(const Fp12Compressed* in, Fp12* out, std::size_t n) {
  // g1 = (ξ·g5² + 3·g4² − 2·g3) / (4·g2) and g0 = ξ·(2·g1² + g2·g5 − 3·g3·g4) + 1 (Karabina), for g2 ≠ 0. (g2 = 0
  // has probability about p^-2 for the public values this serves; the caller then takes the uncompressed path.)
  std::vector<Fp2> num(n), den(n), prefix(n);
  Fp2 acc = Fp2::one();
  for (std::size_t i = 0; i < n; ++i) {
    const Fp12Compressed& g = in[i];
    if (g.z2.is_zero()) return false;
    const Fp2 g4s = g.z4.sqr();
    num[i] = g.z5.sqr().mul_by_xi() + g4s.dbl() + g4s - g.z3.dbl();
    den[i] = g.z2.dbl().dbl();
    prefix[i] = acc;
    acc *= den[i];
  }
  Fp2 inv = acc.inverse();
  for (std::size_t i = n; i-- > 0;) {
    const Fp2 den_inv = inv * prefix[i];
    inv *= den[i];
    const Fp12Compressed& g = in[i];
    const Fp2 g1 = num[i] * den_inv;
    const Fp2 g0 = (g1.sqr().dbl() + g.z2 * g.z5 - (g.z3 * g.z4).dbl() - g.z3 * g.z4).mul_by_xi() + Fp2::one();
    out[i] = {{g0, g.z4, g.z3}, {g.z2, g1, g.z5}};
  }
  return true;
}

Fp12 Fp12::mul_by_014(const Fp2& l0, const Fp2& l1, const Fp2& l4) const {
  // Karatsuba over Fp6 with the sparse factors l0 + l1·v and l4·v, all double-width: 12 reductions.
  const Fp6W t0 = c0.mul_by_01_wide(l0, l1);
  const Fp6W t1 = c1.mul_by_1_wide(l4);
  const Fp6W s = (c0 + c1).mul_by_01_wide(l0, l1 + l4);
  return {(t0 + t1.mul_by_v()).reduce(), (s - t0 - t1).reduce()};
}

}  // namespace phx::crypto::bls
