// Seed-derived dealer secrets (RFC 9380-style hash_to_field) and Horner evaluation in the exponent.
#include "dkg/poly.hpp"

#include <array>

#include "base/assert.hpp"
#include "crypto/bls/hash_to_curve.hpp"
#include "crypto/hash/sha256.hpp"

namespace phx::dkg {

using crypto::bls::Fr;
using crypto::bls::G1;

namespace {

constexpr std::string_view kPolyDst = "PHALANX-DKG-V1-POLY";
constexpr std::string_view kEphemeralDst = "PHALANX-DKG-V1-EPHEMERAL";

}  // namespace

Fr hash_to_scalar(std::string_view dst, ByteSpan msg) {
  std::array<std::uint8_t, 48> wide{};
  crypto::bls::expand_message_xmd(msg, dst, wide);
  const Fr out = Fr::from_bytes_be_reduce(wide);
  secure_zero(wide.data(), wide.size());
  return out;
}

Root derive_nonce(const Seed& seed) {
  crypto::hash::Sha256 h;
  h.update(as_bytes("phalanx/dkg/v1/nonce"));
  h.update(seed.view());
  return h.finish();
}

Fr derive_ephemeral_secret(const Seed& seed, const Root& definition_hash, const Root& nonce) {
  std::array<std::uint8_t, 96> msg{};
  for (std::size_t i = 0; i < 32; ++i) {
    msg[i] = seed.view()[i];
    msg[32 + i] = definition_hash[i];
    msg[64 + i] = nonce[i];
  }
  Fr e = hash_to_scalar(kEphemeralDst, msg);
  secure_zero(msg.data(), msg.size());
  // A zero secret would make E the identity, which peers reject; replace it (probability 2^-255) without a
  // secret-dependent branch.
  const Fr out = Fr::select(e, Fr::one(), e.is_zero());
  secure_zero(&e, sizeof e);
  return out;
}

Fr derive_coefficient(const Seed& seed, const Root& definition_hash, const Root& nonce, std::uint32_t validator,
                      std::uint32_t k) {
  std::array<std::uint8_t, 104> msg{};
  for (std::size_t i = 0; i < 32; ++i) {
    msg[i] = seed.view()[i];
    msg[32 + i] = definition_hash[i];
    msg[64 + i] = nonce[i];
  }
  put_be32(msg.data() + 96, validator);
  put_be32(msg.data() + 100, k);
  const Fr out = hash_to_scalar(kPolyDst, msg);
  secure_zero(msg.data(), msg.size());
  return out;
}

crypto::threshold::SecretPolynomial derive_polynomial(const Seed& seed, const Root& definition_hash,
                                                      const Root& nonce, std::uint32_t validator, std::uint32_t t,
                                                      const Fr* constant) {
  PHX_ASSERT(t >= 1);
  std::vector<Fr> coeffs(t);
  for (std::uint32_t k = 0; k < t; ++k) {
    coeffs[k] = (k == 0 && constant != nullptr) ? *constant
                                                : derive_coefficient(seed, definition_hash, nonce, validator, k);
  }
  return crypto::threshold::SecretPolynomial::from_coefficients(std::move(coeffs));
}

G1 eval_in_exponent(std::span<const G1> commitments, std::uint32_t x) {
  if (commitments.empty()) return G1::identity();
  G1 acc = commitments.back();
  for (std::size_t k = commitments.size() - 1; k-- > 0;) {
    acc = acc.mul_u64_vartime(x).add_vartime(commitments[k]);
  }
  return acc;
}

SecretScalars& SecretScalars::operator=(SecretScalars&& o) noexcept {
  if (this != &o) {
    wipe();
    v_ = std::move(o.v_);
    o.v_.clear();
  }
  return *this;
}

void SecretScalars::wipe() noexcept {
  if (!v_.empty()) secure_zero(v_.data(), v_.size() * sizeof(Fr));
}

}  // namespace phx::dkg
