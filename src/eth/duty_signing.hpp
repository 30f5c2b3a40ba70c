#pragma once
/// Signing roots of everything a validator signs, with the domain each duty uses (consensus-specs
/// phase0/validator.md, altair/validator.md, deneb/beacon-chain.md for EIP-7044, builder-specs). A DV node
/// computes these to verify partial signatures and to check what its operators sign.
#include "eth/signing.hpp"

namespace phx::eth {

/// Epoch of a slot on `config`.
inline Epoch epoch_of(const ChainConfig& config, Slot slot) {
  return config.epoch_at(slot);
}

/// Block proposal: hash_tree_root of the (blinded or full) block with DOMAIN_BEACON_PROPOSER at the block's
/// epoch. The block and its header have the same root, so `block` may be either.
template <class Block>
Root block_signing_root(const ChainConfig& config, const Block& block) {
  return compute_signing_root_of(block,
                                 get_domain(config, domain::kBeaconProposer, epoch_of(config, block.slot)));
}

/// RANDAO reveal: the epoch (uint64) with DOMAIN_RANDAO.
inline Root randao_signing_root(const ChainConfig& config, Epoch epoch) {
  return compute_signing_root_of(epoch, get_domain(config, domain::kRandao, epoch));
}

/// Attestation: AttestationData with DOMAIN_BEACON_ATTESTER at data.target.epoch.
inline Root attestation_signing_root(const ChainConfig& config, const phase0::AttestationData& data) {
  return compute_signing_root_of(data, get_domain(config, domain::kBeaconAttester, data.target.epoch));
}

/// Aggregation selection proof: the slot (uint64) with DOMAIN_SELECTION_PROOF.
inline Root selection_proof_signing_root(const ChainConfig& config, Slot slot) {
  return compute_signing_root_of(slot, get_domain(config, domain::kSelectionProof, epoch_of(config, slot)));
}

/// AggregateAndProof (either layout) with DOMAIN_AGGREGATE_AND_PROOF at the aggregate's slot's epoch.
template <class AggregateAndProofT>
Root aggregate_and_proof_signing_root(const ChainConfig& config, const AggregateAndProofT& msg) {
  return compute_signing_root_of(
      msg, get_domain(config, domain::kAggregateAndProof, epoch_of(config, msg.aggregate.data.slot)));
}

/// Sync committee message: the beacon_block_root (Root) with DOMAIN_SYNC_COMMITTEE at the slot's epoch.
inline Root sync_committee_message_signing_root(const ChainConfig& config, Slot slot,
                                                const Root& beacon_block_root) {
  return compute_signing_root(beacon_block_root,
                              get_domain(config, domain::kSyncCommittee, epoch_of(config, slot)));
}

/// Sync aggregator selection: SyncAggregatorSelectionData with DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF.
inline Root sync_selection_proof_signing_root(const ChainConfig& config,
                                              const altair::SyncAggregatorSelectionData& data) {
  return compute_signing_root_of(
      data, get_domain(config, domain::kSyncCommitteeSelectionProof, epoch_of(config, data.slot)));
}

/// ContributionAndProof with DOMAIN_CONTRIBUTION_AND_PROOF at the contribution's slot's epoch.
inline Root contribution_and_proof_signing_root(const ChainConfig& config,
                                                const altair::ContributionAndProof& msg) {
  return compute_signing_root_of(
      msg, get_domain(config, domain::kContributionAndProof, epoch_of(config, msg.contribution.slot)));
}

/// VoluntaryExit, signed while the chain is at `current_epoch` (EIP-7044 pins Capella from Deneb on).
inline Root voluntary_exit_signing_root(const ChainConfig& config, const phase0::VoluntaryExit& exit,
                                        Epoch current_epoch) {
  return compute_signing_root_of(exit, voluntary_exit_domain(config, exit.epoch, current_epoch));
}

/// Builder registration: ValidatorRegistrationV1 with DOMAIN_APPLICATION_BUILDER (genesis version, zero
/// root).
inline Root registration_signing_root(const ChainConfig& config, const phase0::ValidatorRegistrationV1& reg) {
  return compute_signing_root_of(reg, get_domain(config, domain::kApplicationBuilder, Epoch{0}));
}

/// Deposit: DepositMessage with DOMAIN_DEPOSIT (genesis version, zero root).
inline Root deposit_signing_root(const ChainConfig& config, const phase0::DepositMessage& msg) {
  return compute_signing_root_of(msg, get_domain(config, domain::kDeposit, Epoch{0}));
}

}  // namespace phx::eth
