#pragma once
/// The public parameters of a ceremony (participants and their roles, threshold, validators, chunking,
/// resharing inputs), their validation and hash, and the session id derived from the R0 messages.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "crypto/bls/bls.hpp"
#include "crypto/k1/k1.hpp"
#include "dkg/messages.hpp"
#include "dkg/types.hpp"

namespace phx::dkg {

/// One participant of the ceremony (position = its participant index, used as `sender` on the wire).
struct Participant {
  crypto::k1::PublicKey identity;  ///< ENR secp256k1 key: signs envelopes and the lock hash
  bool dealer = true;              ///< deals polynomials in R1
  std::uint32_t dealer_x = 0;      ///< resharing: the dealer's old Shamir index (its old share's x); DKG: unused
  bool receiver = true;            ///< receives shares in R1 and signs in R2–R5
  std::uint32_t share_x = 0;       ///< the new Shamir index (1-based, lock position + 1) of a receiver
};

/// Resharing inputs, all public and taken from the old lock (issue 15).
struct ReshareParams {
  Root old_lock_hash{};                                      ///< hash of the old lock
  std::uint32_t old_threshold = 0;                           ///< t of the old lock
  std::vector<crypto::bls::PublicKey> pubkeys;               ///< [v] distributed keys (unchanged by a reshare)
  std::vector<std::vector<crypto::bls::PublicKey>> old_pubshares;  ///< [v][old x − 1] old public shares
};

/// Everything every participant must agree on (its hash travels in R0).
struct Params {
  Root definition_hash{};                             ///< the cluster definition hash
  std::uint32_t threshold = 0;                        ///< t of the new sharing
  std::uint32_t validators = 0;                       ///< V
  std::uint32_t chunk_validators = kMaxChunkValidators;  ///< validators per R1/R3/R4 chunk (1..1000)
  std::uint32_t roots_per_validator = 0;              ///< signing roots per validator in R3 (ArtifactPlan)
  std::vector<Participant> participants;              ///< ceremony order
  std::optional<ReshareParams> reshare;               ///< set for a reshare

  /// Number of participants.
  std::uint32_t n() const { return static_cast<std::uint32_t>(participants.size()); }
  /// Number of chunks: ⌈V / chunk_validators⌉.
  std::uint32_t chunks() const { return (validators + chunk_validators - 1) / chunk_validators; }
  /// Validators in chunk c.
  std::uint32_t chunk_size(std::uint32_t c) const;
  /// Participant indices of the dealers, in order.
  std::vector<std::uint32_t> dealers() const;
  /// Participant indices of the receivers, in order.
  std::vector<std::uint32_t> receivers() const;
};

/// Checks the parameters: 1 ≤ n ≤ kMaxOperators, distinct identities, at least one dealer, 1 ≤ t ≤ receivers,
/// distinct non-zero share_x (and dealer_x for a reshare), 1 ≤ V ≤ kMaxValidators, 1 ≤ chunk_validators ≤
/// kMaxChunkValidators, roots ≤ kMaxRootsPerValidator; resharing: ≥ old_threshold dealers and old public
/// shares for every dealer_x. The error is a one-line description.
Result<void, std::string> validate(const Params& p);

/// sha256 of the SSZ encoding of every field above (identities compressed, resharing keys included).
Root params_hash(const Params& p);

/// Weights λ_i of the dealers' contributions (dealer order): 1 for a DKG; for a reshare the Lagrange
/// coefficients at 0 over the dealers' old indices, so that Σ λ_i·g_i(j) is the new share of j.
std::vector<crypto::bls::Fr> dealer_weights(const Params& p);

/// session_id = sha256("phalanx/dkg/v1/session" ‖ definition_hash ‖ params_hash ‖ for each participant i in
/// order: be32(i) ‖ hash_tree_root(R0_i)). `hellos[i]` is participant i's R0. Every field of every R0 (nonce,
/// ephemeral key, H_i, …) is bound, so participants that saw different R0s end up in different sessions.
Root session_id(const Params& p, std::span<const Hello> hellos);

/// sha256 of the concatenated commitment roots: the H_i a dealer announces in R0.
Root commitments_hash(std::span<const Root> commitment_roots);

}  // namespace phx::dkg
