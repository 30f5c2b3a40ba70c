#pragma once
/// Scalars modulo the BLS12-381 group order r (255 bits, 4×64-bit limbs, Montgomery form).
#include <cstdint>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "crypto/bls/mont.hpp"

namespace phx::crypto::bls {

namespace detail {
struct FrParams {
  static constexpr std::size_t kN = 4;
  static constexpr Modulus<4> kModulus =
      make_modulus<4>("73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001");
};
}  // namespace detail

/// An element of Fr, r = 0x73eda753…00000001. Arithmetic (+, −, ×, neg, inverse, ==) is constant time.
/// Inherited: zero(), one(), from_u64(), operators + − ×, neg(), sqr(), is_zero(), operator==, inverse()
/// (Fermat, constant time; the inverse of 0 is 0).
class Fr : public detail::Field<Fr, detail::FrParams> {
 public:
  using Field::Field;
  /// r as little-endian limbs.
  static constexpr const detail::Limbs<4>& modulus() { return detail::FrParams::kModulus.m; }

  /// Parses 32 big-endian bytes; errors: length ≠ 32 (kBadLength), value ≥ r (kScalarOutOfRange).
  static Result<Fr> from_bytes_be(ByteSpan b32);
  /// Interprets any number of big-endian bytes as an integer and reduces it mod r (HKDF_mod_r's OS2IP mod r).
  /// Constant time for a given length.
  static Fr from_bytes_be_reduce(ByteSpan any_len);
  /// 32 big-endian bytes of the canonical value.
  ByteArray<32> to_bytes_be() const;
  /// Uniform random scalar mod r from OpenSSL RAND_bytes (64 bytes reduced mod r; bias < 2^-256).
  static Fr random();
  /// The canonical value as 4 little-endian limbs (for scalar multiplication).
  detail::Limbs<4> to_limbs() const { return to_canonical(); }
};

}  // namespace phx::crypto::bls
