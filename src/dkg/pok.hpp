#pragma once
/// Schnorr proof of knowledge of a dealer's constant coefficient a_{i,v,0} (FROST KeyGen round 1, sent as
/// (R, z) so that many proofs verify as one MSM), bound to the session, the dealer and the validator.
#include <cstdint>
#include <span>
#include <vector>

#include "base/bytes.hpp"
#include "crypto/bls/fr.hpp"
#include "crypto/bls/g1.hpp"
#include "dkg/batch.hpp"
#include "dkg/poly.hpp"

namespace phx::dkg {

/// What a proof is bound to.
struct PokContext {
  Root session_id{};             ///< sha256 over the definition hash and every participant's nonce and key
  std::uint32_t dealer = 0;      ///< the dealer's participant index
  std::uint32_t validator = 0;   ///< the validator index in the ceremony
};

/// A proof (R, z): z·G == R + c·C_0 with c = pok_challenge(ctx, C_0, R).
struct Pok {
  crypto::bls::G1 r;  ///< commitment R = k·G
  crypto::bls::Fr z;  ///< response z = k + c·a_0
};

/// c = hash_to_scalar("PHALANX-DKG-V1-POK-CHALLENGE", session_id ‖ be32(dealer) ‖ be32(validator) ‖
/// compressed(C_0) ‖ compressed(R)). Public.
crypto::bls::Fr pok_challenge(const PokContext& ctx, const crypto::bls::G1& c0, const crypto::bls::G1& r);
/// The same with C_0 and R already compressed (what the wire carries).
crypto::bls::Fr pok_challenge(const PokContext& ctx, const ByteArray<48>& c0, const ByteArray<48>& r);

/// Proves knowledge of `secret` (= a_0, with C_0 = secret·G). The nonce k = hash_to_scalar(
/// "PHALANX-DKG-V1-POK-NONCE", seed ‖ session_id ‖ be32(dealer) ‖ be32(validator) ‖ secret) is deterministic
/// (a resumed dealer reproduces its R1 byte for byte) and bound to the secret and the session, so two
/// different challenges never share a nonce. Constant time in the secret and the seed.
Pok prove_pok(const Seed& seed, const crypto::bls::Fr& secret, const crypto::bls::G1& c0, const PokContext& ctx);

/// One proof to verify, with its challenge already computed.
struct PokItem {
  crypto::bls::G1 c0;      ///< the dealer's C_0 (decoded, subgroup-checked, not the identity)
  crypto::bls::G1 r;       ///< R (decoded, subgroup-checked, not the identity)
  crypto::bls::Fr z;       ///< z
  crypto::bls::Fr challenge;  ///< pok_challenge(ctx, C_0, R)
};

/// z·G == R + c·C_0. Variable time (public data).
bool verify_pok(const PokItem& item);

/// All proofs at once: with ρ_m from `rng`, (Σ ρ_m z_m)·G == Σ ρ_m R_m + Σ (ρ_m c_m) C_{0,m}: two MSMs and one
/// fixed-base multiplication. False on empty input. Variable time.
bool batch_verify_pok(std::span<const PokItem> items, BatchRng& rng);

/// Positions of the invalid proofs (bisection with batch_verify_pok). Ascending.
std::vector<std::size_t> find_bad_pok(std::span<const PokItem> items, BatchRng& rng);

}  // namespace phx::dkg
