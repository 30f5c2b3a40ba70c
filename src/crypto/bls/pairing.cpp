// Optimal ate pairing: Miller loop with homogeneous projective line functions on the M-type twist
// (Costello–Lange–Naehrig), sparse 0,1,4 line multiplication, and the final exponentiation.
#include "crypto/bls/pairing.hpp"

#include <vector>

#include "base/assert.hpp"
#include "crypto/bls/ct_mul.hpp"

namespace phx::crypto::bls {

namespace {

constexpr std::uint64_t kAbsX = 0xd201000000010000ULL;

struct Proj {
  Fp2 x, y, z;
};

struct Line {
  Fp2 l0, l1, l4;
};

// T ← 2T; returns the tangent line at T evaluated at P (scaled by a factor in Fp2, killed by the final exp).
inline Line dbl_step(Proj& t, const Fp& px, const Fp& py) {
  const Fp2 a = (t.x * t.y).half();
  const Fp2 b = t.y.sqr();
  const Fp2 c = t.z.sqr();
  const Fp2 e = detail::mul_by_3b(c);  // 3·b'·Z² with b' = 4(1 + u), by additions
  const Fp2 f = e.dbl() + e;
  const Fp2 g = (b + f).half();
  const Fp2 h = (t.y + t.z).sqr() - (b + c);
  const Fp2 j = t.x.sqr();
  Line l;
  l.l0 = e - b;
  l.l1 = (j.dbl() + j).mul_fp(px);
  l.l4 = h.neg().mul_fp(py);
  t.x = a * (b - f);
  const Fp2W e2 = Fp2W::sqr(e);
  t.y = (Fp2W::sqr(g) - e2 - e2 - e2).reduce();  // g² − 3e², one reduction
  t.z = b * h;
  return l;
}

// T ← T + Q (Q affine); returns the chord line evaluated at P.
inline Line add_step(Proj& t, const Fp2& qx, const Fp2& qy, const Fp& px, const Fp& py) {
  const Fp2 theta = t.y - qy * t.z;
  const Fp2 lambda = t.x - qx * t.z;
  const Fp2 c = theta.sqr();
  const Fp2 d = lambda.sqr();
  const Fp2 e = lambda * d;
  const Fp2 f = t.z * c;
  const Fp2 g = t.x * d;
  const Fp2 h = e + f - g.dbl();
  Line l;
  l.l0 = theta * qx - lambda * qy;
  l.l1 = theta.neg().mul_fp(px);
  l.l4 = lambda.mul_fp(py);
  t.x = lambda * h;
  t.y = theta * (g - h) - t.y * e;
  t.z = t.z * e;
  return l;
}

// x-power in the cyclotomic subgroup: f^x = conj(f^|x|) since x < 0. |x| = 2^63 + 2^62 + 2^60 + 2^57 + 2^48 + 2^16:
// 63 squarings in Karabina's compressed form, the six powers f^(2^k) decompressed with one shared inversion and
// multiplied. (Granger–Scott square-and-multiply when a power has a zero w-coefficient, e.g. for f = 1.)
inline Fp12 cyclotomic_exp_x(const Fp12& f) {
  Fp12Compressed snaps[6];
  std::size_t n = 0;
  Fp12Compressed c = f.compress();
  for (int k = 1; k <= 63; ++k) {
    c = Fp12::compressed_sqr(c);
    if ((kAbsX >> k) & 1) snaps[n++] = c;
  }
  Fp12 pw[6];
  if (Fp12::decompress_batch_vartime(snaps, pw, n)) {
    Fp12 r = pw[0];
    for (std::size_t i = 1; i < n; ++i) r *= pw[i];
    return r.conj();
  }
  Fp12 r = f;
  for (int i = 62; i >= 0; --i) {
    r = r.cyclotomic_sqr();
    if ((kAbsX >> i) & 1) r *= f;
  }
  return r.conj();
}

}  // namespace

Fp12 miller_loop(std::span<const G1> p, std::span<const G2> q) {
  PHX_ASSERT(p.size() == q.size());
  struct Pair {
    Fp px, py;
    Fp2 qx, qy;
    Proj t;
  };
  std::vector<Pair> pairs;
  pairs.reserve(p.size());
  // Affine coordinates with one shared inversion (Montgomery's trick over the Fp values z_P and N(z_Q), points
  // with Z = 1 skipped): public inputs, so the branches are fine.
  std::vector<const G1*> ps;
  std::vector<const G2*> qs;
  std::vector<Fp> dens;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i].is_identity() || q[i].is_identity()) continue;
    ps.push_back(&p[i]);
    qs.push_back(&q[i]);
    if (!(p[i].z() == Fp::one())) dens.push_back(p[i].z());
    if (!(q[i].z() == Fp2::one())) dens.push_back(q[i].z().norm());
  }
  std::vector<Fp> prefix(dens.size());
  Fp acc = Fp::one();
  for (std::size_t i = 0; i < dens.size(); ++i) {
    prefix[i] = acc;
    acc *= dens[i];
  }
  Fp inv = acc.inverse();
  std::vector<Fp> invs(dens.size());
  for (std::size_t i = dens.size(); i-- > 0;) {
    invs[i] = inv * prefix[i];
    inv *= dens[i];
  }
  std::size_t k = 0;
  for (std::size_t i = 0; i < ps.size(); ++i) {
    Pair pr;
    const G1& a = *ps[i];
    const G2& b = *qs[i];
    if (a.z() == Fp::one()) {
      pr.px = a.x();
      pr.py = a.y();
    } else {
      const Fp zi = invs[k++];
      const Fp zi2 = zi.sqr();
      pr.px = a.x() * zi2;
      pr.py = a.y() * zi2 * zi;
    }
    if (b.z() == Fp2::one()) {
      pr.qx = b.x();
      pr.qy = b.y();
    } else {
      const Fp2 zi = b.z().conj().mul_fp(invs[k++]);  // 1/z = conj(z)/N(z)
      const Fp2 zi2 = zi.sqr();
      pr.qx = b.x() * zi2;
      pr.qy = b.y() * zi2 * zi;
    }
    pr.t = {pr.qx, pr.qy, Fp2::one()};
    pairs.push_back(pr);
  }
  Fp12 f = Fp12::one();
  if (pairs.empty()) return f;
  bool first = true;
  for (int i = 62; i >= 0; --i) {
    if (!first) f = f.sqr();
    for (auto& pr : pairs) {
      const Line l = dbl_step(pr.t, pr.px, pr.py);
      if (first) {  // f = 1: the product is the line itself
        f = {{l.l0, l.l1, Fp2::zero()}, {Fp2::zero(), l.l4, Fp2::zero()}};
        first = false;
      } else {
        f = f.mul_by_014(l.l0, l.l1, l.l4);
      }
    }
    if ((kAbsX >> i) & 1) {
      for (auto& pr : pairs) {
        const Line l = add_step(pr.t, pr.qx, pr.qy, pr.px, pr.py);
        f = f.mul_by_014(l.l0, l.l1, l.l4);
      }
    }
  }
  return f.conj();
}

Fp12 final_exponentiation(const Fp12& f) {
  // Easy part: f^((p⁶ − 1)(p² + 1)).
  Fp12 t = f.conj() * f.inverse();
  t = t.frobenius(2) * t;
  // Hard part (Hayashida–Hayasaka–Teruya): 3·(p⁴ − p² + 1)/r = (x − 1)²(x + p)(x² + p² − 1) + 3.
  Fp12 a = cyclotomic_exp_x(t) * t.conj();      // t^(x−1)
  a = cyclotomic_exp_x(a) * a.conj();            // t^((x−1)²)
  const Fp12 b = cyclotomic_exp_x(a) * a.frobenius(1);  // ·^(x+p)
  const Fp12 c = cyclotomic_exp_x(cyclotomic_exp_x(b)) * b.frobenius(2) * b.conj();  // ·^(x²+p²−1)
  return c * t.cyclotomic_sqr() * t;
}

Fp12 pairing(const G1& p, const G2& q) {
  const G1 ps[1] = {p};
  const G2 qs[1] = {q};
  return final_exponentiation(miller_loop(ps, qs));
}

bool pairing_check(std::span<const G1> p, std::span<const G2> q) {
  return final_exponentiation(miller_loop(p, q)).is_one();
}

}  // namespace phx::crypto::bls
