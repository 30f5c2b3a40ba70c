#pragma once
/// Beacon API response types of the validator flow that are not consensus containers: duties, validator
/// entries, sync status. Duties declare their fields like SSZ containers so the strict JSON codec of ssz/json
/// (decimal strings, 0x hex) reads and writes them. Spec: ethereum/beacon-APIs (getAttesterDuties,
/// getProposerDuties, getSyncCommitteeDuties,
/// prepareBeaconProposer, postStateValidators, getSyncingStatus).
#include <string>
#include <vector>

#include "eth/types.hpp"
#include "ssz/json.hpp"

namespace phx::beaconapi::http {

/// One attester duty (getAttesterDuties `data[i]`).
struct AttesterDuty {
  eth::BLSPubkey pubkey{};
  ValidatorIndex validator_index{};
  std::uint64_t committee_index = 0;
  std::uint64_t committee_length = 0;
  std::uint64_t committees_at_slot = 0;
  std::uint64_t validator_committee_index = 0;
  Slot slot{};
  PHX_SSZ_FIELDS(AttesterDuty, pubkey, validator_index, committee_index, committee_length, committees_at_slot,
                 validator_committee_index, slot)
};

/// One proposer duty (getProposerDuties `data[i]`).
struct ProposerDuty {
  eth::BLSPubkey pubkey{};
  ValidatorIndex validator_index{};
  Slot slot{};
  PHX_SSZ_FIELDS(ProposerDuty, pubkey, validator_index, slot)
};

/// One sync committee duty (getSyncCommitteeDuties `data[i]`): the validator's positions in the sync
/// committee of the epoch's sync-committee period (subcommittee = position / (SYNC_COMMITTEE_SIZE /
/// SYNC_COMMITTEE_SUBNET_COUNT)). Spec: beacon-APIs getSyncCommitteeDuties, consensus-specs altair/validator.md.
struct SyncCommitteeDuty {
  eth::BLSPubkey pubkey{};
  ValidatorIndex validator_index{};
  ssz::List<std::uint64_t, eth::preset::kSyncCommitteeSize> validator_sync_committee_indices;
  PHX_SSZ_FIELDS(SyncCommitteeDuty, pubkey, validator_index, validator_sync_committee_indices)
};

/// One prepareBeaconProposer entry: the fee recipient a validator wants in its execution payloads.
struct ProposerPreparation {
  ValidatorIndex validator_index{};
  eth::ExecutionAddress fee_recipient{};
  PHX_SSZ_FIELDS(ProposerPreparation, validator_index, fee_recipient)
};

/// One prepareBeaconCommitteeSubnet entry (POST /eth/v1/validator/beacon_committee_subscriptions): asks the BN to
/// join the committee's subnet and, when `is_aggregator`, to pool the subnet's attestations for aggregation
/// (Lodestar pools API-submitted attestations only for such subnets and slots).
struct BeaconCommitteeSubscription {
  ValidatorIndex validator_index{};
  std::uint64_t committee_index = 0;
  std::uint64_t committees_at_slot = 0;
  Slot slot{};
  bool is_aggregator = false;
  PHX_SSZ_FIELDS(BeaconCommitteeSubscription, validator_index, committee_index, committees_at_slot, slot, is_aggregator)
};

/// One prepareSyncCommitteeSubnets entry (POST /eth/v1/validator/sync_committee_subscriptions).
struct SyncCommitteeSubscription {
  ValidatorIndex validator_index{};
  ssz::List<std::uint64_t, 512> sync_committee_indices;
  Epoch until_epoch{};
  PHX_SSZ_FIELDS(SyncCommitteeSubscription, validator_index, sync_committee_indices, until_epoch)
};

/// Duties with the dependent root that invalidates them on a reorg.
struct AttesterDuties {
  Root dependent_root{};
  std::vector<AttesterDuty> duties;
};
/// Proposer duties of an epoch.
struct ProposerDuties {
  Root dependent_root{};
  std::vector<ProposerDuty> duties;
};

/// The `validator` object of a validator entry (consensus Validator container).
struct ValidatorRecord {
  eth::BLSPubkey pubkey{};
  Root withdrawal_credentials{};
  std::uint64_t effective_balance = 0;
  bool slashed = false;
  Epoch activation_eligibility_epoch{};
  Epoch activation_epoch{};
  Epoch exit_epoch{};
  Epoch withdrawable_epoch{};
  PHX_SSZ_FIELDS(ValidatorRecord, pubkey, withdrawal_credentials, effective_balance, slashed,
                 activation_eligibility_epoch, activation_epoch, exit_epoch, withdrawable_epoch)
};

/// One postStateValidators entry.
struct ValidatorInfo {
  ValidatorIndex index{};
  std::uint64_t balance = 0;
  std::string status;  ///< e.g. "active_ongoing"
  ValidatorRecord validator{};
};

/// getSyncingStatus `data`.
struct SyncStatus {
  Slot head_slot{};
  std::uint64_t sync_distance = 0;
  bool is_syncing = false;
  bool is_optimistic = false;
  bool el_offline = false;
  PHX_SSZ_FIELDS(SyncStatus, head_slot, sync_distance, is_syncing, is_optimistic, el_offline)
};

/// JSON of a validator entry.
ssz::Json validator_info_to_json(const ValidatorInfo& v);
/// Strict decoding of a validator entry. Errors name the field.
Result<ValidatorInfo, ssz::JsonError> validator_info_from_json(const ssz::Json& j, const std::string& path);

}  // namespace phx::beaconapi::http
