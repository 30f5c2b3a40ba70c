#pragma once
/// The group G2 ⊂ E'(Fp2), E': y² = x³ + 4(1 + u), in Jacobian coordinates. Ethereum signatures live here.
#include <span>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "crypto/bls/error.hpp"
#include "crypto/bls/fp.hpp"
#include "crypto/bls/fr.hpp"

namespace phx::crypto::bls {

/// A point of E'(Fp2) (normally of the order-r subgroup G2), Jacobian (X, Y, Z), identity has Z = 0.
class G2 {
 public:
  /// The identity.
  G2() = default;
  /// The standard generator (draft-irtf-cfrg-pairing-friendly-curves, BLS12-381).
  static G2 generator();
  /// The identity (point at infinity).
  static G2 identity() { return G2{}; }

  /// Complete addition (handles identity, doubling and inverse inputs). Constant time.
  G2 operator+(const G2& o) const;
  /// P − Q. Constant time.
  G2 operator-(const G2& o) const { return *this + o.neg(); }
  /// Addition for public inputs (branches on the exceptional cases).
  G2 add_vartime(const G2& o) const;
  /// 2P. Constant time.
  G2 dbl() const;
  /// −P.
  G2 neg() const;
  /// [k]P, constant time in k: GLS with ψ: four 64-bit digits (branch-free digit split), joint fixed 4-bit windows, full-table
  /// scans, complete projective formulas (Renes–Costello–Batina). Precondition: P in G2 (the endomorphism
  /// eigenvalue is only valid there); every G2 this library decodes, hashes or computes satisfies it.
  G2 mul(const Fr& k) const;
  /// [k]P for a public scalar: GLS with ψ: four 64-bit digits, interleaved wNAF-5. Precondition: P in G2.
  G2 mul_vartime(const Fr& k) const;
  /// [k]P for a public 64-bit scalar (plain wNAF-5; valid for any curve point).
  G2 mul_u64_vartime(std::uint64_t k) const;
  /// Σ [s_i]P_i for public inputs: GLS with ψ: four 64-bit digits per scalar, then Straus (n ≤ 256) or Pippenger buckets.
  /// Preconditions: points.size() == scalars.size(); every P_i in G2.
  static G2 msm_vartime(std::span<const G2> points, std::span<const Fr> scalars);

  /// True for the point at infinity. Constant time.
  bool is_identity() const { return z_.is_zero(); }
  /// Projective equality. Constant time.
  friend bool operator==(const G2& a, const G2& b);
  /// Subgroup test via the untwist-Frobenius-twist ψ: ψ(P) = [x]P (Scott). Variable time (public points).
  bool in_subgroup() const;
  /// The curve equation holds (identity counts). Variable time.
  bool on_curve() const;
  /// The untwist-Frobenius-twist endomorphism ψ (acts as [x] on G2, as [p] on E'(Fp2)).
  G2 psi() const;
  /// ψ² (coordinates scaled by elements of Fp; cheaper than applying ψ twice).
  G2 psi2() const;
  /// [x]P with the (negative) BLS parameter x = −0xd201000000010000. Variable time: for public points only
  /// (subgroup checks, cofactor clearing of hash outputs); correct for every curve point.
  G2 mul_by_x() const;
  /// Multiplication by h_eff via ψ (Budroni–Pintore; RFC 9380 §8.8.2 / Appendix G.3). Maps E'(Fp2) into G2.
  /// Variable time (additions branch on their exceptional cases): for public points (hash outputs).
  G2 clear_cofactor() const;

  /// ZCash compressed encoding (96 bytes, x = c1 ‖ c0, flags 0x80 compressed, 0x40 infinity, 0x20 larger y).
  ByteArray<96> to_compressed() const;
  /// ZCash uncompressed encoding (192 bytes, x ‖ y, each c1 ‖ c0).
  ByteArray<192> to_uncompressed() const;
  /// Decodes 96 bytes with every ZCash flag rule, the field range, the curve equation and the subgroup check.
  /// The canonical identity encoding (0xc0 00…) is accepted.
  static Result<G2> from_compressed(ByteSpan b);
  /// Decodes 192 bytes (compression bit must be clear), same checks as from_compressed.
  static Result<G2> from_uncompressed(ByteSpan b);

  /// Affine coordinates; precondition: not the identity.
  void to_affine(Fp2& x, Fp2& y) const;
  /// Builds a point from affine coordinates without checks (internal, tests).
  static G2 from_affine_unchecked(const Fp2& ax, const Fp2& ay) { return G2{ax, ay, Fp2::one()}; }
  /// Raw Jacobian coordinates (internal).
  const Fp2& x() const { return x_; }  ///< raw Jacobian X
  const Fp2& y() const { return y_; }  ///< raw Jacobian Y
  const Fp2& z() const { return z_; }  ///< raw Jacobian Z
  /// Builds a point from raw Jacobian coordinates without checks (internal).
  G2(const Fp2& px, const Fp2& py, const Fp2& pz) : x_(px), y_(py), z_(pz) {}

 private:
  Fp2 x_ = Fp2::one();
  Fp2 y_ = Fp2::one();
  Fp2 z_{};
};

}  // namespace phx::crypto::bls
