#include "app/bn_adapter.hpp"

#include <set>

#include "base/log.hpp"
#include "ssz/json.hpp"

namespace phx::app {

namespace http = beaconapi::http;
using core::DutyType;

const char* to_string(BeaconError e) {
  switch (e) {
    case BeaconError::kOk:
      return "ok";
    case BeaconError::kCall:
      return "beacon node call failed";
    case BeaconError::kNotBuilder:
      return "beacon node returned a blinded block though none was requested";
    case BeaconError::kNoContents:
      return "signed block's contents (blobs) unknown";
    case BeaconError::kBackoff:
      return "beacon node call failed recently; backing off";
  }
  return "unknown beacon node error";
}

namespace {

/// Logs a failed call and turns it into an error code.
std::error_code failed(std::string_view what, const http::ClientError& e) {
  log::warn("beacon node: {} failed: {} (status {}) {}", what, e.code.message(), e.status, e.message);
  return e.code ? e.code : std::error_code(BeaconError::kCall);
}

/// Builds Signed<T> (or SignedBlockContents from unsigned BlockContents) for the alternative held by `v`, at
/// the same index of the signed family. Alternative I of both families belongs to the same fork.
template <class SignedFamily, class Family, std::size_t I = 0>
SignedFamily sign_at(const Family& v, const eth::BLSSignature& sig) {
  if constexpr (I == eth::kForkCount) {
    return SignedFamily{};
  } else {
    if (v.value.index() != I) return sign_at<SignedFamily, Family, I + 1>(v, sig);
    using T = std::variant_alternative_t<I, typename Family::Variant>;
    using S = std::variant_alternative_t<I, typename SignedFamily::Variant>;
    SignedFamily out{};
    if constexpr (!std::is_same_v<T, std::monostate>) {
      const T& x = std::get<I>(v.value);
      S s{};
      if constexpr (requires { s.signed_block; x.block; }) {
        s.signed_block.message = x.block;
        s.signed_block.signature = sig;
        s.kzg_proofs = x.kzg_proofs;
        s.blobs = x.blobs;
      } else {
        s.message = x;
        s.signature = sig;
      }
      out.value.template emplace<I>(std::move(s));
    }
    return out;
  }
}

/// A pre-deneb block as the produced-block family (the same type there); nullopt from deneb on, where the
/// produced block carries blobs and proofs that only the decided value has.
template <std::size_t I = 0>
std::optional<beaconapi::VersionedProducedBlock> produced_of(const beaconapi::VersionedBeaconBlock& b) {
  if constexpr (I == eth::kForkCount) {
    return std::nullopt;
  } else {
    if (b.value.index() != I) return produced_of<I + 1>(b);
    using P = std::variant_alternative_t<I, beaconapi::VersionedProducedBlock::Variant>;
    using B = std::variant_alternative_t<I, beaconapi::VersionedBeaconBlock::Variant>;
    if constexpr (std::is_same_v<P, B> && !std::is_same_v<B, std::monostate>) {
      return beaconapi::VersionedProducedBlock{
          beaconapi::VersionedProducedBlock::Variant(std::in_place_index<I>, std::get<I>(b.value))};
    } else {
      return std::nullopt;
    }
  }
}

template <class SignedFamily, class Family>
SignedFamily sign_versioned(const Family& v, const eth::BLSSignature& sig) {
  return sign_at<SignedFamily, Family>(v, sig);
}

}  // namespace

Task<Result<eth::ChainConfig>> BeaconNodeAdapter::chain_config() {
  auto r = co_await client_.chain_config();
  if (!r) co_return std::unexpected(failed("chain config", r.error()));
  config_ = *r;
  co_return *r;
}

bool BeaconNodeAdapter::may_call(const Backoff& b) {
  return std::chrono::steady_clock::now() >= b.retry_at;
}

void BeaconNodeAdapter::note(Backoff& b, bool ok) const {
  if (ok) {
    b = Backoff{};
    return;
  }
  b.next = b.next == Duration{} ? bulk_.backoff_initial : std::min<Duration>(b.next * 2, bulk_.backoff_max);
  b.retry_at = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(b.next);
}

Task<Result<std::vector<core::ValidatorRef>>> BeaconNodeAdapter::validators(std::vector<core::PubKey> pubkeys) {
  const auto now = std::chrono::steady_clock::now();
  const auto ttl = std::chrono::duration_cast<std::chrono::steady_clock::duration>(bulk_.validator_cache_ttl);
  std::vector<eth::BLSPubkey> ask;
  for (const auto& pk : pubkeys) {
    auto it = validator_cache_.find(pk);
    if (it == validator_cache_.end() || now - it->second.fetched >= ttl) ask.emplace_back(pk);
  }
  std::optional<std::error_code> error;
  if (!ask.empty() && !may_call(validators_backoff_)) {
    error = make_error_code(BeaconError::kBackoff);
  } else if (!ask.empty()) {
    const std::size_t asked = ask.size();
    auto r = co_await client_.validators_by_pubkey("head", std::move(ask));
    note(validators_backoff_, r.has_value());
    if (!r) {
      error = failed("validators", r.error());
    } else {
      const auto fetched = std::chrono::steady_clock::now();
      for (const auto& v : *r) {
        validator_cache_.insert_or_assign(
            v.validator.pubkey,
            CachedValidator{core::ValidatorRef{v.validator.pubkey, v.index, v.status.starts_with("active")}, fetched});
      }
      log::debug("beacon node: {} of {} validators looked up, {} known", asked, pubkeys.size(), r->size());
    }
  }
  // What the BN does not know is not cached: asked again next time (a validator may be deposited meanwhile).
  // After a failed refresh, older answers stand in; only keys never answered make the call fail.
  std::vector<core::ValidatorRef> out;
  out.reserve(pubkeys.size());
  bool missing = false;
  for (const auto& pk : pubkeys) {
    auto it = validator_cache_.find(pk);
    if (it != validator_cache_.end())
      out.push_back(it->second.ref);
    else
      missing = true;
  }
  if (error && (missing || out.empty())) co_return std::unexpected(*error);
  if (error) log::info("beacon node: validator lookup failed; using the last answers for {} validators", out.size());
  co_return out;
}

Task<Result<core::AttesterDuties>> BeaconNodeAdapter::attester_duties(
    Epoch epoch, std::vector<ValidatorIndex> indices) {
  if (!may_call(attester_backoff_)) co_return fail(BeaconError::kBackoff);
  auto r = co_await client_.attester_duties(epoch, std::move(indices));
  note(attester_backoff_, r.has_value());
  if (!r) co_return std::unexpected(failed("attester duties", r.error()));
  core::AttesterDuties out;
  out.dependent_root = r->dependent_root;
  out.duties.reserve(r->duties.size());
  for (const auto& d : r->duties) {
    core::DutyDefinition def;
    def.pubkey = d.pubkey;
    def.validator_index = d.validator_index;
    def.committee_index = d.committee_index;
    def.committee_length = d.committee_length;
    def.committees_at_slot = d.committees_at_slot;
    def.validator_committee_index = d.validator_committee_index;
    out.duties.push_back(core::AttesterDutyDef{d.slot, std::move(def)});
  }
  co_return out;
}

Task<Result<core::ProposerDuties>> BeaconNodeAdapter::proposer_duties(Epoch epoch) {
  auto r = co_await client_.proposer_duties(epoch);
  if (!r) co_return std::unexpected(failed("proposer duties", r.error()));
  core::ProposerDuties out;
  out.dependent_root = r->dependent_root;
  for (const auto& d : r->duties) out.duties.push_back(core::ProposerDutyDef{d.slot, d.pubkey, d.validator_index});
  co_return out;
}

Task<Result<std::vector<core::SyncDutyDef>>> BeaconNodeAdapter::sync_duties(Epoch epoch,
                                                                           std::vector<ValidatorIndex> indices) {
  if (config_ && config_->fork_at(epoch) < eth::Fork::kAltair) co_return std::vector<core::SyncDutyDef>{};
  if (!may_call(sync_backoff_)) co_return fail(BeaconError::kBackoff);
  auto r = co_await client_.sync_committee_duties(epoch, std::move(indices));
  note(sync_backoff_, r.has_value());
  if (!r) co_return std::unexpected(failed("sync committee duties", r.error()));
  std::vector<core::SyncDutyDef> out;
  for (const auto& d : *r) {
    core::DutyDefinition def;
    def.pubkey = d.pubkey;
    def.validator_index = d.validator_index;
    def.sync_committee_indices.assign(d.validator_sync_committee_indices.begin(),
                                      d.validator_sync_committee_indices.end());
    out.push_back(core::SyncDutyDef{std::move(def)});
  }
  co_return out;
}

Task<Result<eth::phase0::AttestationData>> BeaconNodeAdapter::attestation_data(Slot slot,
                                                                             eth::CommitteeIndex committee_index) {
  auto r = co_await client_.attestation_data(slot, committee_index);
  if (!r) co_return std::unexpected(failed("attestation data", r.error()));
  co_return *r;
}

Task<Result<core::UnsignedData>> BeaconNodeAdapter::produce_block(Slot slot, eth::BLSSignature randao_reveal,
                                                                  Root graffiti, bool builder) {
  // builder_boost_factor 0 asks for the local (full) block; absent lets the BN pick (builder blocks allowed).
  std::optional<std::uint64_t> boost;
  if (!builder) boost = 0;
  auto r = co_await client_.produce_block_v3(slot, randao_reveal, graffiti, boost);
  if (!r) co_return std::unexpected(failed("produce block", r.error()));
  if (r->blinded()) {
    if (!builder) co_return fail(BeaconError::kNotBuilder);
    co_return core::UnsignedData{core::BlindedProposalData{std::get<1>(r->block)}};
  }
  co_return core::UnsignedData{core::ProposalData{std::get<0>(r->block)}};
}

Task<Result<core::AggregatedAttestationData>> BeaconNodeAdapter::aggregate_attestation(
    Slot slot, Root attestation_data_root, eth::CommitteeIndex committee_index) {
  auto r = co_await client_.aggregate_attestation(slot, attestation_data_root, committee_index);
  if (!r) co_return std::unexpected(failed("aggregate attestation", r.error()));
  co_return core::AggregatedAttestationData{*r};
}

Task<Result<Root>> BeaconNodeAdapter::head_block_root(Slot slot) {
  (void)slot;
  auto r = co_await client_.block_root("head");
  if (!r) co_return std::unexpected(failed("head block root", r.error()));
  co_return *r;
}

Task<Result<eth::altair::SyncCommitteeContribution>> BeaconNodeAdapter::sync_contribution(
    Slot slot, std::uint64_t subcommittee_index, Root beacon_block_root) {
  auto r = co_await client_.sync_committee_contribution(slot, subcommittee_index, beacon_block_root);
  if (!r) co_return std::unexpected(failed("sync committee contribution", r.error()));
  co_return *r;
}

void BeaconNodeAdapter::on_decided(const core::Duty& duty, const core::UnsignedDataSet& set) {
  if (duty.type != DutyType::kProposer) return;
  for (const auto& [pk, u] : set)
    if (const auto* p = std::get_if<core::ProposalData>(&u)) decided_blocks_.insert_or_assign(duty.slot, p->block);
  while (decided_blocks_.size() > 64) decided_blocks_.erase(decided_blocks_.begin());
}

Task<Result<void>> BeaconNodeAdapter::submit(core::Duty duty, std::vector<core::Submission> aggregates) {
  if (aggregates.empty()) co_return Result<void>{};
  if (!config_) {
    auto c = co_await chain_config();
    if (!c) co_return std::unexpected(c.error());
  }
  const eth::Fork fork = config_->fork_at(config_->epoch_at(duty.slot));
  Result<void, http::ClientError> r{};
  std::string_view what = core::to_string(duty.type);
  switch (duty.type) {
    case DutyType::kAttester: {
      if (fork >= eth::Fork::kElectra) {
        std::vector<eth::electra::SingleAttestation> atts;
        for (const auto& s : aggregates) {
          eth::electra::SingleAttestation a{};
          a.committee_index = s.def.committee_index;
          a.attester_index = s.def.validator_index;
          a.data = std::get<eth::phase0::AttestationData>(s.data.message);
          a.signature = s.data.signature.to_bytes();
          atts.push_back(a);
        }
        r = co_await client_.submit_single_attestations(fork, std::move(atts));
      } else {
        std::vector<eth::phase0::Attestation> atts;
        for (const auto& s : aggregates) {
          eth::phase0::Attestation a{};
          a.aggregation_bits = decltype(a.aggregation_bits)(s.def.committee_length);
          if (s.def.validator_committee_index < s.def.committee_length)
            a.aggregation_bits.set(s.def.validator_committee_index, true);
          a.data = std::get<eth::phase0::AttestationData>(s.data.message);
          a.signature = s.data.signature.to_bytes();
          atts.push_back(std::move(a));
        }
        r = co_await client_.submit_attestations(fork, std::move(atts));
      }
      break;
    }
    case DutyType::kProposer: {
      for (const auto& s : aggregates) {
        const auto& block = std::get<beaconapi::VersionedBeaconBlock>(s.data.message);
        std::optional<beaconapi::VersionedProducedBlock> produced;
        if (auto it = decided_blocks_.find(duty.slot); it != decided_blocks_.end() && core::block_of(it->second) == block)
          produced = it->second;
        else
          produced = produced_of(block);  // pre-deneb: the block is all there is
        if (!produced) co_return fail(BeaconError::kNoContents);
        auto signed_block = sign_versioned<beaconapi::VersionedSignedProducedBlock>(*produced, s.data.signature.to_bytes());
        r = co_await client_.publish_block(std::move(signed_block));
        if (!r) break;
      }
      break;
    }
    case DutyType::kBuilderProposer: {
      for (const auto& s : aggregates) {
        const auto& block = std::get<beaconapi::VersionedBlindedBeaconBlock>(s.data.message);
        auto signed_block =
            sign_versioned<beaconapi::VersionedSignedBlindedBeaconBlock>(block, s.data.signature.to_bytes());
        r = co_await client_.publish_blinded_block(std::move(signed_block));
        if (!r) break;
      }
      break;
    }
    case DutyType::kAggregator: {
      std::vector<beaconapi::VersionedSignedAggregateAndProof> items;
      for (const auto& s : aggregates)
        items.push_back(sign_versioned<beaconapi::VersionedSignedAggregateAndProof>(
            std::get<beaconapi::VersionedAggregateAndProof>(s.data.message), s.data.signature.to_bytes()));
      r = co_await client_.submit_aggregate_and_proofs(fork, std::move(items));
      break;
    }
    case DutyType::kSyncMessage: {
      std::vector<eth::altair::SyncCommitteeMessage> msgs;
      for (const auto& s : aggregates) {
        const auto& m = std::get<core::SyncMessage>(s.data.message);
        eth::altair::SyncCommitteeMessage out{};
        out.slot = m.slot;
        out.beacon_block_root = m.beacon_block_root;
        out.validator_index = s.def.validator_index;
        out.signature = s.data.signature.to_bytes();
        msgs.push_back(out);
      }
      r = co_await client_.submit_sync_committee_messages(std::move(msgs));
      break;
    }
    case DutyType::kSyncContribution: {
      std::vector<eth::altair::SignedContributionAndProof> items;
      for (const auto& s : aggregates) {
        eth::altair::SignedContributionAndProof out{};
        out.message = std::get<eth::altair::ContributionAndProof>(s.data.message);
        out.signature = s.data.signature.to_bytes();
        items.push_back(out);
      }
      r = co_await client_.submit_contribution_and_proofs(std::move(items));
      break;
    }
    case DutyType::kBuilderRegistration: {
      std::vector<eth::phase0::SignedValidatorRegistrationV1> regs;
      for (const auto& s : aggregates) {
        eth::phase0::SignedValidatorRegistrationV1 out{};
        out.message = std::get<eth::phase0::ValidatorRegistrationV1>(s.data.message);
        out.signature = s.data.signature.to_bytes();
        regs.push_back(out);
      }
      r = co_await client_.register_validators(std::move(regs));
      break;
    }
    case DutyType::kExit: {
      for (const auto& s : aggregates) {
        eth::phase0::SignedVoluntaryExit out{};
        out.message = std::get<core::ExitMessage>(s.data.message).exit;
        out.signature = s.data.signature.to_bytes();
        r = co_await client_.submit_voluntary_exit(out);
        const std::string_view refused =
            r ? std::string_view{} : r.error().message.empty() ? std::string_view("refused") : r.error().message;
        for (const auto& fn : exit_subs_) fn(s.pubkey, out.message.epoch, refused);
        if (!r) break;
      }
      break;
    }
    case DutyType::kRandao:
    case DutyType::kPrepareAggregator:
    case DutyType::kPrepareSyncContribution:
      break;  // signatures used inside other duties, never submitted
  }
  if (!r) co_return std::unexpected(failed(what, r.error()));
  co_return Result<void>{};
}

Task<Result<void>> BeaconNodeAdapter::subscribe_committees(std::vector<core::CommitteeSubscription> subs) {
  std::vector<beaconapi::http::BeaconCommitteeSubscription> body;
  body.reserve(subs.size());
  for (const auto& s : subs)
    body.push_back({s.validator_index, s.committee_index, s.committees_at_slot, s.slot, s.is_aggregator});
  auto r = co_await client_.beacon_committee_subscriptions(std::move(body));
  if (!r) co_return std::unexpected(failed("beacon committee subscriptions", r.error()));
  co_return Result<void>{};
}

Task<Result<void>> BeaconNodeAdapter::subscribe_sync_committees(std::vector<core::SyncCommitteeSubscription> subs) {
  std::vector<beaconapi::http::SyncCommitteeSubscription> body;
  body.reserve(subs.size());
  for (const auto& s : subs) {
    beaconapi::http::SyncCommitteeSubscription e;
    e.validator_index = s.validator_index;
    for (auto i : s.sync_committee_indices) e.sync_committee_indices.push_back(i);
    e.until_epoch = s.until_epoch;
    body.push_back(std::move(e));
  }
  auto r = co_await client_.sync_committee_subscriptions(std::move(body));
  if (!r) co_return std::unexpected(failed("sync committee subscriptions", r.error()));
  co_return Result<void>{};
}

Task<Result<void>> BeaconNodeAdapter::prepare_proposers(std::vector<core::ProposerPreparation> preps) {
  std::vector<beaconapi::http::ProposerPreparation> body;
  body.reserve(preps.size());
  for (const auto& p : preps) body.push_back({p.validator_index, p.fee_recipient});
  auto r = co_await client_.prepare_beacon_proposer(std::move(body));
  if (!r) co_return std::unexpected(failed("prepare beacon proposer", r.error()));
  co_return Result<void>{};
}

Result<std::vector<std::pair<ValidatorIndex, bool>>, std::string> decode_liveness(std::string_view body) {
  auto j = ssz::parse_json(body);
  if (!j || !j->is_object()) return std::unexpected(std::string("not a JSON object"));
  auto data = j->find("data");
  if (data == j->end() || !data->is_array()) return std::unexpected(std::string("data: expected an array"));
  std::vector<std::pair<ValidatorIndex, bool>> out;
  out.reserve(data->size());
  for (std::size_t i = 0; i < data->size(); ++i) {
    const auto& e = (*data)[i];
    const std::string at = "data[" + std::to_string(i) + "]";
    if (!e.is_object()) return std::unexpected(at + ": expected an object");
    auto idx = e.find("index");
    auto live = e.find("is_live");
    if (idx == e.end() || !idx->is_string()) return std::unexpected(at + ".index: expected a decimal string");
    auto n = http::parse_u64(idx->get<std::string>());
    if (!n) return std::unexpected(at + ".index: expected a decimal string");
    if (live == e.end() || !live->is_boolean()) return std::unexpected(at + ".is_live: expected a boolean");
    out.emplace_back(ValidatorIndex{*n}, live->get<bool>());
  }
  return out;
}

Task<Result<std::vector<std::pair<ValidatorIndex, bool>>>> BeaconNodeAdapter::liveness(
    Epoch epoch, std::vector<ValidatorIndex> indices) {
  std::vector<std::pair<ValidatorIndex, bool>> out;
  if (indices.empty()) co_return out;
  ssz::Json body = ssz::Json::array();
  for (const auto i : indices) body.push_back(std::to_string(i.value));
  http::ClientRequest req;
  req.method = http::Method::kPost;
  req.target = "/eth/v1/validator/liveness/" + std::to_string(epoch.value);
  req.body = body.dump();
  auto r = co_await client_.call(std::move(req));
  if (!r) co_return std::unexpected(failed("liveness", r.error()));
  auto decoded = decode_liveness(r->body);
  if (!decoded) {
    log::warn("beacon node: liveness answer does not decode: {}", decoded.error());
    co_return fail(BeaconError::kCall);
  }
  // Only the validators asked about count; one asked about but not answered is an error (fail closed).
  std::set<std::uint64_t> asked;
  for (const auto i : indices) asked.insert(i.value);
  for (const auto& [idx, live] : *decoded)
    if (asked.erase(idx.value) == 1) out.emplace_back(idx, live);
  if (!asked.empty()) {
    log::warn("beacon node: liveness answer lacks {} of the {} validators asked about", asked.size(), indices.size());
    co_return fail(BeaconError::kCall);
  }
  co_return out;
}

std::optional<std::uint64_t> parse_peer_count(std::string_view body) {
  auto j = ssz::parse_json(body);
  if (!j || !j->is_object() || !j->contains("data") || !(*j)["data"].is_object()) return std::nullopt;
  const auto& d = (*j)["data"];
  if (!d.contains("connected") || !d["connected"].is_string()) return std::nullopt;
  return http::parse_u64(d["connected"].get<std::string>());
}

std::optional<std::uint64_t> parse_connected_peers(std::string_view body) {
  auto j = ssz::parse_json(body);
  if (!j || !j->is_object() || !j->contains("data") || !(*j)["data"].is_array()) return std::nullopt;
  std::uint64_t n = 0;
  for (const auto& p : (*j)["data"]) {
    if (!p.is_object()) return std::nullopt;
    const auto it = p.find("state");
    if (it == p.end() || (it->is_string() && it->get<std::string>() == "connected")) ++n;
  }
  return n;
}

runtime::Task<std::optional<std::uint64_t>> bn_peer_count(http::BeaconNodeClient& client) {
  http::ClientRequest req;
  req.target = "/eth/v1/node/peer_count";
  req.probe = true;
  auto r = co_await client.call(req);
  if (r) co_return parse_peer_count(r->body);
  if (!http::route_not_served(r.error().status, r.error().message)) co_return std::nullopt;
  http::ClientRequest peers;
  peers.target = "/eth/v1/node/peers?state=connected";
  auto p = co_await client.call(peers);
  if (!p) co_return std::nullopt;
  co_return parse_connected_peers(p->body);
}

}  // namespace phx::app
