// Validator API, aggregation family: aggregates, aggregate-and-proofs and the DVT selection endpoints.
#include <type_traits>
#include <utility>
#include <variant>

#include "beaconapi/vapi/validator_api_detail.hpp"
#include "eth/duty_signing.hpp"

namespace phx::beaconapi::vapi {

namespace {

/// The unsigned AggregateAndProof of a signed one (same fork) and its signature.
std::pair<VersionedAggregateAndProof, eth::BLSSignature> split_aggregate(const VersionedSignedAggregateAndProof& s) {
  eth::BLSSignature sig{};
  VersionedAggregateAndProof out;
  std::visit(
      [&](const auto& x) {
        sig = x.signature;
        using M = std::remove_cvref_t<decltype(x.message)>;
        // Same index in both families: rebuild the variant at the signed value's index.
        [&]<std::size_t... I>(std::index_sequence<I...>) {
          (
              [&] {
                if (s.value.index() == I) {
                  if constexpr (std::is_same_v<std::variant_alternative_t<I, VersionedAggregateAndProof::Variant>,
                                               M>) {
                    out.value.template emplace<I>(x.message);
                  }
                }
              }(),
              ...);
        }(std::make_index_sequence<eth::kForkCount>{});
      },
      s.value);
  return {std::move(out), sig};
}

Root aggregate_root_of(const eth::ChainConfig& config, const VersionedAggregateAndProof& a) {
  return std::visit([&config](const auto& m) { return eth::aggregate_and_proof_signing_root(config, m); },
                    a.value);
}

}  // namespace

Task<BeastResponse> ValidatorApi::Impl::aggregate_attestation(const Ctx& c, bool v2) {
  auto root = query_hex<32>(c.req, "attestation_data_root");
  if (!root) co_return error_response(400, root.error());
  auto slot = query_u64(c.req, "slot");
  if (!slot) co_return error_response(400, slot.error());
  std::optional<eth::CommitteeIndex> ci;
  if (v2) {
    auto v = query_u64(c.req, "committee_index");
    if (!v) co_return error_response(400, v.error());
    ci = *v;
  }
  auto r = co_await guarded(backend_.aggregate_attestation(Slot{*slot}, *root, ci));
  if (!r) co_return error_response(r.error());
  if (!v2) {
    if (r->fork() >= eth::Fork::kElectra) {
      co_return error_response(400, "electra aggregate: use /eth/v2/validator/aggregate_attestation");
    }
    const eth::phase0::Attestation* att = std::visit(
        [](const auto& a) -> const eth::phase0::Attestation* {
          if constexpr (std::is_same_v<std::remove_cvref_t<decltype(a)>, eth::phase0::Attestation>) {
            return &a;
          } else {
            return nullptr;
          }
        },
        r->value);
    if (att == nullptr) co_return error_response(500, "unexpected aggregate layout");
    if (c.req.wants_ssz()) co_return ssz_response(ssz::serialize(*att));
    co_return json_response(data_body(ssz::to_json(*att)));
  }
  BeastResponse out;
  if (c.req.wants_ssz()) {
    out = ssz_response(encode_versioned_ssz(*r));
  } else {
    out = json_response(encode_versioned_json(*r));
  }
  out.set("Eth-Consensus-Version", std::string(eth::fork_name(r->fork())));
  co_return out;
}

/// Both DVT selection endpoints: verify each partial selection proof against this node's share (per-item
/// failures), then exchange them through the backend and answer with the combined proofs.
template <class Selection>
Task<BeastResponse> ValidatorApi::Impl::selections(const Ctx& c) {
  constexpr bool kSync = std::is_same_v<Selection, SyncCommitteeSelection>;
  auto items = decode_items<Selection>(c.req.body, false);
  if (!items) co_return error_response(400, items.error());
  if (items->empty()) co_return error_response(400, "empty selection list");
  const auto& config = backend_.chain_config();
  Failures failures;
  std::vector<VerifiedSelection<Selection>> good, checked;
  std::vector<crypto::bls::SignatureSet> sets;
  std::vector<std::size_t> positions;
  for (std::size_t i = 0; i < items->size(); ++i) {
    const auto& s = (*items)[i];
    auto dv = co_await dv_by_index(s.validator_index);
    if (!dv) {
      failures.emplace_back(i, "unknown validator: " + dv.error().message);
      continue;
    }
    const auto* share = own_share(*dv);
    if (share == nullptr) {
      failures.emplace_back(i, "unknown validator: not a validator of this cluster");
      continue;
    }
    auto sig = crypto::bls::Signature::from_bytes(s.selection_proof);
    if (!sig) {
      failures.emplace_back(i, "malformed selection_proof");
      continue;
    }
    Root root{};
    if constexpr (kSync) {
      const eth::altair::SyncAggregatorSelectionData data{s.slot, s.subcommittee_index};
      root = eth::sync_selection_proof_signing_root(config, data);
    } else {
      root = eth::selection_proof_signing_root(config, s.slot);
    }
    sets.push_back(crypto::bls::SignatureSet{share->first, Bytes(root.begin(), root.end()), *sig});
    checked.push_back(VerifiedSelection<Selection>{*dv, s, *sig});
    positions.push_back(i);
  }
  const std::vector<bool> valid = verify_sets(sets);
  for (std::size_t k = 0; k < checked.size(); ++k) {
    if (valid[k]) {
      good.push_back(std::move(checked[k]));
    } else {
      failures.emplace_back(positions[k],
                            "invalid selection_proof: does not verify against this node's public share");
    }
  }
  stats_.partials_rejected += failures.size();
  if (!failures.empty()) {
    co_return make_response(400, http::kJson, indexed_error_body(400, "some selections failed validation", failures));
  }
  stats_.partials_accepted += good.size();
  ApiResult<std::vector<Selection>> r;
  if constexpr (kSync)
    r = co_await guarded(backend_.sync_committee_selections(std::move(good)));
  else
    r = co_await guarded(backend_.beacon_committee_selections(std::move(good)));
  if (!r) co_return error_response(r.error());
  Json arr = Json::array();
  for (const auto& sel : *r) arr.push_back(ssz::to_json(sel));
  co_return json_response(data_body(std::move(arr)));
}

Task<BeastResponse> ValidatorApi::Impl::submit_aggregates(const Ctx& c, bool v2) {
  const auto& config = backend_.chain_config();
  auto items = decode_aggregates(c.req.body, c.req.body_is_ssz(), v2, c.req.consensus_version, config);
  if (!items) co_return error_response(400, items.error());
  if (items->empty()) co_return error_response(400, "empty aggregate list");
  std::vector<Candidate> cands;
  Failures failures;
  for (std::size_t i = 0; i < items->size(); ++i) {
    auto [msg, sig] = split_aggregate((*items)[i]);
    auto agg_index = std::visit([](const auto& m) { return m.aggregator_index; }, msg.value);
    // Electra moved the committee out of data.index into committee_bits (one bit for an aggregate).
    auto ci = std::visit(
        [](const auto& m) -> eth::CommitteeIndex {
          if constexpr (requires { m.aggregate.committee_bits; }) {
            for (std::size_t b = 0; b < m.aggregate.committee_bits.size(); ++b) {
              if (m.aggregate.committee_bits.get(b)) return b;
            }
            return 0;
          } else {
            return m.aggregate.data.index;
          }
        },
        msg.value);
    auto dv = co_await dv_by_index(agg_index);
    if (!dv) {
      failures.emplace_back(i, "unknown validator: " + dv.error().message);
      continue;
    }
    auto [sel_slot, sel_proof] = std::visit(
        [](const auto& m) { return std::make_pair(m.aggregate.data.slot, m.selection_proof); }, msg.value);
    if (auto why = check_selection_proof(*dv, eth::selection_proof_signing_root(config, sel_slot), sel_proof,
                                         "aggregate-and-proof")) {
      failures.emplace_back(i, std::move(*why));
      continue;
    }
    Root root = aggregate_root_of(config, msg);
    cands.push_back(Candidate{i, *dv, agg_index, ci, std::move(msg), root, sig});
  }
  co_return co_await finish(PartialKind::kAggregateAndProof, std::move(cands), std::move(failures));
}

template Task<BeastResponse> ValidatorApi::Impl::selections<BeaconCommitteeSelection>(const Ctx& c);
template Task<BeastResponse> ValidatorApi::Impl::selections<SyncCommitteeSelection>(const Ctx& c);

}  // namespace phx::beaconapi::vapi
