#pragma once
/// The BLS12-381 base field Fp (381-bit prime, 6×64-bit limbs, Montgomery form) and its quadratic
/// extension Fp2 = Fp[u]/(u² + 1). Everything here is constant time unless its name ends in _vartime.
#include <cstdint>

#include "base/bytes.hpp"
#include "crypto/bls/fp_kernels.hpp"
#include "crypto/bls/mont.hpp"

namespace phx::crypto::bls {

/// An element of Fp, p = 0x1a0111ea…aaab (draft-irtf-cfrg-pairing-friendly-curves, BLS12-381).
class Fp : public detail::Field<Fp, detail::FpParams> {
 public:
  using Field::Field;
  /// p as little-endian limbs.
  static constexpr const detail::Limbs<6>& modulus() { return detail::FpParams::kModulus.m; }


  /// a^{-1} (0 maps to 0) by Bernstein–Yang safegcd divsteps (fp_inverse.cpp). Constant time.
  Fp inverse() const;
  /// a^((p+1)/4): a square root of a when a is a square (p ≡ 3 mod 4). Constant time.
  Fp sqrt_candidate() const;
  /// sqrt_candidate of K values in lockstep (the K exponentiations overlap); K = 1 or 2. Constant time.
  template <std::size_t K>
  static void sqrt_candidate_lanes(const Fp (&a)[K], Fp (&out)[K]);
  /// Square root; returns false (out unspecified) when a is not a square. Constant time.
  bool sqrt(Fp& out) const;
  /// Legendre test (0 counts as square). Constant time.
  bool is_square() const;
  /// RFC 9380 sgn0 for Fp: the parity of the canonical value.
  bool sgn0() const { return (to_canonical()[0] & 1) != 0; }
  /// True iff the canonical value is > (p-1)/2 (ZCash "larger y" flag). Variable time (public data only).
  bool lexicographically_largest_vartime() const;
  /// 48-byte big-endian encoding of the canonical value.
  ByteArray<48> to_bytes_be() const {
    ByteArray<48> out{};
    to_be_bytes(out.data());
    return out;
  }
};

/// A double-width ("lazy") Fp value: an integer t in [0, p·2^384) standing for the Fp element with Montgomery
/// limbs t·2^-384 mod p (so the product of two Montgomery forms is one, unreduced). Sums and differences are
/// taken modulo p·2^384; reduce() does the one Montgomery reduction. Constant time.
struct FpW {
  detail::Limbs12 v{};

  /// a·b for Montgomery limbs a, b < 2p (sums from Fp::add_unreduced allowed).
  static FpW mul(const Fp& a, const Fp& b) { return {detail::mul_384(a.mont(), b.mont())}; }
  /// a² for a < 2p.
  static FpW sqr(const Fp& a) { return {detail::sqr_384(a.mont())}; }
  /// Sum / difference modulo p·2^384.
  friend FpW operator+(const FpW& a, const FpW& b) { return {detail::wide_add_mod(a.v, b.v)}; }
  friend FpW operator-(const FpW& a, const FpW& b) { return {detail::wide_sub_mod(a.v, b.v)}; }
  /// a − b as integers; precondition a ≥ b as integers (no modular correction).
  static FpW sub_exact(const FpW& a, const FpW& b) { return {detail::wide_sub_exact(a.v, b.v)}; }
  /// The Fp element (one Montgomery reduction, fully reduced).
  Fp reduce() const { return Fp::from_mont(detail::redc_384(v)); }
};

struct Fp2W;

/// An element c0 + c1·u of Fp2 = Fp[u]/(u² + 1).
struct Fp2 {
  Fp c0, c1;

  /// Additive identity.
  static constexpr Fp2 zero() { return {}; }
  /// Multiplicative identity.
  static constexpr Fp2 one() { return {Fp::one(), Fp::zero()}; }

  /// Component-wise sum / difference. Constant time.
  friend constexpr Fp2 operator+(const Fp2& a, const Fp2& b) { return {a.c0 + b.c0, a.c1 + b.c1}; }
  friend constexpr Fp2 operator-(const Fp2& a, const Fp2& b) { return {a.c0 - b.c0, a.c1 - b.c1}; }
  /// Karatsuba with lazy reduction: 3 double-width products, 2 Montgomery reductions. Components of a and b
  /// may be unreduced sums (< 2p).
  friend constexpr Fp2 operator*(const Fp2& a, const Fp2& b);
  /// a + b without the final reductions (components < 2p): only as an operand of a multiplication.
  static constexpr Fp2 add_unreduced(const Fp2& a, const Fp2& b) {
    return {Fp::add_unreduced(a.c0, b.c0), Fp::add_unreduced(a.c1, b.c1)};
  }
  /// Compound assignment forms of +, −, ×.
  constexpr Fp2& operator+=(const Fp2& b) { return *this = *this + b; }
  constexpr Fp2& operator-=(const Fp2& b) { return *this = *this - b; }
  constexpr Fp2& operator*=(const Fp2& b) { return *this = *this * b; }
  /// (a0 + a1)(a0 − a1) + 2·a0·a1·u: 2 Fp multiplications.
  constexpr Fp2 sqr() const { return {Fp::add_unreduced(c0, c1) * (c0 - c1), (c0 * c1).dbl()}; }
  /// 2a.
  constexpr Fp2 dbl() const { return {c0.dbl(), c1.dbl()}; }
  /// a/2.
  constexpr Fp2 half() const { return {c0.half(), c1.half()}; }
  /// −a.
  constexpr Fp2 neg() const { return {c0.neg(), c1.neg()}; }
  /// Conjugation c0 − c1·u (the p-power Frobenius on Fp2).
  constexpr Fp2 conj() const { return {c0, c1.neg()}; }
  /// Multiplication by the sextic non-residue ξ = 1 + u.
  constexpr Fp2 mul_by_xi() const { return {c0 - c1, c0 + c1}; }
  /// Multiplication by an Fp scalar.
  constexpr Fp2 mul_fp(const Fp& s) const { return {c0 * s, c1 * s}; }
  /// Inverse via the norm (one Fp inversion); 0 maps to 0. Constant time.
  Fp2 inverse() const;
  /// Square root (constant time): returns false when none exists. Uses the norm method for p ≡ 3 mod 4
  /// (two Fp exponentiations), valid for all inputs including 0 and elements of Fp.
  bool sqrt(Fp2& out) const;
  /// The same square root given s with s² = c0² + c1² (lets callers share the norm's root). Constant time.
  bool sqrt_with_norm_root(const Fp& s, Fp2& out) const;
  /// sqrt_with_norm_root of K values in lockstep (their exponentiations overlap); K = 1 or 2. Constant time.
  template <std::size_t K>
  static void sqrt_with_norm_root_lanes(const Fp2 (&a)[K], const Fp (&s)[K], Fp2 (&out)[K], bool (&ok)[K]);
  /// The norm c0² + c1² (in Fp).
  constexpr Fp norm() const { return c0.sqr() + c1.sqr(); }
  /// Square test via the norm's Legendre symbol. Constant time.
  bool is_square() const;
  /// RFC 9380 §4.1 sgn0 for m = 2.
  bool sgn0() const;
  /// ZCash ordering: compare c1 first, then c0. Variable time (public data only).
  bool lexicographically_largest_vartime() const;
  /// Constant-time zero test and equality.
  constexpr bool is_zero() const { return detail::ct_and(c0.is_zero(), c1.is_zero()); }
  friend constexpr bool operator==(const Fp2& a, const Fp2& b) { return detail::ct_and(a.c0 == b.c0, a.c1 == b.c1); }
  /// Constant-time c ? b : a.
  static constexpr Fp2 select(const Fp2& a, const Fp2& b, bool c) {
    return {Fp::select(a.c0, b.c0, c), Fp::select(a.c1, b.c1, c)};
  }
  /// a^e for a public exponent (square and multiply, time depends on e only).
  Fp2 pow_vartime_exp(const detail::Limbs<6>& e) const;
};

/// A double-width Fp2 value (two FpW): products accumulated unreduced, reduced once. Constant time.
struct Fp2W {
  FpW c0, c1;

  /// a·b (Karatsuba: 3 double-width products, no reduction). Components of a, b < 2p.
  static Fp2W mul(const Fp2& a, const Fp2& b) {
    const FpW t0 = FpW::mul(a.c0, b.c0);
    const FpW t1 = FpW::mul(a.c1, b.c1);
    const FpW t2 = FpW::mul(Fp::add_unreduced(a.c0, a.c1), Fp::add_unreduced(b.c0, b.c1));
    // t2 − t0 − t1 = a0·b1 + a1·b0 < 8p² < p·2^384 exactly (no correction needed).
    return {t0 - t1, FpW::sub_exact(FpW::sub_exact(t2, t0), t1)};
  }
  /// a² = (a0 + a1)(a0 − a1) + 2·a0·a1·u (2 double-width products). Components of a < p.
  static Fp2W sqr(const Fp2& a) {
    return {FpW::mul(Fp::add_unreduced(a.c0, a.c1), a.c0 - a.c1), FpW::mul(Fp::add_unreduced(a.c0, a.c0), a.c1)};
  }
  /// Component-wise sum / difference modulo p·2^384.
  friend Fp2W operator+(const Fp2W& a, const Fp2W& b) { return {a.c0 + b.c0, a.c1 + b.c1}; }
  friend Fp2W operator-(const Fp2W& a, const Fp2W& b) { return {a.c0 - b.c0, a.c1 - b.c1}; }
  /// Multiplication by ξ = 1 + u.
  Fp2W mul_by_xi() const { return {c0 - c1, c0 + c1}; }
  /// The Fp2 element (two Montgomery reductions).
  Fp2 reduce() const { return {c0.reduce(), c1.reduce()}; }
};

constexpr Fp2 operator*(const Fp2& a, const Fp2& b) {
  if (std::is_constant_evaluated()) {
    const Fp t0 = a.c0 * b.c0;
    const Fp t1 = a.c1 * b.c1;
    return {t0 - t1, Fp::add_unreduced(a.c0, a.c1) * Fp::add_unreduced(b.c0, b.c1) - t0 - t1};
  }
  return Fp2W::mul(a, b).reduce();
}

}  // namespace phx::crypto::bls
