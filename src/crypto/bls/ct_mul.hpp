#pragma once
/// Internal: constant-time multi-scalar multiplication for secret scalars on y² = x³ + b (G1 over Fp with b = 4,
/// G2's twist over Fp2 with b = 4(1 + u)): complete projective formulas of Renes–Costello–Batina (2016),
/// Algorithms 7 and 9 (a = 0), signed 5-bit windows (Booth recoding, digits in [−16, 16]), full-table scans.
/// Included by g1.cpp / g2.cpp (and pairing.cpp for mul_by_3b).
#include <array>
#include <cstdint>

#include "crypto/bls/curve_impl.hpp"
#include "crypto/bls/fp.hpp"

namespace phx::crypto::bls::detail {

/// 3·b·t with additions only: b = 4 on G1 (3b = 12), b = 4(1 + u) on G2's twist (3b = 12·ξ).
inline Fp mul_by_3b(const Fp& t) {
  const Fp t3 = t.dbl() + t;
  return t3.dbl().dbl();
}
inline Fp2 mul_by_3b(const Fp2& t) {
  const Fp2 t3 = t.dbl() + t;
  return t3.dbl().dbl().mul_by_xi();
}

/// a·b + c·d and a·b − c·d with one reduction per output limb set (double-width accumulation).
inline Fp mul_add(const Fp& a, const Fp& b, const Fp& c, const Fp& d) {
  return (FpW::mul(a, b) + FpW::mul(c, d)).reduce();
}
inline Fp mul_sub(const Fp& a, const Fp& b, const Fp& c, const Fp& d) {
  return (FpW::mul(a, b) - FpW::mul(c, d)).reduce();
}
inline Fp2 mul_add(const Fp2& a, const Fp2& b, const Fp2& c, const Fp2& d) {
  return (Fp2W::mul(a, b) + Fp2W::mul(c, d)).reduce();
}
inline Fp2 mul_sub(const Fp2& a, const Fp2& b, const Fp2& c, const Fp2& d) {
  return (Fp2W::mul(a, b) - Fp2W::mul(c, d)).reduce();
}

/// Homogeneous projective point (x = X/Z, y = Y/Z), identity (0 : 1 : 0).
template <class F>
struct Proj {
  F x{}, y = F::one(), z{};
};

template <class F>
inline Proj<F> proj_from_jac(const Jac<F>& p) {
  const F z2 = p.z.sqr();
  Proj<F> r{p.x * p.z, p.y, z2 * p.z};
  const bool inf = p.is_identity();
  r.x = F::select(r.x, F{}, inf);
  r.y = F::select(r.y, F::one(), inf);
  return r;
}

template <class F>
inline Jac<F> jac_from_proj(const Proj<F>& p) {
  Jac<F> r{p.x * p.z, p.y * p.z.sqr(), p.z};
  const bool inf = p.z.is_zero();
  r.x = F::select(r.x, F::one(), inf);
  r.y = F::select(r.y, F::one(), inf);
  return r;
}

template <class F>
inline Proj<F> proj_select(const Proj<F>& a, const Proj<F>& b, bool c) {
  return {F::select(a.x, b.x, c), F::select(a.y, b.y, c), F::select(a.z, b.z, c)};
}

/// Complete addition (RCB Algorithm 7, a = 0): no exceptional cases. Constant time.
template <class F>
inline Proj<F> proj_add(const Proj<F>& p, const Proj<F>& q) {
  F t0 = p.x * q.x;
  F t1 = p.y * q.y;
  F t2 = p.z * q.z;
  F t3 = (p.x + p.y) * (q.x + q.y);
  F t4 = t0 + t1;
  t3 = t3 - t4;
  t4 = (p.y + p.z) * (q.y + q.z);
  F x3 = t1 + t2;
  t4 = t4 - x3;
  x3 = (p.x + p.z) * (q.x + q.z);
  F y3 = t0 + t2;
  y3 = x3 - y3;
  x3 = t0 + t0;
  t0 = x3 + t0;
  t2 = mul_by_3b(t2);
  F z3 = t1 + t2;
  t1 = t1 - t2;
  y3 = mul_by_3b(y3);
  // X3 = t3·t1 − t4·y3, Y3 = y3·t0 + t1·z3, Z3 = z3·t4 + t0·t3 (each pair reduced once).
  return {mul_sub(t3, t1, t4, y3), mul_add(y3, t0, t1, z3), mul_add(z3, t4, t0, t3)};
}

/// Complete doubling (RCB Algorithm 9, a = 0). Constant time.
template <class F>
inline Proj<F> proj_dbl(const Proj<F>& p) {
  const F t0 = p.y.sqr();
  const F z8 = t0.dbl().dbl().dbl();
  const F t2 = mul_by_3b(p.z.sqr());
  const F u = t0 - (t2.dbl() + t2);
  // X3 = 2·u·X·Y, Y3 = u·(t0 + t2) + t2·8t0, Z3 = 8t0·Y·Z.
  return {(u * (p.x * p.y)).dbl(), mul_add(u, t0 + t2, t2, z8), (p.y * p.z) * z8};
}

/// [1]P … [16]P (projective); entry i holds [i + 1]P.
template <class F>
using Table16 = std::array<Proj<F>, 16>;

template <class F>
inline Table16<F> proj_table16(const Proj<F>& p) {
  Table16<F> t;
  t[0] = p;
  for (std::size_t i = 1; i < 16; ++i) t[i] = (i % 2 == 1) ? proj_dbl(t[i / 2]) : proj_add(t[i - 1], p);
  return t;
}

/// Booth digit of window w (5 bits, w·5 … w·5 + 4, plus bit w·5 − 1) of a W-word scalar: magnitude in [0, 16] and
/// sign (1 = negative); k = Σ_w digit_w·2^(5w) over ⌈(64W + 1)/5⌉ windows. Constant time in k (positions are
/// public).
template <std::size_t W>
inline void booth_digit(const std::array<u64, W>& k, int w, u64& mag, u64& neg) {
  u64 v = 0;
  for (int j = 0; j < 6; ++j) {
    const int b = 5 * w - 1 + j;
    if (b >= 0 && b < static_cast<int>(64 * W)) {
      v |= ((k[static_cast<std::size_t>(b / 64)] >> (b % 64)) & 1) << j;
    }
  }
  const u64 m = (v + 1) >> 1;  // digit = m − 32·s with s the window's top bit
  const u64 s = v >> 5;
  neg = s;
  mag = m + s * (32 - 2 * m);
}

/// Σ [k_j]B_j given tables[j][i] = [i + 1]B_j and M scalars of W 64-bit words each, constant time in the scalars:
/// joint signed 5-bit windows; per window and base one full-table scan, a conditional negation and one complete
/// addition.
template <class F, std::size_t M, std::size_t W>
inline Jac<F> proj_multi_mul_ct(const std::array<Table16<F>, M>& tables, const std::array<std::array<u64, W>, M>& ks) {
  constexpr int kWindows = static_cast<int>((64 * W + 1 + 4) / 5);
  Proj<F> acc;
  for (int w = kWindows - 1; w >= 0; --w) {
    if (w != kWindows - 1) acc = proj_dbl(proj_dbl(proj_dbl(proj_dbl(proj_dbl(acc)))));
    for (std::size_t j = 0; j < M; ++j) {
      u64 mag = 0, neg = 0;
      booth_digit(ks[j], w, mag, neg);
      Proj<F> t;  // identity for digit 0
      for (u64 i = 1; i <= 16; ++i) t = proj_select(t, tables[j][i - 1], i == mag);
      t.y = F::select(t.y, t.y.neg(), neg != 0);
      acc = proj_add(acc, t);
    }
  }
  return jac_from_proj(acc);
}

}  // namespace phx::crypto::bls::detail
