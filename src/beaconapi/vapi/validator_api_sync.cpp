// Validator API, sync-committee family: contributions, sync committee messages, contribution-and-proofs.
#include "beaconapi/vapi/validator_api_detail.hpp"
#include "eth/duty_signing.hpp"

namespace phx::beaconapi::vapi {

Task<BeastResponse> ValidatorApi::Impl::sync_contribution(const Ctx& c) {
  auto slot = query_u64(c.req, "slot");
  if (!slot) co_return error_response(400, slot.error());
  auto sub = query_u64(c.req, "subcommittee_index");
  if (!sub) co_return error_response(400, sub.error());
  auto root = query_hex<32>(c.req, "beacon_block_root");
  if (!root) co_return error_response(400, root.error());
  auto r = co_await guarded(backend_.sync_contribution(Slot{*slot}, *sub, *root));
  if (!r) co_return error_response(r.error());
  // JSON even when the VC prefers SSZ: the spec lists only application/json for this route (Lodestar 1.23's VC
  // asks every route with `application/octet-stream;q=1,application/json;q=0.9`).
  co_return json_response(data_body(ssz::to_json(*r)));
}

Task<BeastResponse> ValidatorApi::Impl::submit_sync_messages(const Ctx& c) {
  const auto& config = backend_.chain_config();
  auto items = decode_items<eth::altair::SyncCommitteeMessage>(c.req.body, c.req.body_is_ssz());
  if (!items) co_return error_response(400, items.error());
  if (items->empty()) co_return error_response(400, "empty sync committee message list");
  std::vector<Candidate> cands;
  Failures failures;
  for (std::size_t i = 0; i < items->size(); ++i) {
    const auto& m = (*items)[i];
    auto dv = co_await dv_by_index(m.validator_index);
    if (!dv) {
      failures.emplace_back(i, "unknown validator: " + dv.error().message);
      continue;
    }
    cands.push_back(Candidate{i, *dv, m.validator_index, 0, SyncMessage{m.slot, m.beacon_block_root},
                              eth::sync_committee_message_signing_root(config, m.slot, m.beacon_block_root),
                              m.signature});
  }
  co_return co_await finish(PartialKind::kSyncMessage, std::move(cands), std::move(failures));
}

Task<BeastResponse> ValidatorApi::Impl::submit_contributions(const Ctx& c) {
  const auto& config = backend_.chain_config();
  auto items = decode_items<eth::altair::SignedContributionAndProof>(c.req.body, c.req.body_is_ssz());
  if (!items) co_return error_response(400, items.error());
  if (items->empty()) co_return error_response(400, "empty contribution list");
  std::vector<Candidate> cands;
  Failures failures;
  for (std::size_t i = 0; i < items->size(); ++i) {
    const auto& s = (*items)[i];
    auto dv = co_await dv_by_index(s.message.aggregator_index);
    if (!dv) {
      failures.emplace_back(i, "unknown validator: " + dv.error().message);
      continue;
    }
    eth::altair::SyncAggregatorSelectionData sel{};
    sel.slot = s.message.contribution.slot;
    sel.subcommittee_index = s.message.contribution.subcommittee_index;
    if (auto why = check_selection_proof(*dv, eth::sync_selection_proof_signing_root(config, sel),
                                         s.message.selection_proof, "contribution-and-proof")) {
      failures.emplace_back(i, std::move(*why));
      continue;
    }
    cands.push_back(Candidate{i, *dv, s.message.aggregator_index, 0, s.message,
                              eth::contribution_and_proof_signing_root(config, s.message), s.signature});
  }
  co_return co_await finish(PartialKind::kContributionAndProof, std::move(cands), std::move(failures));
}

}  // namespace phx::beaconapi::vapi
