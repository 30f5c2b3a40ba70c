#pragma once
/// The group G1 ⊂ E(Fp), E: y² = x³ + 4, in Jacobian coordinates. Ethereum public keys live here.
#include <span>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "crypto/bls/error.hpp"
#include "crypto/bls/fp.hpp"
#include "crypto/bls/fr.hpp"

namespace phx::crypto::bls {

/// A point of E(Fp) (normally of the order-r subgroup G1), Jacobian (X, Y, Z), identity has Z = 0.
class G1 {
 public:
  /// The identity.
  G1() = default;
  /// The standard generator (draft-irtf-cfrg-pairing-friendly-curves, BLS12-381).
  static G1 generator();
  /// The identity (point at infinity).
  static G1 identity() { return G1{}; }

  /// Complete addition (handles identity, doubling and inverse inputs). Constant time.
  G1 operator+(const G1& o) const;
  /// P − Q. Constant time.
  G1 operator-(const G1& o) const { return *this + o.neg(); }
  /// Addition for public inputs (branches on the exceptional cases).
  G1 add_vartime(const G1& o) const;
  /// 2P. Constant time.
  G1 dbl() const;
  /// −P.
  G1 neg() const;
  /// [k]P, constant time in k: GLV with φ: two 128-bit halves (branch-free digit split), joint fixed 4-bit windows, full-table
  /// scans, complete projective formulas (Renes–Costello–Batina). Precondition: P in G1 (the endomorphism
  /// eigenvalue is only valid there); every G1 this library decodes, hashes or computes satisfies it.
  G1 mul(const Fr& k) const;
  /// [k]P for a public scalar: GLV with φ: two 128-bit halves, interleaved wNAF-5. Precondition: P in G1.
  G1 mul_vartime(const Fr& k) const;
  /// [k]P for a public 64-bit scalar (plain wNAF-5; valid for any curve point).
  G1 mul_u64_vartime(std::uint64_t k) const;
  /// Σ [s_i]P_i for public inputs: GLV with φ: two 128-bit halves per scalar, then Straus (n ≤ 256) or Pippenger buckets.
  /// Preconditions: points.size() == scalars.size(); every P_i in G1.
  static G1 msm_vartime(std::span<const G1> points, std::span<const Fr> scalars);

  /// True for the point at infinity. Constant time.
  bool is_identity() const { return z_.is_zero(); }
  /// Projective equality. Constant time.
  friend bool operator==(const G1& a, const G1& b);
  /// Subgroup test via the GLV endomorphism: φ(P) = [−x²]P (Bowe/Scott). Variable time (public points).
  bool in_subgroup() const;
  /// The curve equation holds (identity counts). Variable time.
  bool on_curve() const;
  /// [x]P with the (negative) BLS parameter x = −0xd201000000010000. Variable time: for public points only
  /// (subgroup checks, cofactor clearing of hash outputs); correct for every curve point.
  G1 mul_by_x() const;

  /// ZCash compressed encoding (48 bytes, flags 0x80 compressed, 0x40 infinity, 0x20 larger y).
  ByteArray<48> to_compressed() const;
  /// ZCash uncompressed encoding (96 bytes, x ‖ y).
  ByteArray<96> to_uncompressed() const;
  /// Decodes 48 bytes with every ZCash flag rule, the field range, the curve equation and the subgroup check.
  /// The canonical identity encoding (0xc0 00…) is accepted.
  static Result<G1> from_compressed(ByteSpan b);
  /// Decodes 96 bytes (compression bit must be clear), same checks as from_compressed.
  static Result<G1> from_uncompressed(ByteSpan b);

  /// Affine coordinates; precondition: not the identity.
  void to_affine(Fp& x, Fp& y) const;
  /// Builds a point from affine coordinates without checks (internal, tests).
  static G1 from_affine_unchecked(const Fp& ax, const Fp& ay) { return G1{ax, ay, Fp::one()}; }
  /// Raw Jacobian coordinates (internal).
  const Fp& x() const { return x_; }  ///< raw Jacobian X
  const Fp& y() const { return y_; }  ///< raw Jacobian Y
  const Fp& z() const { return z_; }  ///< raw Jacobian Z
  /// Builds a point from raw Jacobian coordinates without checks (internal).
  G1(const Fp& px, const Fp& py, const Fp& pz) : x_(px), y_(py), z_(pz) {}

 private:
  Fp x_ = Fp::one();
  Fp y_ = Fp::one();
  Fp z_{};
};

}  // namespace phx::crypto::bls
