// The ceremony's parameters and artifact plan for a Charon cluster definition.
#include "dkg/runner/plan.hpp"

#include "cluster/deposit.hpp"

namespace phx::dkg::runner {

Params make_params(const cluster::DkgInputs& in, std::uint32_t chunk_validators) {
  Params p;
  p.definition_hash = in.definition_hash;
  p.threshold = in.threshold;
  p.validators = in.num_validators;
  p.chunk_validators = chunk_validators;
  p.roots_per_validator =
      static_cast<std::uint32_t>(in.deposit_amounts.size() + (in.builder_registrations ? 1 : 0));
  for (const auto& op : in.operators)
    p.participants.push_back(Participant{op.node_key, true, op.share_idx.value, true, op.share_idx.value});
  return p;
}

namespace {

cluster::Registration registration(const cluster::DkgInputs& in, std::uint32_t v,
                                   const ByteArray<48>& pubkey) {
  cluster::Registration r;
  r.fee_recipient = in.validators[v].fee_recipient;
  r.gas_limit = in.registration_gas_limit;
  r.timestamp = in.registration_timestamp;
  r.pubkey = pubkey;
  return r;
}

}  // namespace

std::uint32_t LockPlan::roots_per_validator() const {
  return static_cast<std::uint32_t>(in_.deposit_amounts.size() + (in_.builder_registrations ? 1 : 0));
}

std::vector<Root> LockPlan::signing_roots(std::uint32_t validator,
                                          const crypto::bls::PublicKey& pubkey) const {
  std::vector<Root> out;
  const auto pk = pubkey.to_bytes();
  if (validator >= in_.validators.size()) return out;  // the ceremony never asks (V = num_validators)
  for (auto amount : in_.deposit_amounts)
    out.push_back(cluster::deposit_signing_root(pk, in_.validators[validator].withdrawal_credentials, amount,
                                                in_.fork_version));
  if (in_.builder_registrations)
    out.push_back(cluster::registration_signing_root(registration(in_, validator, pk), in_.fork_version));
  return out;
}

Root LockPlan::lock_hash(std::span<const ValidatorPublic> validators) const {
  auto lock = cluster::assemble_lock(def_, to_lock_validators(in_, validators));
  return lock ? lock->lock_hash : Root{};
}

std::vector<cluster::DkgValidatorResult> to_lock_validators(const cluster::DkgInputs& in,
                                                            std::span<const ValidatorPublic> validators) {
  std::vector<cluster::DkgValidatorResult> out;
  out.reserve(validators.size());
  for (std::uint32_t v = 0; v < validators.size(); ++v) {
    const auto& src = validators[v];
    cluster::DkgValidatorResult r;
    r.distributed_public_key = src.pubkey.to_bytes();
    for (const auto& s : src.pubshares) r.public_shares.push_back(s.to_bytes());
    for (std::size_t a = 0; a < in.deposit_amounts.size() && a < src.signatures.size(); ++a)
      r.deposit_data.push_back(cluster::DepositData{r.distributed_public_key,
                                                    in.validators[v].withdrawal_credentials,
                                                    in.deposit_amounts[a], src.signatures[a].to_bytes()});
    if (in.builder_registrations && src.signatures.size() > in.deposit_amounts.size()) {
      r.builder_registration.message = registration(in, v, r.distributed_public_key);
      r.builder_registration.signature = src.signatures[in.deposit_amounts.size()].to_bytes();
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace phx::dkg::runner
