#pragma once
/// A dealer's secrets derived from one 32-byte seed (polynomial coefficients, ephemeral key, nonce), so that a
/// dealer resumed from its journal regenerates exactly what it committed to; evaluation in the exponent.
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/secret.hpp"
#include "crypto/bls/fr.hpp"
#include "crypto/bls/g1.hpp"
#include "crypto/threshold/threshold.hpp"

namespace phx::dkg {

/// The dealer's 32-byte secret seed (fresh from the CSPRNG per session; journaled sealed by the runner).
using Seed = SecretArray<32>;

/// hash_to_field for Fr as in RFC 9380 §5.2 with expand_message_xmd(SHA-256) and L = 48: the 48 expanded
/// bytes of `msg` under `dst`, reduced mod r. Constant time in `msg` for a given length.
crypto::bls::Fr hash_to_scalar(std::string_view dst, ByteSpan msg);

/// The public nonce of a session: sha256("phalanx/dkg/v1/nonce" ‖ seed). Not secret (published in R0).
Root derive_nonce(const Seed& seed);

/// The dealer's ephemeral ECDH secret e = hash_to_scalar("PHALANX-DKG-V1-EPHEMERAL", seed ‖ definition_hash ‖
/// nonce), never zero (a zero is replaced by 1, probability 2^-255). Constant time.
crypto::bls::Fr derive_ephemeral_secret(const Seed& seed, const Root& definition_hash, const Root& nonce);

/// Coefficient k of validator v's polynomial: hash_to_scalar("PHALANX-DKG-V1-POLY", seed ‖ definition_hash ‖
/// nonce ‖ be32(v) ‖ be32(k)). Constant time.
crypto::bls::Fr derive_coefficient(const Seed& seed, const Root& definition_hash, const Root& nonce,
                                   std::uint32_t validator, std::uint32_t k);

/// Validator v's secret polynomial of `t` coefficients (degree t−1). With `constant` (resharing: the dealer's
/// old share of v) the constant term is that value and coefficients 1..t−1 are derived; otherwise all t are
/// derived. Move-only, zeroized. Constant time in the seed and the constant.
crypto::threshold::SecretPolynomial derive_polynomial(const Seed& seed, const Root& definition_hash,
                                                      const Root& nonce, std::uint32_t validator,
                                                      std::uint32_t t, const crypto::bls::Fr* constant = nullptr);

/// Σ_k C_k·x^k by Horner's rule with small multipliers (x ≤ 2^32, one short wNAF per coefficient): the public
/// share that Feldman commitments predict for Shamir index x. Variable time (public data). Empty input: the
/// identity.
crypto::bls::G1 eval_in_exponent(std::span<const crypto::bls::G1> commitments, std::uint32_t x);

/// A vector of secret scalars (own shares per validator), zeroized on destruction. Move-only.
class SecretScalars {
 public:
  /// n zero scalars.
  explicit SecretScalars(std::size_t n = 0) : v_(n) {}
  SecretScalars(const SecretScalars&) = delete;
  SecretScalars& operator=(const SecretScalars&) = delete;
  SecretScalars(SecretScalars&& o) noexcept : v_(std::move(o.v_)) { o.v_.clear(); }
  SecretScalars& operator=(SecretScalars&& o) noexcept;
  ~SecretScalars() { wipe(); }
  /// Element access.
  crypto::bls::Fr& operator[](std::size_t i) { return v_[i]; }
  /// Element access.
  const crypto::bls::Fr& operator[](std::size_t i) const { return v_[i]; }
  /// Number of scalars.
  std::size_t size() const { return v_.size(); }

 private:
  void wipe() noexcept;
  std::vector<crypto::bls::Fr> v_;
};

}  // namespace phx::dkg
