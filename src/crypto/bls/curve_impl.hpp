#pragma once
/// Internal: Jacobian-coordinate arithmetic on y² = x³ + b shared by G1 (F = Fp) and G2 (F = Fp2).
/// Included only by g1.cpp / g2.cpp / pairing.cpp.
#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "crypto/bls/fr.hpp"
#include "crypto/bls/mont.hpp"

namespace phx::crypto::bls::detail {

template <class F>
struct Jac {
  F x = F::one(), y = F::one(), z{};
  bool is_identity() const { return z.is_zero(); }
};

template <class F>
inline Jac<F> jac_select(const Jac<F>& a, const Jac<F>& b, bool c) {
  return {F::select(a.x, b.x, c), F::select(a.y, b.y, c), F::select(a.z, b.z, c)};
}

/// 2P (dbl-2009-l, a = 0). The identity maps to the identity. Constant time.
template <class F>
inline Jac<F> jac_dbl(const Jac<F>& p) {
  const F a = p.x.sqr();
  const F b = p.y.sqr();
  const F c = b.sqr();
  const F d = ((p.x + b).sqr() - a - c).dbl();
  const F e = a.dbl() + a;
  const F f = e.sqr();
  Jac<F> r;
  r.x = f - d.dbl();
  r.y = e * (d - r.x) - c.dbl().dbl().dbl();
  r.z = (p.y * p.z).dbl();
  return r;
}

/// Generic addition (add-2007-bl); also reports H == 0 and R == 0 (equal x / equal y).
template <class F>
inline Jac<F> jac_add_raw(const Jac<F>& p, const Jac<F>& q, bool& h_zero, bool& r_zero) {
  const F z1z1 = p.z.sqr();
  const F z2z2 = q.z.sqr();
  const F u1 = p.x * z2z2;
  const F u2 = q.x * z1z1;
  const F s1 = p.y * q.z * z2z2;
  const F s2 = q.y * p.z * z1z1;
  const F h = u2 - u1;
  const F i = h.dbl().sqr();
  const F j = h * i;
  const F rr = (s2 - s1).dbl();
  const F v = u1 * i;
  Jac<F> out;
  out.x = rr.sqr() - j - v.dbl();
  out.y = rr * (v - out.x) - (s1 * j).dbl();
  out.z = ((p.z + q.z).sqr() - z1z1 - z2z2) * h;
  h_zero = h.is_zero();
  r_zero = rr.is_zero();
  return out;
}

/// Complete addition: identity inputs, P = Q (doubling) and P = −Q handled by selection. Constant time.
template <class F>
inline Jac<F> jac_add_ct(const Jac<F>& p, const Jac<F>& q) {
  bool hz = false, rz = false;
  Jac<F> r = jac_add_raw(p, q, hz, rz);
  const bool pi = p.is_identity();
  const bool qi = q.is_identity();
  r = jac_select(r, jac_dbl(p), ct_and(ct_and(hz, rz), ct_and(!pi, !qi)));
  r = jac_select(r, q, pi);
  r = jac_select(r, p, qi);
  return r;
}

/// Addition for public inputs (branches on exceptional cases).
template <class F>
inline Jac<F> jac_add_vartime(const Jac<F>& p, const Jac<F>& q) {
  if (p.is_identity()) return q;
  if (q.is_identity()) return p;
  bool hz = false, rz = false;
  Jac<F> r = jac_add_raw(p, q, hz, rz);
  if (hz) {
    if (rz) return jac_dbl(p);
    return Jac<F>{};
  }
  return r;
}

/// Mixed addition P + Q with Q affine (Z = 1, not the identity), public inputs (madd-2007-bl).
template <class F>
inline Jac<F> jac_add_affine_vartime(const Jac<F>& p, const F& qx, const F& qy) {
  if (p.is_identity()) return {qx, qy, F::one()};
  const F z1z1 = p.z.sqr();
  const F u2 = qx * z1z1;
  const F s2 = qy * p.z * z1z1;
  const F h = u2 - p.x;
  const F rr = (s2 - p.y).dbl();
  if (h.is_zero()) {
    if (rr.is_zero()) return jac_dbl(p);
    return Jac<F>{};
  }
  const F hh = h.sqr();
  const F i = hh.dbl().dbl();
  const F j = h * i;
  const F v = p.x * i;
  Jac<F> out;
  out.x = rr.sqr() - j - v.dbl();
  out.y = rr * (v - out.x) - (p.y * j).dbl();
  out.z = (p.z + h).sqr() - z1z1 - hh;
  return out;
}

template <class F>
inline Jac<F> jac_neg(const Jac<F>& p) {
  return {p.x, p.y.neg(), p.z};
}

/// Projective equality. Constant time.
template <class F>
inline bool jac_eq(const Jac<F>& p, const Jac<F>& q) {
  const bool pi = p.is_identity();
  const bool qi = q.is_identity();
  const F z1z1 = p.z.sqr();
  const F z2z2 = q.z.sqr();
  const bool xe = (p.x * z2z2) == (q.x * z1z1);
  const bool ye = (p.y * z2z2 * q.z) == (q.y * z1z1 * p.z);
  return ct_or(ct_and(pi, qi), ct_and(ct_and(!pi, !qi), ct_and(xe, ye)));
}

/// Constant-time division of a 256-bit integer by |x| = 0xd201000000010000 (binary long division with
/// masks; no data-dependent branches or division instructions). Returns the remainder, n becomes the quotient.
inline u64 div_abs_x_ct(Limbs<4>& n) {
  constexpr u64 kD = 0xd201000000010000ULL;
  u128 rem = 0;
  Limbs<4> q{};
  for (int bit = 255; bit >= 0; --bit) {
    const u64 b = (n[static_cast<std::size_t>(bit / 64)] >> (bit % 64)) & 1;
    rem = (rem << 1) | b;
    const u128 diff = rem - kD;
    const u64 ge = 1 ^ static_cast<u64>(diff >> 127);  // rem ≥ d (rem < 2^66, so the sign bit is exact)
    const u128 mask = static_cast<u128>(0) - ge;
    rem = (diff & mask) | (rem & ~mask);
    q[static_cast<std::size_t>(bit / 64)] |= ge << (bit % 64);
  }
  n = q;
  return static_cast<u64>(rem);
}

/// Width-w NAF digits of a 256-bit scalar (public).
inline int wnaf(const Limbs<4>& k_in, int w, std::array<std::int8_t, 260>& out) {
  Limbs<5> k{k_in[0], k_in[1], k_in[2], k_in[3], 0};
  const std::int64_t full = std::int64_t{1} << w;
  const std::int64_t half = full >> 1;
  int len = 0;
  auto nonzero = [&] { return (k[0] | k[1] | k[2] | k[3] | k[4]) != 0; };
  while (nonzero()) {
    std::int8_t d = 0;
    if (k[0] & 1) {
      std::int64_t m = static_cast<std::int64_t>(k[0] & static_cast<u64>(full - 1));
      if (m >= half) m -= full;
      d = static_cast<std::int8_t>(m);
      if (m > 0) {
        k = sub_small(k, static_cast<u64>(m));
      } else {
        k = add_small(k, static_cast<u64>(-m));
      }
    }
    out[static_cast<std::size_t>(len++)] = d;
    k = shr(k, 1);
  }
  return len;
}

/// [k]P for a public scalar (wNAF width 5).
template <class F>
inline Jac<F> jac_mul_vartime(const Jac<F>& p, const Limbs<4>& k) {
  std::array<std::int8_t, 260> naf{};
  const int len = wnaf(k, 5, naf);
  std::array<Jac<F>, 8> odd;  // P, 3P, …, 15P
  odd[0] = p;
  const Jac<F> p2 = jac_dbl(p);
  for (int i = 1; i < 8; ++i) odd[i] = jac_add_vartime(odd[i - 1], p2);
  Jac<F> acc;
  for (int i = len - 1; i >= 0; --i) {
    acc = jac_dbl(acc);
    const int d = naf[static_cast<std::size_t>(i)];
    if (d > 0) acc = jac_add_vartime(acc, odd[static_cast<std::size_t>((d - 1) / 2)]);
    if (d < 0) acc = jac_add_vartime(acc, jac_neg(odd[static_cast<std::size_t>((-d - 1) / 2)]));
  }
  return acc;
}

/// Odd multiples P, 3P, …, 15P (for width-5 wNAF).
template <class F>
using OddTable = std::array<Jac<F>, 8>;

template <class F>
inline OddTable<F> jac_odd_table(const Jac<F>& p) {
  OddTable<F> t;
  t[0] = p;
  const Jac<F> p2 = jac_dbl(p);
  for (std::size_t i = 1; i < 8; ++i) t[i] = jac_add_vartime(t[i - 1], p2);
  return t;
}

/// Straus (interleaved wNAF-5) multi-scalar multiplication for public inputs: Σ [k_j]B_j with tables[j] the
/// odd multiples of B_j and scalars of W ≤ 4 words.
template <class F, std::size_t W>
inline Jac<F> jac_straus_vartime(std::span<const OddTable<F>> tables, std::span<const std::array<u64, W>> ks) {
  static_assert(W <= 4);
  const std::size_t n = tables.size();
  std::vector<std::array<std::int8_t, 260>> nafs(n);
  int max_len = 0;
  for (std::size_t j = 0; j < n; ++j) {
    Limbs<4> k{};
    for (std::size_t w = 0; w < W; ++w) k[w] = ks[j][w];
    const int len = wnaf(k, 5, nafs[j]);
    if (len > max_len) max_len = len;
  }
  Jac<F> acc;
  for (int i = max_len - 1; i >= 0; --i) {
    acc = jac_dbl(acc);
    for (std::size_t j = 0; j < n; ++j) {
      const int d = nafs[j][static_cast<std::size_t>(i)];
      if (d > 0) acc = jac_add_vartime(acc, tables[j][static_cast<std::size_t>((d - 1) / 2)]);
      if (d < 0) acc = jac_add_vartime(acc, jac_neg(tables[j][static_cast<std::size_t>((-d - 1) / 2)]));
    }
  }
  return acc;
}

/// [|x|]P with |x| = 0xd201000000010000 for a public point: 63 doublings, 5 additions that branch on their
/// exceptional cases (correct for any curve point, including small-order ones).
template <class F>
inline Jac<F> jac_mul_abs_x_vartime(const Jac<F>& p) {
  constexpr u64 kX = 0xd201000000010000ULL;
  Jac<F> acc = p;
  for (int i = 62; i >= 0; --i) {
    acc = jac_dbl(acc);
    if ((kX >> i) & 1) acc = jac_add_vartime(acc, p);
  }
  return acc;
}

/// Pippenger multi-scalar multiplication for public inputs.
template <class F>
inline Jac<F> jac_msm_vartime(std::span<const Jac<F>> pts, std::span<const Fr> scalars) {
  const std::size_t n = pts.size();
  std::vector<Limbs<4>> ks(n);
  unsigned max_bits = 0;
  for (std::size_t i = 0; i < n; ++i) {
    ks[i] = scalars[i].to_limbs();
    for (int l = 3; l >= 0; --l) {
      if (ks[i][static_cast<std::size_t>(l)] != 0) {
        const unsigned b = static_cast<unsigned>(64 * l + 64 - __builtin_clzll(ks[i][static_cast<std::size_t>(l)]));
        if (b > max_bits) max_bits = b;
        break;
      }
    }
  }
  if (n == 0 || max_bits == 0) return Jac<F>{};
  if (n < 4) {
    Jac<F> acc;
    for (std::size_t i = 0; i < n; ++i) acc = jac_add_vartime(acc, jac_mul_vartime(pts[i], ks[i]));
    return acc;
  }
  unsigned c = 3;
  if (n >= 16) c = 4;
  if (n >= 48) c = 5;
  if (n >= 128) c = 6;
  if (n >= 512) c = 8;
  if (n >= 4096) c = 10;
  if (n >= 32768) c = 12;
  const unsigned windows = (max_bits + c - 1) / c;
  std::vector<Jac<F>> buckets((std::size_t{1} << c) - 1);
  Jac<F> acc;
  for (unsigned w = windows; w-- > 0;) {
    for (unsigned d = 0; d < c; ++d) acc = jac_dbl(acc);
    for (auto& b : buckets) b = Jac<F>{};
    const unsigned bit0 = w * c;
    for (std::size_t i = 0; i < n; ++i) {
      u64 digit = 0;
      for (unsigned b = 0; b < c; ++b) {
        const unsigned bit = bit0 + b;
        if (bit < 256) digit |= ((ks[i][bit / 64] >> (bit % 64)) & 1) << b;
      }
      if (digit != 0) buckets[digit - 1] = jac_add_vartime(buckets[digit - 1], pts[i]);
    }
    Jac<F> running, sum;
    for (std::size_t b = buckets.size(); b-- > 0;) {
      running = jac_add_vartime(running, buckets[b]);
      sum = jac_add_vartime(sum, running);
    }
    acc = jac_add_vartime(acc, sum);
  }
  return acc;
}

}  // namespace phx::crypto::bls::detail
