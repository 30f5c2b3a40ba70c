#pragma once
/// The tower Fp6 = Fp2[v]/(v³ − ξ), ξ = 1 + u, and Fp12 = Fp6[w]/(w² − v), the pairing target field.
/// All operations are constant time. Multiplications use lazy reduction: Fp2 products are accumulated as
/// double-width values (Fp2W) and Montgomery-reduced once per output coefficient.
#include "crypto/bls/fp.hpp"

namespace phx::crypto::bls {

struct Fp6W;

/// c0 + c1·v + c2·v² in Fp6.
struct Fp6 {
  Fp2 c0, c1, c2;

  /// Identities.
  static constexpr Fp6 zero() { return {}; }
  static constexpr Fp6 one() { return {Fp2::one(), Fp2::zero(), Fp2::zero()}; }
  /// Component-wise sum / difference.
  friend constexpr Fp6 operator+(const Fp6& a, const Fp6& b) { return {a.c0 + b.c0, a.c1 + b.c1, a.c2 + b.c2}; }
  friend constexpr Fp6 operator-(const Fp6& a, const Fp6& b) { return {a.c0 - b.c0, a.c1 - b.c1, a.c2 - b.c2}; }
  /// Karatsuba over Fp2 (6 Fp2 multiplications).
  friend Fp6 operator*(const Fp6& a, const Fp6& b);
  /// Squaring (Chung–Hasan SQR2).
  Fp6 sqr() const;
  /// −a.
  constexpr Fp6 neg() const { return {c0.neg(), c1.neg(), c2.neg()}; }
  /// Multiplication by v: (c0, c1, c2) → (ξ·c2, c0, c1).
  constexpr Fp6 mul_by_v() const { return {c2.mul_by_xi(), c0, c1}; }
  /// Multiplication by b0 + b1·v (sparse).
  Fp6 mul_by_01(const Fp2& b0, const Fp2& b1) const;
  /// Multiplication by b1·v (sparse).
  Fp6 mul_by_1(const Fp2& b1) const;
  /// Multiplication by an Fp2 scalar.
  Fp6 mul_fp2(const Fp2& s) const { return {c0 * s, c1 * s, c2 * s}; }
  /// Unreduced (double-width) forms of ×, squaring and the sparse products, for callers that combine several
  /// products before one reduction. Inputs reduced.
  static Fp6W mul_wide(const Fp6& a, const Fp6& b);
  Fp6W sqr_wide() const;
  Fp6W mul_by_01_wide(const Fp2& b0, const Fp2& b1) const;
  Fp6W mul_by_1_wide(const Fp2& b1) const;
  /// Inverse (one Fp2 inversion); 0 maps to 0.
  Fp6 inverse() const;
  /// Constant-time zero test and equality.
  constexpr bool is_zero() const { return detail::ct_and(detail::ct_and(c0.is_zero(), c1.is_zero()), c2.is_zero()); }
  friend constexpr bool operator==(const Fp6& a, const Fp6& b) {
    return detail::ct_and(detail::ct_and(a.c0 == b.c0, a.c1 == b.c1), a.c2 == b.c2);
  }
};

/// A double-width Fp6 value (three Fp2W). Constant time.
struct Fp6W {
  Fp2W c0, c1, c2;

  /// Component-wise sum / difference modulo p·2^384.
  friend Fp6W operator+(const Fp6W& a, const Fp6W& b) { return {a.c0 + b.c0, a.c1 + b.c1, a.c2 + b.c2}; }
  friend Fp6W operator-(const Fp6W& a, const Fp6W& b) { return {a.c0 - b.c0, a.c1 - b.c1, a.c2 - b.c2}; }
  /// Multiplication by v: (c0, c1, c2) → (ξ·c2, c0, c1).
  Fp6W mul_by_v() const { return {c2.mul_by_xi(), c0, c1}; }
  /// The Fp6 element (six Montgomery reductions).
  Fp6 reduce() const { return {c0.reduce(), c1.reduce(), c2.reduce()}; }
};

/// Karabina's compressed form of a cyclotomic-subgroup element of Fp12: its coefficients of w, w⁴, w², w⁵ (in
/// Karabina's notation g2, g3, g4, g5 with Fp12 = Fp4[t]/(t³ − s), Fp4 = Fp2[s]/(s² − ξ), t = w). Squaring acts
/// on these four alone; the other two coefficients are recovered from the cyclotomic norm equation.
struct Fp12Compressed {
  Fp2 z2, z3, z4, z5;
};

/// c0 + c1·w in Fp12 (the group GT lives in its cyclotomic subgroup).
struct Fp12 {
  Fp6 c0, c1;

  /// Multiplicative identity.
  static constexpr Fp12 one() { return {Fp6::one(), Fp6::zero()}; }
  /// Karatsuba over Fp6 (3 Fp6 multiplications).
  friend Fp12 operator*(const Fp12& a, const Fp12& b);
  /// a ← a·b.
  Fp12& operator*=(const Fp12& b) { return *this = *this * b; }
  /// Complex squaring (2 Fp6 multiplications).
  Fp12 sqr() const;
  /// Conjugation (the p⁶-power Frobenius); equals the inverse on the cyclotomic subgroup.
  Fp12 conj() const { return {c0, c1.neg()}; }
  /// Inverse (one Fp6 inversion).
  Fp12 inverse() const;
  /// The p^k-power Frobenius map, k in 1..3.
  Fp12 frobenius(int k = 1) const;
  /// Granger–Scott squaring; precondition: the element is in the cyclotomic subgroup.
  Fp12 cyclotomic_sqr() const;
  /// Karabina compression; precondition: the element is in the cyclotomic subgroup.
  Fp12Compressed compress() const { return {c1.c0, c0.c2, c0.c1, c1.c2}; }
  /// Squaring in compressed form (Karabina): 6 Fp2 squarings instead of Granger–Scott's 9. Constant time.
  static Fp12Compressed compressed_sqr(const Fp12Compressed& g);
  /// Decompresses n values with one shared inversion. Returns false (out unspecified) if one of them has
  /// z2 = 0 (Karabina's formula divides by it). Variable time: for public values (the final exponentiation).
  static bool decompress_batch_vartime(const Fp12Compressed* in, Fp12* out, std::size_t n);
  /// Multiplication by a sparse line value l0 + l1·v + l4·v·w (the 0,1,4 pattern of the M-twist).
  Fp12 mul_by_014(const Fp2& l0, const Fp2& l1, const Fp2& l4) const;
  /// True iff the element is 1 (the pairing-check outcome).
  bool is_one() const { return *this == one(); }
  /// Constant-time equality.
  friend constexpr bool operator==(const Fp12& a, const Fp12& b) { return detail::ct_and(a.c0 == b.c0, a.c1 == b.c1); }
};

}  // namespace phx::crypto::bls
