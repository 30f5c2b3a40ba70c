#pragma once
/// The validator API's Backend over the duty workflow (core::Workflow) and the key book: share ↔ DV key
/// mapping, lookups from the scheduler's duty definitions, and every VC-facing call translated into workflow
/// calls (await the decided data; hand over the VC's verified partials, including RANDAO reveals and
/// selection proofs). Core errors become Beacon API statuses: unknown key / nothing decided → 404, duty
/// deadline passed → 503, conflicting or slashable partial → 400, anything else → 500.
#include "beaconapi/vapi/validator_api.hpp"
#include "core/workflow.hpp"

namespace phx::app {

namespace vapi = beaconapi::vapi;

/// The adapter. Threading: the io thread (the workflow's and the validator API's executor).
class WorkflowBackend final : public vapi::Backend {
 public:
  /// None owned; all outlive the backend. `share_idx` is this node's share index.
  WorkflowBackend(core::Workflow& workflow, const core::KeyBook& keys, ShareIdx share_idx, const Clock& clock)
      : wf_(workflow), keys_(keys), share_idx_(share_idx), clock_(clock) {}

  const eth::ChainConfig& chain_config() const override { return wf_.chain_config(); }
  std::optional<vapi::ShareRef> dv_of(const eth::BLSPubkey& pubshare) const override;
  std::optional<crypto::bls::PublicKey> share_of(const eth::BLSPubkey& dv_pubkey) const override;

  runtime::Task<vapi::ApiResult<eth::BLSPubkey>> pubkey_by_index(ValidatorIndex index) override;
  runtime::Task<vapi::ApiResult<vapi::AttesterRef>> attester_at(Slot slot, eth::CommitteeIndex committee_index,
                                                                std::uint64_t validator_committee_index) override;
  runtime::Task<vapi::ApiResult<eth::BLSPubkey>> proposer_of(Slot slot) override;
  std::map<ValidatorIndex, eth::ExecutionAddress> fee_recipients() const override {
    return wf_.fee_recipients_by_index();
  }

  runtime::Task<vapi::ApiResult<eth::phase0::AttestationData>> attestation_data(
      Slot slot, eth::CommitteeIndex committee_index) override;
  runtime::Task<vapi::ApiResult<beaconapi::ProduceBlockV3Response>> produce_block(vapi::BlockRequest req) override;
  runtime::Task<vapi::ApiResult<beaconapi::VersionedAttestation>> aggregate_attestation(
      Slot slot, Root attestation_data_root, std::optional<eth::CommitteeIndex> committee_index) override;
  runtime::Task<vapi::ApiResult<eth::altair::SyncCommitteeContribution>> sync_contribution(
      Slot slot, std::uint64_t subcommittee_index, Root beacon_block_root) override;
  runtime::Task<vapi::ApiResult<std::vector<vapi::BeaconCommitteeSelection>>> beacon_committee_selections(
      std::vector<vapi::VerifiedSelection<vapi::BeaconCommitteeSelection>> partials) override;
  runtime::Task<vapi::ApiResult<std::vector<vapi::SyncCommitteeSelection>>> sync_committee_selections(
      std::vector<vapi::VerifiedSelection<vapi::SyncCommitteeSelection>> partials) override;
  runtime::Task<vapi::ApiResult<void>> submit_partials(vapi::PartialKind kind,
                                                       std::vector<vapi::PartialSignature> partials) override;

  /// The duty a VC partial belongs to (attestation → attester of data.slot, block → proposer of its slot,
  /// registration → builder_registration of the slot of its timestamp, exit → the first slot of its epoch…).
  core::Duty duty_of(vapi::PartialKind kind, const vapi::PartialMessage& m) const;

 private:
  core::Workflow& wf_;
  const core::KeyBook& keys_;
  ShareIdx share_idx_;
  const Clock& clock_;
};

/// Maps a core error to the validator API's error (status + message): a passed deadline 503 (the produce and
/// selection routes document it), a conflict or slashing refusal 400, slashing protection unavailable 500.
vapi::ApiError api_error(const std::error_code& ec);
/// The same for a POST pool submission, whose documented statuses are 200/400/500: a passed deadline is a 400.
vapi::ApiError submission_error(const std::error_code& ec);
/// core::SignedMessage of the same alternative as `m` (the two variants list the same types in one order).
core::SignedMessage to_core(const vapi::PartialMessage& m);

}  // namespace phx::app
