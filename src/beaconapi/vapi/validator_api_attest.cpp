// Validator API, attestation family: attestation_data (the cluster's agreed data), attestation submissions.
#include "beaconapi/vapi/validator_api_detail.hpp"
#include "eth/duty_signing.hpp"

namespace phx::beaconapi::vapi {

Task<BeastResponse> ValidatorApi::Impl::attestation_data(const Ctx& c) {
  auto slot = query_u64(c.req, "slot");
  if (!slot) co_return error_response(400, slot.error());
  auto ci = query_u64(c.req, "committee_index");
  if (!ci) co_return error_response(400, ci.error());
  auto r = co_await guarded(backend_.attestation_data(Slot{*slot}, *ci));
  if (!r) co_return error_response(r.error());
  if (c.req.wants_ssz()) co_return ssz_response(ssz::serialize(*r));
  co_return json_response(data_body(ssz::to_json(*r)));
}

Task<BeastResponse> ValidatorApi::Impl::submit_attestations(const Ctx& c, bool v2) {
  const auto& config = backend_.chain_config();
  bool electra = false;
  if (v2) {
    if (c.req.consensus_version.empty()) co_return error_response(400, "missing Eth-Consensus-Version header");
    auto f = eth::fork_from_name(c.req.consensus_version);
    if (!f) co_return error_response(400, "unknown Eth-Consensus-Version \"" + c.req.consensus_version + "\"");
    electra = *f >= eth::Fork::kElectra;
  }
  std::vector<Candidate> cands;
  Failures failures;
  if (electra) {
    auto items = decode_items<eth::electra::SingleAttestation>(c.req.body, c.req.body_is_ssz());
    if (!items) co_return error_response(400, items.error());
    if (items->empty()) co_return error_response(400, "empty attestation list");
    for (std::size_t i = 0; i < items->size(); ++i) {
      const auto& a = (*items)[i];
      auto dv = co_await dv_by_index(a.attester_index);
      if (!dv) {
        failures.emplace_back(i, "unknown validator: " + dv.error().message);
        continue;
      }
      cands.push_back(Candidate{i, *dv, a.attester_index, a.committee_index, a.data,
                                eth::attestation_signing_root(config, a.data), a.signature});
    }
  } else {
    auto items = decode_items<eth::phase0::Attestation>(c.req.body, c.req.body_is_ssz());
    if (!items) co_return error_response(400, items.error());
    if (items->empty()) co_return error_response(400, "empty attestation list");
    for (std::size_t i = 0; i < items->size(); ++i) {
      const auto& a = (*items)[i];
      std::optional<std::size_t> pos;
      std::size_t set = 0;
      for (std::size_t b = 0; b < a.aggregation_bits.size(); ++b) {
        if (a.aggregation_bits.get(b)) {
          ++set;
          pos = b;
        }
      }
      if (set != 1) {
        failures.emplace_back(i, "aggregation_bits must have exactly one bit set");
        continue;
      }
      auto ref = co_await attester(a.data.slot, a.data.index, *pos);
      if (!ref) {
        failures.emplace_back(i, "unknown validator: " + ref.error().message);
        continue;
      }
      cands.push_back(Candidate{i, ref->dv_pubkey, ref->validator_index, a.data.index, a.data,
                                eth::attestation_signing_root(config, a.data), a.signature});
    }
  }
  co_return co_await finish(PartialKind::kAttestation, std::move(cands), std::move(failures));
}

}  // namespace phx::beaconapi::vapi
