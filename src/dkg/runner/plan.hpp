#pragma once
/// The cluster side of a ceremony run: the dkg::Params of a checked definition (participants = operators in
/// definition order, everyone deals and receives) and the ArtifactPlan of a Charon lock (deposit data per
/// amount, builder registration, lock hash), plus the conversion of the ceremony's public outputs into lock
/// validators.
#include <cstdint>
#include <span>
#include <vector>

#include "cluster/dkg_inputs.hpp"
#include "dkg/params.hpp"
#include "dkg/plan.hpp"

namespace phx::dkg::runner {

/// Parameters of a fresh DKG for `in`: one participant per operator (identity = ENR key, share_x = position +
/// 1), t and V from the definition, `chunk_validators` per chunk, one signing root per deposit amount plus
/// one for the builder registration (v1.7+).
Params make_params(const cluster::DkgInputs& in, std::uint32_t chunk_validators = kMaxChunkValidators);

/// The lock's artifacts for one definition: what R3 signs per validator and what R4's lock hash is.
class LockPlan final : public ArtifactPlan {
 public:
  /// `def` and `in` (= dkg_inputs(def)) must outlive the plan.
  LockPlan(const cluster::Definition& def, const cluster::DkgInputs& in) : def_(def), in_(in) {}
  std::uint32_t roots_per_validator() const override;
  std::vector<Root> signing_roots(std::uint32_t validator,
                                  const crypto::bls::PublicKey& pubkey) const override;
  /// cluster::assemble_lock(def, results)->lock_hash; a zero root if the outputs do not assemble (then every
  /// node computes the same zero root and the runner reports the assembly error when it writes the lock).
  Root lock_hash(std::span<const ValidatorPublic> validators) const override;

 private:
  const cluster::Definition& def_;
  const cluster::DkgInputs& in_;
};

/// The lock validators of the ceremony's public outputs: distributed key, public shares, deposit data per
/// amount (signature i = signing root i) and the builder registration (the last signing root, v1.7+).
std::vector<cluster::DkgValidatorResult> to_lock_validators(const cluster::DkgInputs& in,
                                                            std::span<const ValidatorPublic> validators);

}  // namespace phx::dkg::runner
