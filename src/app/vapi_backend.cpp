#include "app/vapi_backend.hpp"

#include <map>

#include "slashing/rules.hpp"

namespace phx::app {

using core::CoreError;
using core::Duty;
using core::DutyType;
using runtime::Task;
template <class T>
using ApiResult = vapi::ApiResult<T>;

vapi::ApiError api_error(const std::error_code& ec) {
  if (ec == CoreError::kNotFound || ec == CoreError::kUnknownPubkey) return {404, ec.message()};
  if (ec == CoreError::kExpired) return {503, "duty deadline passed: " + ec.message()};
  if (ec == CoreError::kConflict || ec == CoreError::kEquivocation || ec == CoreError::kWrongDataType ||
      ec == CoreError::kNoSelectionProof)
    return {400, ec.message()};
  if (ec.category() == std::error_code(slashing::SlashingError::kDoubleVote).category()) {
    if (ec == slashing::SlashingError::kStorage) return {500, "slashing protection unavailable: " + ec.message()};
    return {400, "refused by slashing protection: " + ec.message()};
  }
  return {500, ec.message()};
}

/// The error of a POST pool submission (attestations, sync messages, aggregates, contributions, exits): the
/// spec documents 200/400/500 there, so a partial that arrives after its duty's deadline is a 400 with the
/// reason (the produce and selection routes answer 503 for it, which they document).
vapi::ApiError submission_error(const std::error_code& ec) {
  if (ec == CoreError::kExpired) return {400, "duty deadline passed: " + ec.message()};
  return api_error(ec);
}

core::SignedMessage to_core(const vapi::PartialMessage& m) {
  return std::visit(
      [](const auto& v) -> core::SignedMessage {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, vapi::RandaoMessage>)
          return core::RandaoMessage{v.epoch};
        else if constexpr (std::is_same_v<T, vapi::SelectionProofMessage>)
          return core::SelectionProofMessage{v.slot};
        else if constexpr (std::is_same_v<T, vapi::SyncMessage>)
          return core::SyncMessage{v.slot, v.beacon_block_root};
        else if constexpr (std::is_same_v<T, vapi::ExitMessage>)
          return core::ExitMessage{v.exit, v.current_epoch};
        else
          return core::SignedMessage{v};
      },
      m);
}

std::optional<vapi::ShareRef> WorkflowBackend::dv_of(const eth::BLSPubkey& pubshare) const {
  auto ref = keys_.by_pubshare(pubshare);
  if (!ref) return std::nullopt;
  return vapi::ShareRef{ref->pubkey, ref->share_idx == share_idx_};
}

std::optional<crypto::bls::PublicKey> WorkflowBackend::share_of(const eth::BLSPubkey& dv_pubkey) const {
  auto s = keys_.pubshare(dv_pubkey, share_idx_);
  if (!s) return std::nullopt;
  return *s;
}

Task<ApiResult<eth::BLSPubkey>> WorkflowBackend::pubkey_by_index(ValidatorIndex index) {
  for (const auto& [pk, ref] : wf_.scheduler().validators())
    if (ref.index == index) co_return pk;
  co_return std::unexpected(vapi::ApiError{404, "validator index " + std::to_string(index.value) +
                                                    " is not a validator of this cluster"});
}

Task<ApiResult<vapi::AttesterRef>> WorkflowBackend::attester_at(Slot slot, eth::CommitteeIndex committee_index,
                                                               std::uint64_t validator_committee_index) {
  const Duty duty{slot, DutyType::kAttester};
  for (const auto& [pk, def] : wf_.scheduler().definitions(duty))
    if (def.committee_index == committee_index && def.validator_committee_index == validator_committee_index)
      co_return vapi::AttesterRef{pk, def.validator_index};
  co_return std::unexpected(vapi::ApiError{404, "no cluster attester at that committee position"});
}

Task<ApiResult<eth::BLSPubkey>> WorkflowBackend::proposer_of(Slot slot) {
  for (DutyType t : {DutyType::kProposer, DutyType::kBuilderProposer}) {
    const Duty duty{slot, t};
    auto defs = wf_.scheduler().definitions(duty);
    if (!defs.empty()) co_return defs.begin()->first;
  }
  co_return std::unexpected(vapi::ApiError{404, "no cluster proposer at slot " + std::to_string(slot.value)});
}

Task<ApiResult<eth::phase0::AttestationData>> WorkflowBackend::attestation_data(Slot slot,
                                                                              eth::CommitteeIndex committee_index) {
  auto r = co_await wf_.await_attestation_data(slot, committee_index);
  if (!r) co_return std::unexpected(api_error(r.error()));
  co_return *r;
}

Task<ApiResult<beaconapi::ProduceBlockV3Response>> WorkflowBackend::produce_block(vapi::BlockRequest req) {
  const Epoch epoch = wf_.chain_config().epoch_at(req.slot);
  const core::ParSignedData partial{core::SignedData{core::RandaoMessage{epoch}, req.randao_partial}, share_idx_};
  if (auto ok = wf_.submit_randao(req.slot, req.dv_pubkey, partial); !ok)
    co_return std::unexpected(api_error(ok.error()));
  auto block = co_await wf_.await_block(req.slot);
  if (!block) co_return std::unexpected(api_error(block.error()));
  beaconapi::ProduceBlockV3Response out;
  if (auto* full = std::get_if<core::ProposalData>(&*block)) {
    if (req.preference == vapi::BlockPreference::kBlinded)
      co_return std::unexpected(vapi::ApiError{500, "the cluster decided a full block; blinded requested"});
    out.block.emplace<0>(full->block);
  } else if (auto* blinded = std::get_if<core::BlindedProposalData>(&*block)) {
    if (req.preference == vapi::BlockPreference::kFull)
      co_return std::unexpected(vapi::ApiError{500, "the cluster decided a blinded block; full requested"});
    out.block.emplace<1>(blinded->block);
  } else {
    co_return std::unexpected(vapi::ApiError{500, "decided data is not a block"});
  }
  co_return out;
}

Task<ApiResult<beaconapi::VersionedAttestation>> WorkflowBackend::aggregate_attestation(
    Slot slot, Root attestation_data_root, std::optional<eth::CommitteeIndex> committee_index) {
  auto r = co_await wf_.await_aggregate_attestation(slot, attestation_data_root, committee_index);
  if (!r) co_return std::unexpected(api_error(r.error()));
  co_return *r;
}

Task<ApiResult<eth::altair::SyncCommitteeContribution>> WorkflowBackend::sync_contribution(
    Slot slot, std::uint64_t subcommittee_index, Root beacon_block_root) {
  auto r = co_await wf_.await_sync_contribution(slot, subcommittee_index, beacon_block_root);
  if (!r) co_return std::unexpected(api_error(r.error()));
  co_return *r;
}

namespace {

/// Submits one own partial per selection and awaits the combined signatures, in request order.
/// The duty a selection's partial belongs to: (slot, type), and the subcommittee for sync selections.
template <class Selection>
Duty selection_duty(const Selection& s, DutyType type) {
  Duty d{s.slot, type};
  if constexpr (requires { s.subcommittee_index; }) d.subcommittee = s.subcommittee_index;
  return d;
}

template <class Selection, class MakeMessage>
Task<ApiResult<std::vector<Selection>>> exchange_selections(
    core::Workflow& wf, ShareIdx share_idx, DutyType type,
    std::vector<vapi::VerifiedSelection<Selection>> partials, MakeMessage make_message) {
  // One batch per duty: one partial-signature message to the peers and one aggregation batch per duty, not
  // one per validator (a sync committee's 512 selections per slot otherwise cost 512 messages and 512
  // separate aggregate verifications on every node).
  std::map<Duty, std::vector<std::pair<core::PubKey, core::ParSignedData>>> by_duty;
  for (const auto& p : partials) {
    by_duty[selection_duty(p.selection, type)].emplace_back(
        p.dv_pubkey, core::ParSignedData{core::SignedData{make_message(p.selection), p.partial_sig}, share_idx});
  }
  for (const auto& [duty, batch] : by_duty)
    if (auto ok = wf.submit_own_partials(duty, batch); !ok) co_return std::unexpected(api_error(ok.error()));
  std::vector<Selection> out;
  out.reserve(partials.size());
  for (const auto& p : partials) {
    const Duty duty = selection_duty(p.selection, type);
    const core::PubKey pk = p.dv_pubkey;
    auto agg = co_await wf.await_aggregate_signature(duty, pk);
    if (!agg) co_return std::unexpected(api_error(agg.error()));
    Selection s = p.selection;
    s.selection_proof = agg->signature.to_bytes();
    out.push_back(s);
  }
  co_return out;
}

}  // namespace

Task<ApiResult<std::vector<vapi::BeaconCommitteeSelection>>> WorkflowBackend::beacon_committee_selections(
    std::vector<vapi::VerifiedSelection<vapi::BeaconCommitteeSelection>> partials) {
  return exchange_selections<vapi::BeaconCommitteeSelection>(
      wf_, share_idx_, DutyType::kPrepareAggregator, std::move(partials),
      [](const vapi::BeaconCommitteeSelection& s) { return core::SignedMessage{core::SelectionProofMessage{s.slot}}; });
}

Task<ApiResult<std::vector<vapi::SyncCommitteeSelection>>> WorkflowBackend::sync_committee_selections(
    std::vector<vapi::VerifiedSelection<vapi::SyncCommitteeSelection>> partials) {
  // One duty per (slot, subcommittee): a validator in several subcommittees gets each combined proof.
  for (const auto& p : partials)
    if (p.selection.subcommittee_index >= core::kSyncSubcommitteeCount)
      co_return std::unexpected(vapi::ApiError{400, "subcommittee_index must be below 4"});
  auto message = [](const vapi::SyncCommitteeSelection& s) {
    return core::SignedMessage{eth::altair::SyncAggregatorSelectionData{s.slot, s.subcommittee_index}};
  };
  co_return co_await exchange_selections<vapi::SyncCommitteeSelection>(wf_, share_idx_, DutyType::kPrepareSyncContribution,
                                                                      std::move(partials), message);
}

Duty WorkflowBackend::duty_of(vapi::PartialKind kind, const vapi::PartialMessage& m) const {
  const auto& cfg = wf_.chain_config();
  switch (kind) {
    case vapi::PartialKind::kAttestation:
      return {std::get<eth::phase0::AttestationData>(m).slot, DutyType::kAttester};
    case vapi::PartialKind::kBlock:
      return {core::slot_of(std::get<beaconapi::VersionedBeaconBlock>(m)), DutyType::kProposer};
    case vapi::PartialKind::kBlindedBlock:
      return {core::slot_of(std::get<beaconapi::VersionedBlindedBeaconBlock>(m)), DutyType::kBuilderProposer};
    case vapi::PartialKind::kAggregateAndProof: {
      const auto& agg = std::get<beaconapi::VersionedAggregateAndProof>(m);
      const Slot slot = std::visit([](const auto& a) { return a.aggregate.data.slot; }, agg.value);
      return {slot, DutyType::kAggregator};
    }
    case vapi::PartialKind::kSyncMessage:
      return {std::get<vapi::SyncMessage>(m).slot, DutyType::kSyncMessage};
    case vapi::PartialKind::kContributionAndProof:
    {
      const auto& c = std::get<eth::altair::ContributionAndProof>(m).contribution;
      return {c.slot, DutyType::kSyncContribution, c.subcommittee_index};
    }
    case vapi::PartialKind::kRegistration: {
      // Every VC signs the same registration message only if they agree on its fields; the duty is the first
      // slot of the current epoch so that partials sent within one epoch meet.
      const Slot now = Slot{cfg.epoch_at(core::SlotClock(cfg).slot_at(clock_.now())).value * cfg.slots_per_epoch};
      return {now, DutyType::kBuilderRegistration};
    }
    case vapi::PartialKind::kExit: {
      const auto& e = std::get<vapi::ExitMessage>(m);
      return {Slot{e.exit.epoch.value * cfg.slots_per_epoch}, DutyType::kExit};
    }
  }
  return {};
}

Task<ApiResult<void>> WorkflowBackend::submit_partials(vapi::PartialKind kind,
                                                       std::vector<vapi::PartialSignature> partials) {
  std::map<Duty, std::vector<std::pair<core::PubKey, core::ParSignedData>>> by_duty;
  for (const auto& p : partials) {
    const Duty duty = duty_of(kind, p.message);
    by_duty[duty].emplace_back(p.dv_pubkey,
                               core::ParSignedData{core::SignedData{to_core(p.message), p.partial_sig}, share_idx_});
  }
  for (const auto& [duty, batch] : by_duty)
    if (auto ok = wf_.submit_own_partials(duty, batch); !ok) co_return std::unexpected(submission_error(ok.error()));
  co_return ApiResult<void>{};
}

}  // namespace phx::app
