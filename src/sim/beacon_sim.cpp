#include "sim/beacon_sim.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <type_traits>
#include <utility>
#include <variant>

#include "base/assert.hpp"
#include "crypto/hash/sha256.hpp"
#include "crypto/threshold/threshold.hpp"
#include "eth/duty_signing.hpp"
#include "ssz/json.hpp"

namespace phx::sim {

using http::Method;
using http::PathParams;
using http::Request;
using http::Response;
using runtime::Task;
using ssz::Json;

const char* to_string(SimDuty d) {
  switch (d) {
    case SimDuty::kAttestation:
      return "attestation";
    case SimDuty::kProposal:
      return "proposal";
    case SimDuty::kBlindedProposal:
      return "blinded_proposal";
    case SimDuty::kAggregate:
      return "aggregate";
    case SimDuty::kSyncMessage:
      return "sync_message";
    case SimDuty::kSyncContribution:
      return "sync_contribution";
    case SimDuty::kBuilderRegistration:
      return "builder_registration";
    case SimDuty::kVoluntaryExit:
      return "voluntary_exit";
    case SimDuty::kPrepareProposer:
      return "prepare_proposer";
  }
  return "unknown";
}

const char* to_string(Reject r) {
  switch (r) {
    case Reject::kWrongFormat:
      return "wrong container format for the fork";
    case Reject::kUnknownValidator:
      return "unknown validator";
    case Reject::kNoDuty:
      return "no such duty for this validator at this slot and committee";
    case Reject::kBadAggregationBits:
      return "aggregation bits do not fit the committee";
    case Reject::kWrongData:
      return "data differs from the served data";
    case Reject::kBadSignature:
      return "invalid signature";
    case Reject::kWrongProposer:
      return "proposer is not the scheduled one";
    case Reject::kBadRandao:
      return "invalid randao_reveal";
    case Reject::kEquivocation:
      return "a different block for this slot was already published";
    case Reject::kBadSelectionProof:
      return "invalid selection proof";
    case Reject::kNotAggregator:
      return "selection proof does not select an aggregator";
    case Reject::kBadAggregateSignature:
      return "aggregate signature does not verify against the members";
    case Reject::kMalformed:
      return "malformed submission";
  }
  return "unknown";
}

const char* reason_key(Reject r) {
  switch (r) {
    case Reject::kWrongFormat:
      return "wrong_format";
    case Reject::kUnknownValidator:
      return "unknown_validator";
    case Reject::kNoDuty:
      return "no_duty";
    case Reject::kBadAggregationBits:
      return "bad_aggregation_bits";
    case Reject::kWrongData:
      return "wrong_data";
    case Reject::kBadSignature:
      return "bad_signature";
    case Reject::kWrongProposer:
      return "wrong_proposer";
    case Reject::kBadRandao:
      return "bad_randao";
    case Reject::kEquivocation:
      return "equivocation";
    case Reject::kBadSelectionProof:
      return "bad_selection_proof";
    case Reject::kNotAggregator:
      return "not_aggregator";
    case Reject::kBadAggregateSignature:
      return "bad_aggregate_signature";
    case Reject::kMalformed:
      return "malformed";
  }
  return "unknown";
}

namespace {

std::string dec(std::uint64_t v) {
  return ssz::u64_to_dec(v);
}

/// Upper bound on attestations in one pool submission (one per validator of a slot's committees).
constexpr std::size_t kMaxPoolItems =
    eth::preset::kMaxValidatorsPerCommittee * eth::preset::kMaxCommitteesPerSlot;
/// TARGET_AGGREGATORS_PER_COMMITTEE (phase0/validator.md).
constexpr std::uint64_t kTargetAggregatorsPerCommittee = 16;
/// TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE (altair/validator.md).
constexpr std::uint64_t kTargetAggregatorsPerSyncSubcommittee = 16;
/// SYNC_COMMITTEE_SIZE / SYNC_COMMITTEE_SUBNET_COUNT.
constexpr std::size_t kSyncSubcommitteeSize = eth::preset::kSyncCommitteeSize / eth::preset::kSyncCommitteeSubnetCount;
/// Slots of history the pools and the equivocation record keep.
constexpr std::uint64_t kKeepSlots = 64;

/// A Beacon API error body whose message may quote request bytes: anything outside printable ASCII becomes
/// '?', so the JSON text is always valid UTF-8 (nlohmann::json::dump throws otherwise).
std::string printable(std::string_view text) {
  std::string out(text);
  for (auto& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e) c = '?';
  }
  return out;
}

Response error_response(unsigned status, std::string_view message) {
  return Response::error(status, printable(message));
}

Json data_body(Json data) {
  Json j = Json::object();
  j["data"] = std::move(data);
  return j;
}

std::uint64_t u64_of(const Root& r) {
  return get_le64(r.data());
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

/// bytes_to_uint64(hash(signature)[0:8]) % modulo == 0 (phase0 is_aggregator, altair
/// is_sync_committee_aggregator).
bool selects_aggregator(const eth::BLSSignature& proof, std::uint64_t modulo) {
  auto h = crypto::hash::sha256(proof);
  return get_le64(h.data()) % std::max<std::uint64_t>(1, modulo) == 0;
}

bool verify_sig(const crypto::bls::PublicKey& key, const Root& signing_root, const eth::BLSSignature& sig) {
  auto s = crypto::bls::Signature::from_bytes(sig);
  return s && crypto::bls::verify(key, signing_root, *s);
}

/// Calls fn(std::integral_constant<std::size_t, I>) for I = the fork's index.
template <class Fn>
void with_fork_index(eth::Fork fork, Fn&& fn) {
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    ((static_cast<std::size_t>(fork) == I ? (fn(std::integral_constant<std::size_t, I>{}), 0) : 0), ...);
  }(std::make_index_sequence<eth::kForkCount>{});
}

/// The family V holding `value` as fork `fork`'s alternative. Precondition: that alternative is T.
template <class V, class T>
V versioned_at(eth::Fork fork, T value) {
  std::optional<V> out;
  with_fork_index(fork, [&](auto ic) {
    constexpr std::size_t kI = decltype(ic)::value;
    if constexpr (std::is_same_v<std::variant_alternative_t<kI, typename V::Variant>, T>) {
      out.emplace(V{typename V::Variant(std::in_place_index<kI>, std::move(value))});
    }
  });
  PHX_ASSERT(out.has_value());
  return std::move(*out);
}

/// Everything a produced block's contents derive from.
struct BlockSeed {
  Slot slot{};
  ValidatorIndex proposer{};
  Root parent_root{};
  Root state_root{};
  eth::BLSSignature randao_reveal{};
  Root graffiti{};
  eth::phase0::Eth1Data eth1{};
  Root el_parent_hash{};
  Root el_block_hash{};
  Root el_state_root{};
  Root el_receipts_root{};
  Root prev_randao{};
  eth::ExecutionAddress fee_recipient{};
  std::uint64_t timestamp = 0;
};

template <class Payload>
void fill_payload(Payload& p, const BlockSeed& s) {
  p.parent_hash = s.el_parent_hash;
  p.fee_recipient = s.fee_recipient;
  p.state_root = s.el_state_root;
  p.receipts_root = s.el_receipts_root;
  p.prev_randao = s.prev_randao;
  p.block_number = s.slot.value;
  p.gas_limit = 30'000'000;
  p.gas_used = 0;
  p.timestamp = s.timestamp;
  p.base_fee_per_gas = ssz::Uint256::from_u64(7);
  p.block_hash = s.el_block_hash;
}

/// The execution payload type whose header is H.
template <class H>
struct PayloadOf;
template <>
struct PayloadOf<eth::bellatrix::ExecutionPayloadHeader> {
  using type = eth::bellatrix::ExecutionPayload;
};
template <>
struct PayloadOf<eth::capella::ExecutionPayloadHeader> {
  using type = eth::capella::ExecutionPayload;
};
template <>
struct PayloadOf<eth::deneb::ExecutionPayloadHeader> {
  using type = eth::deneb::ExecutionPayload;
};

/// execution_payload_header of a payload (same hash_tree_root as the payload).
template <class H, class P>
H header_of(const P& p) {
  H h;
  h.parent_hash = p.parent_hash;
  h.fee_recipient = p.fee_recipient;
  h.state_root = p.state_root;
  h.receipts_root = p.receipts_root;
  h.logs_bloom = p.logs_bloom;
  h.prev_randao = p.prev_randao;
  h.block_number = p.block_number;
  h.gas_limit = p.gas_limit;
  h.gas_used = p.gas_used;
  h.timestamp = p.timestamp;
  h.extra_data = p.extra_data;
  h.base_fee_per_gas = p.base_fee_per_gas;
  h.block_hash = p.block_hash;
  h.transactions_root = ssz::hash_tree_root(p.transactions);
  if constexpr (requires { p.withdrawals; }) h.withdrawals_root = ssz::hash_tree_root(p.withdrawals);
  if constexpr (requires { p.blob_gas_used; }) {
    h.blob_gas_used = p.blob_gas_used;
    h.excess_blob_gas = p.excess_blob_gas;
  }
  return h;
}

template <class Block>
void fill_block(Block& b, const BlockSeed& s) {
  b.slot = s.slot;
  b.proposer_index = s.proposer;
  b.parent_root = s.parent_root;
  b.state_root = s.state_root;
  auto& body = b.body;
  body.randao_reveal = s.randao_reveal;
  body.eth1_data = s.eth1;
  body.graffiti = s.graffiti;
  if constexpr (requires { body.sync_aggregate; }) {
    body.sync_aggregate.sync_committee_signature[0] = 0xc0;  // G2 point at infinity: no participants
  }
  if constexpr (requires { body.execution_payload; }) fill_payload(body.execution_payload, s);
  if constexpr (requires { body.execution_payload_header; }) {
    using H = std::remove_cvref_t<decltype(body.execution_payload_header)>;
    typename PayloadOf<H>::type payload;
    fill_payload(payload, s);
    body.execution_payload_header = header_of<H>(payload);
  }
}

/// The execution block hash a block carries (zero before bellatrix).
template <class Block>
Root el_block_hash_of(const Block& b) {
  if constexpr (requires { b.body.execution_payload; }) {
    return b.body.execution_payload.block_hash;
  } else if constexpr (requires { b.body.execution_payload_header; }) {
    return b.body.execution_payload_header.block_hash;
  } else {
    return Root{};
  }
}

}  // namespace

BeaconSim::BeaconSim(BeaconSimConfig config, const Clock& clock) : config_(std::move(config)), clock_(clock) {
  PHX_ASSERT(config_.chain.valid());
  PHX_ASSERT(config_.committees_per_slot >= 1);
  PHX_ASSERT(config_.epochs_per_sync_committee_period >= 1);
  for (std::size_t i = 0; i < config_.validators.size(); ++i) {
    auto pk = crypto::bls::PublicKey::from_bytes(config_.validators[i].pubkey);
    PHX_ASSERT(pk.has_value());
    keys_.push_back(*pk);
    PHX_ASSERT(by_index_.emplace(config_.validators[i].index, i).second);
    by_pubkey_.emplace(config_.validators[i].pubkey, config_.validators[i].index);
  }
  add_routes();
  add_duty_routes();
}

Root BeaconSim::derive(std::string_view label, std::uint64_t a, std::uint64_t b) const {
  Bytes buf(24);
  put_le64(buf.data(), config_.seed);
  put_le64(buf.data() + 8, a);
  put_le64(buf.data() + 16, b);
  append(buf, as_bytes(label));
  return crypto::hash::sha256(buf);
}

const crypto::bls::PublicKey* BeaconSim::key_of(ValidatorIndex v) const {
  auto it = by_index_.find(v);
  return it == by_index_.end() ? nullptr : &keys_[it->second];
}

Slot BeaconSim::current_slot() const {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
  auto t = static_cast<std::uint64_t>(now < 0 ? 0 : now);
  if (t < config_.chain.genesis_time) return Slot{0};
  return Slot{(t - config_.chain.genesis_time) / config_.chain.seconds_per_slot};
}

const BeaconSim::EpochAssignments& BeaconSim::epoch_assignments(Epoch epoch) const {
  auto it = assignment_cache_.find(epoch);
  if (it != assignment_cache_.end()) return it->second;
  const auto spe = config_.chain.slots_per_epoch;
  EpochAssignments out;
  for (const auto& v : config_.validators) {
    auto r = derive("attester", epoch.value, v.index.value);
    Assignment a;
    a.slot = Slot{epoch.value * spe + u64_of(r) % spe};
    a.committee_index = get_le64(r.data() + 8) % config_.committees_per_slot;
    out.committees[{a.slot.value, a.committee_index}].push_back(v.index);
    out.by_validator.emplace(v.index, a);
  }
  for (auto& [key, members] : out.committees) {
    std::sort(members.begin(), members.end());
    for (std::size_t p = 0; p < members.size(); ++p) {
      auto& a = out.by_validator[members[p]];
      a.committee_length = members.size();
      a.position = p;
    }
  }
  if (assignment_cache_.size() > 16) assignment_cache_.erase(assignment_cache_.begin());
  return assignment_cache_.emplace(epoch, std::move(out)).first->second;
}

std::vector<http::AttesterDuty> BeaconSim::attester_duties(Epoch epoch,
                                                           const std::vector<ValidatorIndex>& indices) const {
  const auto& as = assignments(epoch);
  std::vector<http::AttesterDuty> out;
  for (auto idx : indices) {
    auto it = as.find(idx);
    if (it == as.end()) continue;
    const auto& a = it->second;
    out.push_back(http::AttesterDuty{config_.validators[by_index_.at(idx)].pubkey, idx, a.committee_index,
                                     a.committee_length, config_.committees_per_slot, a.position, a.slot});
  }
  return out;
}

std::vector<http::ProposerDuty> BeaconSim::proposer_duties(Epoch epoch) const {
  std::vector<http::ProposerDuty> out;
  if (config_.validators.empty()) return out;
  const auto spe = config_.chain.slots_per_epoch;
  for (std::uint64_t s = epoch.value * spe; s < (epoch.value + 1) * spe; ++s) {
    const auto& v = config_.validators[u64_of(derive("proposer", s)) % config_.validators.size()];
    out.push_back(http::ProposerDuty{v.pubkey, v.index, Slot{s}});
  }
  return out;
}

eth::phase0::AttestationData BeaconSim::attestation_data(Slot slot, std::uint64_t committee_index) const {
  auto epoch = config_.chain.epoch_at(slot);
  bool electra = config_.chain.fork_at(epoch) >= eth::Fork::kElectra;
  eth::phase0::AttestationData d;
  d.slot = slot;
  d.index = electra ? 0 : committee_index;
  d.beacon_block_root = block_root(slot);
  Epoch source{epoch.value == 0 ? 0 : epoch.value - 1};
  d.source = {source, derive("checkpoint", source.value)};
  d.target = {epoch, derive("checkpoint", epoch.value)};
  return d;
}

Root BeaconSim::dependent_root(Epoch epoch) const {
  return derive("dependent", epoch.value == 0 ? 0 : epoch.value - 1);
}

Root BeaconSim::block_root(Slot slot) const {
  return derive("block", slot.value);
}

std::vector<ValidatorIndex> BeaconSim::sync_committee(Epoch epoch) const {
  if (config_.chain.fork_at(epoch) < eth::Fork::kAltair || config_.validators.empty()) return {};
  const auto period = epoch.value / config_.epochs_per_sync_committee_period;
  if (auto it = sync_committee_cache_.find(period); it != sync_committee_cache_.end()) return it->second;
  std::vector<ValidatorIndex> eligible;
  for (const auto& v : config_.validators) eligible.push_back(v.index);
  const auto limit = config_.sync_committee_validators;
  if (limit != 0 && limit < eligible.size()) {
    // A seeded shuffle (sort by a per-period hash), then the first `limit`.
    std::sort(eligible.begin(), eligible.end(), [&](ValidatorIndex a, ValidatorIndex b) {
      return u64_of(derive("sync_eligible", period, a.value)) < u64_of(derive("sync_eligible", period, b.value));
    });
    eligible.resize(limit);
  }
  std::vector<ValidatorIndex> out(eth::preset::kSyncCommitteeSize);
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = eligible[u64_of(derive("sync", period, i)) % eligible.size()];
  }
  if (sync_committee_cache_.size() > 4) sync_committee_cache_.erase(sync_committee_cache_.begin());
  return sync_committee_cache_.emplace(period, std::move(out)).first->second;
}

std::vector<http::SyncCommitteeDuty> BeaconSim::sync_committee_duties(
    Epoch epoch, const std::vector<ValidatorIndex>& indices) const {
  auto committee = sync_committee(epoch);
  std::vector<http::SyncCommitteeDuty> out;
  for (auto idx : indices) {
    auto it = by_index_.find(idx);
    if (it == by_index_.end()) continue;
    http::SyncCommitteeDuty d;
    d.pubkey = config_.validators[it->second].pubkey;
    d.validator_index = idx;
    for (std::size_t p = 0; p < committee.size(); ++p) {
      if (committee[p] == idx) d.validator_sync_committee_indices.push_back(p);
    }
    if (!d.validator_sync_committee_indices.empty()) out.push_back(std::move(d));
  }
  return out;
}

ExpectedDuties BeaconSim::expected_duties(Slot from, Slot to) const {
  ExpectedDuties e;
  if (config_.validators.empty() || to.value <= from.value) return e;
  const auto& chain = config_.chain;
  for (std::uint64_t ep = chain.epoch_at(from).value; ep <= chain.epoch_at(Slot{to.value - 1}).value; ++ep) {
    const auto& ea = epoch_assignments(Epoch{ep});
    for (const auto& [key, members] : ea.committees) {
      if (key.first < from.value || key.first >= to.value) continue;
      e.attestations += members.size();
      ++e.aggregation_committees;
      if (members.size() / kTargetAggregatorsPerCommittee <= 1) e.aggregations_min += members.size();
    }
  }
  e.aggregations_max = e.attestations;
  std::vector<ValidatorIndex> committee;
  std::uint64_t members = 0;
  std::uint64_t pairs = 0;
  std::optional<std::uint64_t> cached_epoch;
  for (std::uint64_t s = from.value; s < to.value; ++s) {
    if (s > 0) ++e.proposals;
    auto ep = chain.epoch_at(Slot{s}).value;
    if (!cached_epoch || *cached_epoch != ep) {
      cached_epoch = ep;
      committee = sync_committee(Epoch{ep});
      std::set<ValidatorIndex> distinct(committee.begin(), committee.end());
      std::set<std::pair<ValidatorIndex, std::size_t>> by_sub;
      for (std::size_t p = 0; p < committee.size(); ++p) by_sub.emplace(committee[p], p / kSyncSubcommitteeSize);
      members = distinct.size();
      pairs = by_sub.size();
    }
    e.sync_messages += members;
    e.contributions_max += pairs;
  }
  return e;
}

std::map<SimDuty, SubmissionStats> BeaconSim::stats() const {
  std::map<SimDuty, SubmissionStats> out;
  for (std::size_t i = 0; i < kSimDutyCount; ++i) out.emplace(static_cast<SimDuty>(i), stats_[i]);
  return out;
}

Json BeaconSim::stats_json() const {
  Json j = Json::object();
  for (std::size_t i = 0; i < kSimDutyCount; ++i) {
    const auto& st = stats_[i];
    Json k = Json::object();
    k["accepted"] = st.accepted;
    k["rejected"] = st.rejected;
    Json reasons = Json::object();
    for (const auto& [r, n] : st.by_reason) reasons[reason_key(r)] = n;
    k["by_reason"] = std::move(reasons);
    j[to_string(static_cast<SimDuty>(i))] = std::move(k);
  }
  return j;
}

Result<void, Reject> BeaconSim::count(SimDuty kind, Result<void, Reject> r) {
  auto& st = stats_[static_cast<std::size_t>(kind)];
  if (r) {
    ++st.accepted;
  } else {
    ++st.rejected;
    ++st.by_reason[r.error()];
  }
  return r;
}

void BeaconSim::count_malformed(SimDuty kind) {
  count(kind, std::unexpected(Reject::kMalformed));
}

// ---- attestations ----

void BeaconSim::pool_attestation(const eth::phase0::AttestationData& data, std::uint64_t committee_index,
                                 std::uint64_t committee_length, std::uint64_t position,
                                 const crypto::bls::Signature& sig) {
  while (!attestation_pool_.empty() && std::get<0>(attestation_pool_.begin()->first) + kKeepSlots < data.slot.value) {
    attestation_pool_.erase(attestation_pool_.begin());
  }
  auto& e = attestation_pool_[{data.slot.value, committee_index, ssz::hash_tree_root(data)}];
  e.data = data;
  e.committee_length = committee_length;
  e.by_position.insert_or_assign(position, sig);
}

Result<BeaconSim::PendingAttestation, Reject> BeaconSim::precheck(ValidatorIndex v,
                                                                  const eth::phase0::AttestationData& data,
                                                                  const eth::BLSSignature& sig,
                                                                  std::uint64_t committee_index) const {
  if (key_of(v) == nullptr) return std::unexpected(Reject::kUnknownValidator);
  const auto& as = assignments(config_.chain.epoch_at(data.slot));
  auto a = as.find(v);
  if (a == as.end() || a->second.slot != data.slot || a->second.committee_index != committee_index) {
    return std::unexpected(Reject::kNoDuty);
  }
  if (!(data == attestation_data(data.slot, committee_index))) return std::unexpected(Reject::kWrongData);
  auto s = crypto::bls::Signature::from_bytes(sig);
  if (!s) return std::unexpected(Reject::kBadSignature);
  return PendingAttestation{v, data, committee_index, a->second.committee_length, a->second.position, *s};
}

Result<BeaconSim::PendingAttestation, Reject> BeaconSim::precheck(const eth::phase0::Attestation& att) const {
  if (config_.chain.fork_at(config_.chain.epoch_at(att.data.slot)) >= eth::Fork::kElectra) {
    return std::unexpected(Reject::kWrongFormat);
  }
  std::optional<std::size_t> bit;
  std::size_t set = 0;
  for (std::size_t i = 0; i < att.aggregation_bits.size(); ++i) {
    if (att.aggregation_bits.get(i)) {
      ++set;
      bit = i;
    }
  }
  if (set != 1) return std::unexpected(Reject::kBadAggregationBits);
  const auto& ea = epoch_assignments(config_.chain.epoch_at(att.data.slot));
  auto c = ea.committees.find({att.data.slot.value, att.data.index});
  if (c == ea.committees.end() || *bit >= c->second.size()) return std::unexpected(Reject::kNoDuty);
  if (c->second.size() != att.aggregation_bits.size()) return std::unexpected(Reject::kBadAggregationBits);
  return precheck(c->second[*bit], att.data, att.signature, att.data.index);
}

Result<BeaconSim::PendingAttestation, Reject> BeaconSim::precheck(
    const eth::electra::SingleAttestation& att) const {
  if (config_.chain.fork_at(config_.chain.epoch_at(att.data.slot)) < eth::Fork::kElectra ||
      att.data.index != 0) {
    return std::unexpected(Reject::kWrongFormat);
  }
  return precheck(att.attester_index, att.data, att.signature, att.committee_index);
}

std::vector<Result<void, Reject>> BeaconSim::verify_attestations(
    std::vector<Result<PendingAttestation, Reject>> pending) {
  std::vector<Result<void, Reject>> out(pending.size());
  // Attestations over the same AttestationData share a signing root: one same-message check per group.
  std::map<Root, std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < pending.size(); ++i) {
    if (!pending[i]) {
      out[i] = std::unexpected(pending[i].error());
      continue;
    }
    const auto& p = *pending[i];
    const Root data_root = ssz::hash_tree_root(p.data);
    // Already pooled with this very signature (another node of the cluster submitted it): accepted without
    // verifying again, as a beacon node's seen-cache does.
    if (auto it = attestation_pool_.find({p.data.slot.value, p.committee_index, data_root});
        it != attestation_pool_.end()) {
      if (auto s = it->second.by_position.find(p.position); s != it->second.by_position.end() && s->second == p.sig) {
        continue;
      }
    }
    groups[data_root].push_back(i);
  }
  for (const auto& [data_root, items] : groups) {
    const auto& data = pending[items.front()]->data;
    const Root signing_root = eth::attestation_signing_root(config_.chain, data);
    std::vector<crypto::bls::PublicKey> pks;
    std::vector<crypto::bls::Signature> sigs;
    for (auto i : items) {
      pks.push_back(*key_of(pending[i]->validator));
      sigs.push_back(pending[i]->sig);
    }
    for (auto bad : crypto::threshold::find_invalid_partials(pks, signing_root, sigs)) {
      out[items[bad]] = std::unexpected(Reject::kBadSignature);
    }
    for (auto i : items) {
      if (!out[i]) continue;
      const auto& p = *pending[i];
      pool_attestation(p.data, p.committee_index, p.committee_length, p.position, p.sig);
    }
  }
  for (const auto& r : out) count(r);
  return out;
}

Result<void, Reject> BeaconSim::submit(const eth::phase0::Attestation& att) {
  return submit_attestations(std::span<const eth::phase0::Attestation>(&att, 1)).front();
}

Result<void, Reject> BeaconSim::submit(const eth::electra::SingleAttestation& att) {
  return submit_attestations(std::span<const eth::electra::SingleAttestation>(&att, 1)).front();
}

std::vector<Result<void, Reject>> BeaconSim::submit_attestations(std::span<const eth::phase0::Attestation> atts) {
  std::vector<Result<PendingAttestation, Reject>> pending;
  pending.reserve(atts.size());
  for (const auto& a : atts) pending.push_back(precheck(a));
  return verify_attestations(std::move(pending));
}

std::vector<Result<void, Reject>> BeaconSim::submit_attestations(
    std::span<const eth::electra::SingleAttestation> atts) {
  std::vector<Result<PendingAttestation, Reject>> pending;
  pending.reserve(atts.size());
  for (const auto& a : atts) pending.push_back(precheck(a));
  return verify_attestations(std::move(pending));
}

std::optional<beaconapi::VersionedAttestation> BeaconSim::aggregate_attestation(
    Slot slot, const Root& data_root, std::uint64_t committee_index) const {
  auto it = attestation_pool_.find({slot.value, committee_index, data_root});
  if (it == attestation_pool_.end() || it->second.by_position.empty()) return std::nullopt;
  const auto& e = it->second;
  std::vector<crypto::bls::Signature> sigs;
  for (const auto& [pos, sig] : e.by_position) sigs.push_back(sig);
  auto agg = crypto::bls::aggregate(sigs);
  if (!agg) return std::nullopt;
  auto fork = config_.chain.fork_at(config_.chain.epoch_at(slot));
  if (fork >= eth::Fork::kElectra) {
    eth::electra::Attestation a;
    a.aggregation_bits = decltype(a.aggregation_bits)(e.committee_length);
    for (const auto& [pos, sig] : e.by_position) a.aggregation_bits.set(pos, true);
    a.data = e.data;
    a.signature = agg->to_bytes();
    a.committee_bits.set(committee_index, true);
    return versioned_at<beaconapi::VersionedAttestation>(fork, std::move(a));
  }
  eth::phase0::Attestation a;
  a.aggregation_bits = decltype(a.aggregation_bits)(e.committee_length);
  for (const auto& [pos, sig] : e.by_position) a.aggregation_bits.set(pos, true);
  a.data = e.data;
  a.signature = agg->to_bytes();
  return versioned_at<beaconapi::VersionedAttestation>(fork, std::move(a));
}

// ---- aggregates ----

template <class AggregateAndProofT>
Result<void, Reject> BeaconSim::check_aggregate(eth::Fork fork, const eth::Signed<AggregateAndProofT>& item) {
  const auto& msg = item.message;
  const auto& agg = msg.aggregate;
  const auto& data = agg.data;
  const auto epoch = config_.chain.epoch_at(data.slot);
  if (config_.chain.fork_at(epoch) != fork) return std::unexpected(Reject::kWrongFormat);
  const auto* key = key_of(msg.aggregator_index);
  if (key == nullptr) return std::unexpected(Reject::kUnknownValidator);
  std::uint64_t committee_index = data.index;
  if constexpr (requires { agg.committee_bits; }) {
    if (data.index != 0) return std::unexpected(Reject::kWrongFormat);
    std::size_t set = 0;
    for (std::size_t i = 0; i < agg.committee_bits.size(); ++i) {
      if (agg.committee_bits.get(i)) {
        ++set;
        committee_index = i;
      }
    }
    if (set != 1) return std::unexpected(Reject::kBadAggregationBits);
  }
  const auto& ea = epoch_assignments(epoch);
  auto a = ea.by_validator.find(msg.aggregator_index);
  if (a == ea.by_validator.end() || a->second.slot != data.slot || a->second.committee_index != committee_index) {
    return std::unexpected(Reject::kNoDuty);
  }
  if (!(data == attestation_data(data.slot, committee_index))) return std::unexpected(Reject::kWrongData);
  if (!verify_sig(*key, eth::selection_proof_signing_root(config_.chain, data.slot), msg.selection_proof)) {
    return std::unexpected(Reject::kBadSelectionProof);
  }
  const auto& members = ea.committees.at({data.slot.value, committee_index});
  if (!selects_aggregator(msg.selection_proof, members.size() / kTargetAggregatorsPerCommittee)) {
    return std::unexpected(Reject::kNotAggregator);
  }
  if (agg.aggregation_bits.size() != members.size()) return std::unexpected(Reject::kBadAggregationBits);
  std::vector<crypto::bls::PublicKey> pks;
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (agg.aggregation_bits.get(i)) pks.push_back(*key_of(members[i]));
  }
  if (pks.empty()) return std::unexpected(Reject::kBadAggregationBits);
  auto inner = crypto::bls::Signature::from_bytes(agg.signature);
  if (!inner ||
      !crypto::bls::fast_aggregate_verify(pks, eth::attestation_signing_root(config_.chain, data), *inner)) {
    return std::unexpected(Reject::kBadAggregateSignature);
  }
  if (!verify_sig(*key, eth::aggregate_and_proof_signing_root(config_.chain, msg), item.signature)) {
    return std::unexpected(Reject::kBadSignature);
  }
  return {};
}

bool BeaconSim::seen_before(Slot slot, const Root& item_root) const {
  auto it = seen_items_.find(slot.value);
  return it != seen_items_.end() && it->second.contains(item_root);
}

void BeaconSim::remember(Slot slot, const Root& item_root) {
  while (!seen_items_.empty() && seen_items_.begin()->first + kKeepSlots < slot.value) {
    seen_items_.erase(seen_items_.begin());
  }
  seen_items_[slot.value].insert(item_root);
}

Result<void, Reject> BeaconSim::submit_aggregate(const beaconapi::VersionedSignedAggregateAndProof& item) {
  const Slot slot = std::visit([](const auto& x) { return x.message.aggregate.data.slot; }, item.value);
  const Root item_root = std::visit([](const auto& x) { return ssz::hash_tree_root(x); }, item.value);
  // The same signed aggregate accepted before (each node of a cluster submits it): accepted as known.
  if (seen_before(slot, item_root)) return count(SimDuty::kAggregate, Result<void, Reject>{});
  auto r = std::visit(
      [&](const auto& x) -> Result<void, Reject> { return check_aggregate(item.fork(), x); }, item.value);
  if (r) remember(slot, item_root);
  return count(SimDuty::kAggregate, r);
}

// ---- blocks ----

Result<beaconapi::ProduceBlockV3Response, std::string> BeaconSim::produce_block(
    Slot slot, const eth::BLSSignature& randao_reveal, const Root& graffiti,
    std::optional<std::uint64_t> builder_boost_factor) const {
  if (config_.validators.empty()) return std::unexpected(std::string("no validators"));
  const auto epoch = config_.chain.epoch_at(slot);
  const auto fork = config_.chain.fork_at(epoch);
  const auto& proposer = config_.validators[u64_of(derive("proposer", slot.value)) % config_.validators.size()];
  const auto* key = key_of(proposer.index);
  if (!verify_sig(*key, eth::randao_signing_root(config_.chain, epoch), randao_reveal)) {
    return std::unexpected(std::string("randao_reveal does not verify for the slot's proposer"));
  }
  BlockSeed s;
  s.slot = slot;
  s.proposer = proposer.index;
  s.parent_root = slot.value == 0 ? Root{} : block_root(Slot{slot.value - 1});
  s.state_root = derive("state", slot.value);
  s.randao_reveal = randao_reveal;
  s.graffiti = graffiti;
  s.eth1 = {derive("deposit_root", 0), config_.validators.size(), derive("eth1_block", epoch.value)};
  s.el_parent_hash = derive("el_block", slot.value == 0 ? 0 : slot.value - 1);
  s.el_block_hash = derive("el_block", slot.value);
  s.el_state_root = derive("el_state", slot.value);
  s.el_receipts_root = derive("el_receipts", slot.value);
  s.prev_randao = derive("prev_randao", slot.value);
  if (auto it = fee_recipients_.find(proposer.index); it != fee_recipients_.end()) s.fee_recipient = it->second;
  s.timestamp = config_.chain.genesis_time + slot.value * config_.chain.seconds_per_slot;

  const bool blinded = config_.builder_blocks && fork >= eth::Fork::kBellatrix &&
                       builder_boost_factor.value_or(100) != 0;
  beaconapi::ProduceBlockV3Response out;
  with_fork_index(fork, [&](auto ic) {
    constexpr std::size_t kI = decltype(ic)::value;
    using Blinded = std::variant_alternative_t<kI, beaconapi::VersionedBlindedBeaconBlock::Variant>;
    using Full = std::variant_alternative_t<kI, beaconapi::VersionedProducedBlock::Variant>;
    if constexpr (!std::is_same_v<Blinded, std::monostate>) {
      if (blinded) {
        Blinded b;
        fill_block(b, s);
        out.block.template emplace<1>(beaconapi::VersionedBlindedBeaconBlock{
            typename beaconapi::VersionedBlindedBeaconBlock::Variant(std::in_place_index<kI>, std::move(b))});
        return;
      }
    }
    Full f;
    if constexpr (requires { f.block; }) {
      fill_block(f.block, s);
    } else {
      fill_block(f, s);
    }
    out.block.template emplace<0>(beaconapi::VersionedProducedBlock{
        typename beaconapi::VersionedProducedBlock::Variant(std::in_place_index<kI>, std::move(f))});
  });
  out.execution_payload_value = ssz::Uint256::from_u64(fork >= eth::Fork::kBellatrix ? 1'000'000'000 : 0);
  out.consensus_block_value = ssz::Uint256::from_u64(1'000'000);
  return out;
}

template <class SignedBlock>
Result<void, Reject> BeaconSim::check_block(eth::Fork fork, const SignedBlock& signed_block) {
  const auto& b = signed_block.message;
  const auto epoch = config_.chain.epoch_at(b.slot);
  if (config_.chain.fork_at(epoch) != fork) return std::unexpected(Reject::kWrongFormat);
  const auto* key = key_of(b.proposer_index);
  if (key == nullptr) return std::unexpected(Reject::kUnknownValidator);
  const auto& scheduled = config_.validators[u64_of(derive("proposer", b.slot.value)) % config_.validators.size()];
  if (scheduled.index != b.proposer_index) return std::unexpected(Reject::kWrongProposer);
  Root parent = b.slot.value == 0 ? Root{} : block_root(Slot{b.slot.value - 1});
  if (b.parent_root != parent) return std::unexpected(Reject::kWrongData);
  if (fork >= eth::Fork::kBellatrix && el_block_hash_of(b) != derive("el_block", b.slot.value)) {
    return std::unexpected(Reject::kWrongData);
  }
  if (!verify_sig(*key, eth::randao_signing_root(config_.chain, epoch), b.body.randao_reveal)) {
    return std::unexpected(Reject::kBadRandao);
  }
  const Root root = ssz::hash_tree_root(b);
  const auto domain = eth::get_domain(config_.chain, eth::domain::kBeaconProposer, epoch);
  if (!verify_sig(*key, eth::compute_signing_root(root, domain), signed_block.signature)) {
    return std::unexpected(Reject::kBadSignature);
  }
  auto [it, inserted] = published_blocks_.emplace(b.slot.value, root);
  if (!inserted && it->second != root) return std::unexpected(Reject::kEquivocation);
  while (published_blocks_.begin()->first + kKeepSlots < b.slot.value) {
    published_blocks_.erase(published_blocks_.begin());
  }
  return {};
}

Result<void, Reject> BeaconSim::submit_block(const beaconapi::VersionedSignedProducedBlock& block) {
  auto r = std::visit(
      [&](const auto& x) -> Result<void, Reject> {
        if constexpr (requires { x.signed_block; }) {
          if (x.blobs.size() != x.signed_block.message.body.blob_kzg_commitments.size()) {
            return std::unexpected(Reject::kWrongData);
          }
          return check_block(block.fork(), x.signed_block);
        } else {
          return check_block(block.fork(), x);
        }
      },
      block.value);
  return count(SimDuty::kProposal, r);
}

Result<void, Reject> BeaconSim::submit_blinded_block(const beaconapi::VersionedSignedBlindedBeaconBlock& block) {
  auto r = std::visit(
      [&](const auto& x) -> Result<void, Reject> {
        if constexpr (std::is_same_v<std::remove_cvref_t<decltype(x)>, std::monostate>) {
          return std::unexpected(Reject::kWrongFormat);
        } else {
          return check_block(block.fork(), x);
        }
      },
      block.value);
  return count(SimDuty::kBlindedProposal, r);
}

// ---- sync committee ----

bool BeaconSim::known_block_root(Slot slot, const Root& root) const {
  const std::uint64_t lowest = slot.value > kKeepSlots ? slot.value - kKeepSlots : 0;
  for (std::uint64_t s = slot.value + 1; s-- > lowest;) {
    if (block_root(Slot{s}) == root) return true;
  }
  return false;
}

Result<void, Reject> BeaconSim::submit_sync_message(const eth::altair::SyncCommitteeMessage& msg) {
  return submit_sync_messages(std::span<const eth::altair::SyncCommitteeMessage>(&msg, 1)).front();
}

std::vector<Result<void, Reject>> BeaconSim::submit_sync_messages(
    std::span<const eth::altair::SyncCommitteeMessage> msgs) {
  std::vector<Result<void, Reject>> out(msgs.size());
  std::vector<std::optional<crypto::bls::Signature>> sigs(msgs.size());
  // (slot, root) → items that passed the non-cryptographic checks: they share one signing root.
  std::map<std::pair<std::uint64_t, Root>, std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    const auto& msg = msgs[i];
    out[i] = [&]() -> Result<void, Reject> {
      const auto epoch = config_.chain.epoch_at(msg.slot);
      if (config_.chain.fork_at(epoch) < eth::Fork::kAltair) return std::unexpected(Reject::kWrongFormat);
      if (key_of(msg.validator_index) == nullptr) return std::unexpected(Reject::kUnknownValidator);
      auto committee = sync_committee(epoch);
      if (std::find(committee.begin(), committee.end(), msg.validator_index) == committee.end()) {
        return std::unexpected(Reject::kNoDuty);
      }
      if (!known_block_root(msg.slot, msg.beacon_block_root)) return std::unexpected(Reject::kWrongData);
      auto sig = crypto::bls::Signature::from_bytes(msg.signature);
      if (!sig) return std::unexpected(Reject::kBadSignature);
      sigs[i] = *sig;
      return {};
    }();
    if (!out[i]) continue;
    // Already pooled with this very signature: accepted without verifying again (seen-cache).
    if (auto it = sync_pool_.find({msg.slot.value, msg.beacon_block_root}); it != sync_pool_.end()) {
      if (auto s = it->second.find(msg.validator_index); s != it->second.end() && s->second == *sigs[i]) continue;
    }
    groups[{msg.slot.value, msg.beacon_block_root}].push_back(i);
  }
  for (const auto& [key, items] : groups) {
    const Root signing_root = eth::sync_committee_message_signing_root(config_.chain, Slot{key.first}, key.second);
    std::vector<crypto::bls::PublicKey> pks;
    std::vector<crypto::bls::Signature> group_sigs;
    for (auto i : items) {
      pks.push_back(*key_of(msgs[i].validator_index));
      group_sigs.push_back(*sigs[i]);
    }
    // One randomised same-message check when all are valid; bisection finds the bad ones otherwise.
    for (auto bad : crypto::threshold::find_invalid_partials(pks, signing_root, group_sigs)) {
      out[items[bad]] = std::unexpected(Reject::kBadSignature);
    }
    while (!sync_pool_.empty() && sync_pool_.begin()->first.first + kKeepSlots < key.first) {
      sync_pool_.erase(sync_pool_.begin());
    }
    for (auto i : items) {
      if (out[i]) sync_pool_[key].insert_or_assign(msgs[i].validator_index, *sigs[i]);
    }
  }
  for (const auto& r : out) count(SimDuty::kSyncMessage, r);
  return out;
}

std::optional<eth::altair::SyncCommitteeContribution> BeaconSim::sync_committee_contribution(
    Slot slot, std::uint64_t subcommittee_index, const Root& beacon_block_root) const {
  if (subcommittee_index >= eth::preset::kSyncCommitteeSubnetCount) return std::nullopt;
  auto it = sync_pool_.find({slot.value, beacon_block_root});
  if (it == sync_pool_.end()) return std::nullopt;
  auto committee = sync_committee(config_.chain.epoch_at(slot));
  eth::altair::SyncCommitteeContribution c;
  c.slot = slot;
  c.beacon_block_root = beacon_block_root;
  c.subcommittee_index = subcommittee_index;
  std::vector<crypto::bls::Signature> sigs;
  for (std::size_t i = 0; i < kSyncSubcommitteeSize; ++i) {
    auto s = it->second.find(committee[subcommittee_index * kSyncSubcommitteeSize + i]);
    if (s == it->second.end()) continue;
    c.aggregation_bits.set(i, true);
    sigs.push_back(s->second);
  }
  if (sigs.empty()) return std::nullopt;
  auto agg = crypto::bls::aggregate(sigs);
  if (!agg) return std::nullopt;
  c.signature = agg->to_bytes();
  return c;
}

Result<void, Reject> BeaconSim::submit_contribution(const eth::altair::SignedContributionAndProof& item) {
  const Slot slot = item.message.contribution.slot;
  const Root item_root = ssz::hash_tree_root(item);
  if (seen_before(slot, item_root)) return count(SimDuty::kSyncContribution, Result<void, Reject>{});
  auto r = [&]() -> Result<void, Reject> {
    const auto& msg = item.message;
    const auto& c = msg.contribution;
    const auto epoch = config_.chain.epoch_at(c.slot);
    if (config_.chain.fork_at(epoch) < eth::Fork::kAltair) return std::unexpected(Reject::kWrongFormat);
    const auto* key = key_of(msg.aggregator_index);
    if (key == nullptr) return std::unexpected(Reject::kUnknownValidator);
    if (c.subcommittee_index >= eth::preset::kSyncCommitteeSubnetCount) return std::unexpected(Reject::kWrongData);
    auto committee = sync_committee(epoch);
    const auto first = c.subcommittee_index * kSyncSubcommitteeSize;
    bool member = false;
    for (std::size_t i = 0; i < kSyncSubcommitteeSize; ++i) member = member || committee[first + i] == msg.aggregator_index;
    if (!member) return std::unexpected(Reject::kNoDuty);
    if (!known_block_root(c.slot, c.beacon_block_root)) return std::unexpected(Reject::kWrongData);
    const eth::altair::SyncAggregatorSelectionData sel{c.slot, c.subcommittee_index};
    if (!verify_sig(*key, eth::sync_selection_proof_signing_root(config_.chain, sel), msg.selection_proof)) {
      return std::unexpected(Reject::kBadSelectionProof);
    }
    constexpr std::uint64_t kModulo = kSyncSubcommitteeSize / kTargetAggregatorsPerSyncSubcommittee;
    if (!selects_aggregator(msg.selection_proof, kModulo)) return std::unexpected(Reject::kNotAggregator);
    std::vector<crypto::bls::PublicKey> pks;
    for (std::size_t i = 0; i < kSyncSubcommitteeSize; ++i) {
      if (c.aggregation_bits.get(i)) pks.push_back(*key_of(committee[first + i]));
    }
    if (pks.empty()) return std::unexpected(Reject::kBadAggregationBits);
    auto sig = crypto::bls::Signature::from_bytes(c.signature);
    if (!sig || !crypto::bls::fast_aggregate_verify(
                    pks, eth::sync_committee_message_signing_root(config_.chain, c.slot, c.beacon_block_root),
                    *sig)) {
      return std::unexpected(Reject::kBadAggregateSignature);
    }
    if (!verify_sig(*key, eth::contribution_and_proof_signing_root(config_.chain, msg), item.signature)) {
      return std::unexpected(Reject::kBadSignature);
    }
    return {};
  }();
  if (r) remember(slot, item_root);
  return count(SimDuty::kSyncContribution, r);
}

// ---- registrations, exits, preparations ----

Result<void, Reject> BeaconSim::submit_registration(const eth::phase0::SignedValidatorRegistrationV1& reg) {
  auto r = [&]() -> Result<void, Reject> {
    auto it = by_pubkey_.find(reg.message.pubkey);
    if (it == by_pubkey_.end()) return std::unexpected(Reject::kUnknownValidator);
    if (!verify_sig(*key_of(it->second), eth::registration_signing_root(config_.chain, reg.message),
                    reg.signature)) {
      return std::unexpected(Reject::kBadSignature);
    }
    return {};
  }();
  return count(SimDuty::kBuilderRegistration, r);
}

Result<void, Reject> BeaconSim::submit_exit(const eth::phase0::SignedVoluntaryExit& exit) {
  auto r = [&]() -> Result<void, Reject> {
    const auto* key = key_of(exit.message.validator_index);
    if (key == nullptr) return std::unexpected(Reject::kUnknownValidator);
    const auto now = current_epoch();
    if (exit.message.epoch.value > now.value) return std::unexpected(Reject::kWrongData);  // not yet valid
    if (!verify_sig(*key, eth::voluntary_exit_signing_root(config_.chain, exit.message, now), exit.signature)) {
      return std::unexpected(Reject::kBadSignature);
    }
    return {};
  }();
  return count(SimDuty::kVoluntaryExit, r);
}

Result<void, Reject> BeaconSim::submit_preparation(const http::ProposerPreparation& prep) {
  if (key_of(prep.validator_index) == nullptr) {
    return count(SimDuty::kPrepareProposer, std::unexpected(Reject::kUnknownValidator));
  }
  fee_recipients_.insert_or_assign(prep.validator_index, prep.fee_recipient);
  return count(SimDuty::kPrepareProposer, {});
}

// ---- handlers: one small function per endpoint ----

void BeaconSim::add_routes() {
  auto& r = router_;
  r.add(Method::kGet, "/eth/v1/beacon/genesis", [this](const Request&, const PathParams&) -> Task<Response> {
    Json d = Json::object();
    d["genesis_time"] = dec(config_.chain.genesis_time);
    d["genesis_validators_root"] = to_hex(config_.chain.genesis_validators_root);
    d["genesis_fork_version"] = to_hex(config_.chain.genesis_fork_version());
    co_return Response::json(data_body(std::move(d)));
  });

  r.add(Method::kGet, "/eth/v1/config/spec", [this](const Request&, const PathParams&) -> Task<Response> {
    const auto& c = config_.chain;
    Json d = Json::object();
    d["CONFIG_NAME"] = c.name;
    d["PRESET_BASE"] = std::string(eth::preset_name(c.preset));
    d["GENESIS_FORK_VERSION"] = to_hex(c.genesis_fork_version());
    for (std::size_t i = 1; i < eth::kForkCount; ++i) {
      auto up = upper(eth::fork_name(static_cast<eth::Fork>(i)));
      d[up + "_FORK_VERSION"] = to_hex(c.forks[i].version);
      d[up + "_FORK_EPOCH"] = dec(c.forks[i].epoch.value);
    }
    d["SECONDS_PER_SLOT"] = dec(c.seconds_per_slot);
    d["SLOTS_PER_EPOCH"] = dec(c.slots_per_epoch);
    d["DOMAIN_BEACON_PROPOSER"] = to_hex(eth::domain::kBeaconProposer);
    d["DOMAIN_BEACON_ATTESTER"] = to_hex(eth::domain::kBeaconAttester);
    d["DOMAIN_RANDAO"] = to_hex(eth::domain::kRandao);
    d["DOMAIN_DEPOSIT"] = to_hex(eth::domain::kDeposit);
    d["DOMAIN_VOLUNTARY_EXIT"] = to_hex(eth::domain::kVoluntaryExit);
    d["DOMAIN_SELECTION_PROOF"] = to_hex(eth::domain::kSelectionProof);
    d["DOMAIN_AGGREGATE_AND_PROOF"] = to_hex(eth::domain::kAggregateAndProof);
    d["DOMAIN_SYNC_COMMITTEE"] = to_hex(eth::domain::kSyncCommittee);
    d["DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF"] = to_hex(eth::domain::kSyncCommitteeSelectionProof);
    d["DOMAIN_CONTRIBUTION_AND_PROOF"] = to_hex(eth::domain::kContributionAndProof);
    d["DOMAIN_APPLICATION_BUILDER"] = to_hex(eth::domain::kApplicationBuilder);
    d["EPOCHS_PER_SYNC_COMMITTEE_PERIOD"] = dec(config_.epochs_per_sync_committee_period);
    d["SYNC_COMMITTEE_SIZE"] = dec(eth::preset::kSyncCommitteeSize);
    d["SYNC_COMMITTEE_SUBNET_COUNT"] = dec(eth::preset::kSyncCommitteeSubnetCount);
    d["TARGET_AGGREGATORS_PER_COMMITTEE"] = dec(kTargetAggregatorsPerCommittee);
    d["TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE"] = dec(kTargetAggregatorsPerSyncSubcommittee);
    d["MAX_COMMITTEES_PER_SLOT"] = dec(eth::preset::kMaxCommitteesPerSlot);
    d["MAX_VALIDATORS_PER_COMMITTEE"] = dec(eth::preset::kMaxValidatorsPerCommittee);
    co_return Response::json(data_body(std::move(d)));
  });

  r.add(Method::kGet, "/eth/v1/config/fork_schedule",
        [this](const Request&, const PathParams&) -> Task<Response> {
          const auto& c = config_.chain;
          Json a = Json::array();
          for (std::size_t i = 0; i < eth::kForkCount; ++i) {
            if (c.forks[i].epoch == eth::kFarFutureEpoch) continue;
            eth::phase0::Fork f{i == 0 ? c.forks[0].version : c.forks[i - 1].version, c.forks[i].version,
                                c.forks[i].epoch};
            a.push_back(ssz::to_json(f));
          }
          co_return Response::json(data_body(std::move(a)));
        });

  r.add(Method::kGet, "/eth/v1/node/syncing", [this](const Request&, const PathParams&) -> Task<Response> {
    http::SyncStatus s{current_slot(), 0, false, false, false};
    co_return Response::json(data_body(ssz::to_json(s)));
  });

  r.add(Method::kGet, "/eth/v1/node/version", [this](const Request&, const PathParams&) -> Task<Response> {
    Json d = Json::object();
    d["version"] = config_.node_version;
    co_return Response::json(data_body(std::move(d)));
  });

  // Validators by index or pubkey (GET ?id=… or POST {"ids":[…]}).
  auto validators = [this](const Request& req, const PathParams& p) -> Task<Response> {
    const auto& state = p.at("state_id");
    if (state != "head" && state != "genesis" && state != "finalized" && state != "justified" &&
        !http::parse_u64(state)) {
      co_return error_response(400, "invalid state_id \"" + state + "\"");
    }
    std::vector<std::string> ids;
    if (req.method == Method::kPost && !req.body.empty()) {
      auto j = ssz::parse_json(req.body);
      if (!j || !j->is_object()) co_return error_response(400, "body must be a JSON object");
      if (auto it = j->find("ids"); it != j->end()) {
        if (!it->is_array()) co_return error_response(400, "ids: expected an array");
        for (const auto& e : *it) {
          if (!e.is_string()) co_return error_response(400, "ids: expected strings");
          ids.push_back(e.get<std::string>());
        }
      }
    } else {
      ids = req.query_values("id");
    }
    Json a = Json::array();
    for (std::size_t i = 0; i < config_.validators.size(); ++i) {
      const auto& v = config_.validators[i];
      bool wanted = ids.empty();
      for (const auto& id : ids) {
        if (id.starts_with("0x")) {
          auto pk = from_hex_fixed<48>(id);
          if (!pk) co_return error_response(400, "invalid pubkey \"" + id + "\"");
          wanted = wanted || *pk == v.pubkey;
        } else {
          auto n = http::parse_u64(id);
          if (!n) co_return error_response(400, "invalid validator id \"" + id + "\"");
          wanted = wanted || *n == v.index.value;
        }
      }
      if (!wanted) continue;
      http::ValidatorInfo info;
      info.index = v.index;
      info.balance = 32'000'000'000;
      info.status = "active_ongoing";
      info.validator = {v.pubkey, Root{},   32'000'000'000,       false,
                        Epoch{0}, Epoch{0}, eth::kFarFutureEpoch, eth::kFarFutureEpoch};
      info.validator.withdrawal_credentials[0] = 0x01;
      a.push_back(http::validator_info_to_json(info));
    }
    Json body = data_body(std::move(a));
    body["execution_optimistic"] = false;
    body["finalized"] = false;
    co_return Response::json(body);
  };
  r.add(Method::kGet, "/eth/v1/beacon/states/{state_id}/validators", validators);
  r.add(Method::kPost, "/eth/v1/beacon/states/{state_id}/validators", validators);

  r.add(Method::kPost, "/eth/v1/validator/duties/attester/{epoch}",
        [this](const Request& req, const PathParams& p) -> Task<Response> {
          auto epoch = http::parse_u64(p.at("epoch"));
          if (!epoch) co_return error_response(400, "invalid epoch \"" + p.at("epoch") + "\"");
          auto j = ssz::parse_json(req.body);
          if (!j || !j->is_array()) co_return error_response(400, "body must be a JSON array of indices");
          std::vector<ValidatorIndex> indices;
          for (const auto& e : *j) {
            auto n = e.is_string() ? http::parse_u64(e.get<std::string>()) : std::nullopt;
            if (!n) co_return error_response(400, "invalid validator index " + e.dump());
            indices.push_back(ValidatorIndex{*n});
          }
          Json a = Json::array();
          for (const auto& d : attester_duties(Epoch{*epoch}, indices)) a.push_back(ssz::to_json(d));
          Json body = Json::object();
          body["dependent_root"] = to_hex(dependent_root(Epoch{*epoch}));
          body["execution_optimistic"] = false;
          body["data"] = std::move(a);
          co_return Response::json(body);
        });

  r.add(Method::kGet, "/eth/v1/validator/duties/proposer/{epoch}",
        [this](const Request&, const PathParams& p) -> Task<Response> {
          auto epoch = http::parse_u64(p.at("epoch"));
          if (!epoch) co_return error_response(400, "invalid epoch \"" + p.at("epoch") + "\"");
          Json a = Json::array();
          for (const auto& d : proposer_duties(Epoch{*epoch})) a.push_back(ssz::to_json(d));
          Json body = Json::object();
          body["dependent_root"] = to_hex(dependent_root(Epoch{*epoch}));
          body["execution_optimistic"] = false;
          body["data"] = std::move(a);
          co_return Response::json(body);
        });

  r.add(Method::kGet, "/eth/v1/validator/attestation_data",
        [this](const Request& req, const PathParams&) -> Task<Response> {
          auto slot = http::parse_u64(req.query_value("slot").value_or(""));
          auto ci = http::parse_u64(req.query_value("committee_index").value_or(""));
          if (!slot) co_return error_response(400, "slot: expected a decimal query parameter");
          if (!ci) co_return error_response(400, "committee_index: expected a decimal query parameter");
          if (*ci >= config_.committees_per_slot)
            co_return error_response(400, "committee_index out of range");
          auto d = attestation_data(Slot{*slot}, *ci);
          if (req.wants_ssz()) {
            auto b = ssz::serialize(d);
            co_return Response::ssz(std::string(b.begin(), b.end()));
          }
          co_return Response::json(data_body(ssz::to_json(d)));
        });

  // Pool submissions: v1 (phase0 Attestation) and v2 (fork in Eth-Consensus-Version).
  auto pool = [this](const Request& req, bool v2) -> Response {
    std::optional<eth::Fork> fork = eth::Fork::kPhase0;
    if (v2) {
      fork = eth::fork_from_name(req.consensus_version);
      if (!fork) return error_response(400, "missing or unknown Eth-Consensus-Version header");
    }
    Json failures = Json::array();
    auto fail_at = [&failures](std::size_t i, std::string message) {
      Json f = Json::object();
      f["index"] = i;
      f["message"] = printable(message);
      failures.push_back(std::move(f));
    };
    auto verify_all = [&](auto tag) -> std::optional<Response> {
      using T = decltype(tag);
      std::vector<T> items;
      std::vector<std::string> decode_errors;
      if (req.body_is_ssz()) {
        auto list = ssz::deserialize<ssz::List<T, kMaxPoolItems>>(as_bytes(req.body));
        if (!list) return error_response(400, "SSZ body: " + list.error().message());
        items.assign(list->begin(), list->end());
        decode_errors.resize(items.size());
      } else {
        auto j = ssz::parse_json(req.body);
        if (!j || !j->is_array()) {
          count_malformed(SimDuty::kAttestation);
          return error_response(400, "body must be a JSON array of attestations");
        }
        for (std::size_t i = 0; i < j->size(); ++i) {
          auto a = ssz::from_json<T>((*j)[i], "[" + std::to_string(i) + "]");
          items.push_back(a ? std::move(*a) : T{});
          decode_errors.push_back(a ? std::string() : a.error().message());
        }
      }
      std::vector<T> good;
      std::vector<std::size_t> positions;
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (!decode_errors[i].empty()) {
          count_malformed(SimDuty::kAttestation);
          fail_at(i, decode_errors[i]);
        } else {
          good.push_back(std::move(items[i]));
          positions.push_back(i);
        }
      }
      auto results = submit_attestations(std::span<const T>(good));
      for (std::size_t k = 0; k < results.size(); ++k) {
        if (!results[k]) fail_at(positions[k], to_string(results[k].error()));
      }
      return std::nullopt;
    };
    std::optional<Response> early = *fork >= eth::Fork::kElectra
                                        ? verify_all(eth::electra::SingleAttestation{})
                                        : verify_all(eth::phase0::Attestation{});
    if (early) return *early;
    if (failures.empty()) return Response{};
    Json body = Json::object();
    body["code"] = 400;
    body["message"] = "some attestations failed validation";
    body["failures"] = std::move(failures);
    return Response::json(body, 400);
  };
  r.add(Method::kPost, "/eth/v1/beacon/pool/attestations",
        [pool](const Request& req, const PathParams&) -> Task<Response> { co_return pool(req, false); });
  r.add(Method::kPost, "/eth/v2/beacon/pool/attestations",
        [pool](const Request& req, const PathParams&) -> Task<Response> { co_return pool(req, true); });
}

// ---- duty routes beyond attestations ----

namespace {

/// `{"code":400,"message":…,"failures":[{"index":i,"message":…}]}` or 200 when nothing failed.
Response failures_response(Json failures, std::string_view what) {
  if (failures.empty()) return Response{};
  Json body = Json::object();
  body["code"] = 400;
  body["message"] = "some " + std::string(what) + " failed validation";
  body["failures"] = std::move(failures);
  return Response::json(body, 400);
}

void add_failure(Json& failures, std::size_t i, std::string message) {
  Json f = Json::object();
  f["index"] = i;
  f["message"] = printable(message);
  failures.push_back(std::move(f));
}

template <std::size_t N>
std::optional<ByteArray<N>> hex_query(const Request& req, std::string_view key) {
  auto v = req.query_value(key);
  if (!v) return std::nullopt;
  auto b = from_hex_fixed<N>(*v);
  if (!b) return std::nullopt;
  return *b;
}

/// Finds `slot` of a signed block JSON (phase0 … capella: message.slot; deneb on: signed_block.message.slot).
std::optional<std::uint64_t> signed_block_slot(const Json& j) {
  const Json* m = &j;
  if (m->is_object() && m->contains("signed_block")) m = &(*m)["signed_block"];
  if (!m->is_object() || !m->contains("message")) return std::nullopt;
  const auto& msg = (*m)["message"];
  if (!msg.is_object() || !msg.contains("slot") || !msg["slot"].is_string()) return std::nullopt;
  return http::parse_u64(msg["slot"].get<std::string>());
}

}  // namespace

void BeaconSim::add_duty_routes() {
  auto& r = router_;
  // Decodes a JSON array body item by item (a bad item is counted as malformed and reported), submits the rest.
  auto batch = [this](const Request& req, SimDuty kind, std::string_view what, auto decode,
                      auto submit_one) -> Response {
    if (req.body_is_ssz()) return error_response(415, "only JSON bodies are supported here");
    auto j = ssz::parse_json(req.body);
    if (!j || !j->is_array()) {
      count_malformed(kind);
      return error_response(400, "body must be a JSON array");
    }
    Json failures = Json::array();
    for (std::size_t i = 0; i < j->size(); ++i) {
      auto v = decode((*j)[i], "[" + std::to_string(i) + "]");
      if (!v) {
        count_malformed(kind);
        add_failure(failures, i, v.error().message());
      } else if (auto res = submit_one(*v); !res) {
        add_failure(failures, i, to_string(res.error()));
      }
    }
    return failures_response(std::move(failures), what);
  };

  r.add(Method::kPost, "/eth/v1/validator/duties/sync/{epoch}",
        [this](const Request& req, const PathParams& p) -> Task<Response> {
          auto epoch = http::parse_u64(p.at("epoch"));
          if (!epoch) co_return error_response(400, "invalid epoch \"" + p.at("epoch") + "\"");
          auto j = ssz::parse_json(req.body);
          if (!j || !j->is_array()) co_return error_response(400, "body must be a JSON array of indices");
          std::vector<ValidatorIndex> indices;
          for (const auto& e : *j) {
            auto n = e.is_string() ? http::parse_u64(e.get<std::string>()) : std::nullopt;
            if (!n) co_return error_response(400, "invalid validator index " + e.dump());
            indices.push_back(ValidatorIndex{*n});
          }
          Json a = Json::array();
          for (const auto& d : sync_committee_duties(Epoch{*epoch}, indices)) a.push_back(ssz::to_json(d));
          Json body = data_body(std::move(a));
          body["execution_optimistic"] = false;
          co_return Response::json(body);
        });

  // produceBlockV3, and the older forms Lodestar 1.5.1 uses: v2/v1 (full blocks), v1 blinded_blocks.
  enum class Produce { kV3, kFull, kBlinded, kFullV1, kBlindedV1 };
  auto produce = [this](const Request& req, const PathParams& p, Produce mode) -> Response {
    auto slot = http::parse_u64(p.at("slot"));
    if (!slot) return error_response(400, "invalid slot \"" + p.at("slot") + "\"");
    auto randao = hex_query<96>(req, "randao_reveal");
    if (!randao) return error_response(400, "randao_reveal: expected a 0x-prefixed 96-byte hex query parameter");
    Root graffiti{};
    if (auto g = req.query_value("graffiti")) {
      // 0x-prefixed bytes32, or (as Lodestar's BN accepts) text of at most 32 bytes, zero padded.
      if (auto hex = hex_query<32>(req, "graffiti"); hex && g->starts_with("0x")) {
        graffiti = *hex;
      } else if (g->size() <= graffiti.size()) {
        std::copy(g->begin(), g->end(), graffiti.begin());
      } else {
        return error_response(400, "graffiti: expected 32 bytes of hex or at most 32 bytes of text");
      }
    }
    std::optional<std::uint64_t> boost;
    if (auto b = req.query_value("builder_boost_factor")) {
      boost = http::parse_u64(*b);
      if (!boost) return error_response(400, "builder_boost_factor: expected a decimal");
    }
    const bool v1 = mode == Produce::kFullV1 || mode == Produce::kBlindedV1;
    if (mode == Produce::kFullV1) mode = Produce::kFull;
    if (mode == Produce::kBlindedV1) mode = Produce::kBlinded;
    if (mode == Produce::kFull) boost = 0;
    if (mode == Produce::kBlinded) {
      if (!config_.builder_blocks) return error_response(400, "no builder configured");
      boost = std::nullopt;
    }
    auto res = produce_block(Slot{*slot}, *randao, graffiti, boost);
    if (!res) return error_response(400, res.error());
    if (mode == Produce::kBlinded && !res->blinded()) return error_response(400, "no blinded blocks before bellatrix");
    Json body = std::visit([](const auto& b) { return beaconapi::encode_versioned_json(b); }, res->block);
    if (v1) body.erase("version");  // v1 answers {"data": …}
    if (mode == Produce::kV3) {
      body["execution_payload_blinded"] = res->blinded();
      body["execution_payload_value"] = ssz::to_json(res->execution_payload_value);
      body["consensus_block_value"] = ssz::to_json(res->consensus_block_value);
    }
    Response out = Response::json(body);
    out.consensus_version = std::string(eth::fork_name(res->fork()));
    if (mode == Produce::kV3) {  // the spec's v3 headers (the only source of these for SSZ answers)
      out.headers.emplace_back("Eth-Execution-Payload-Blinded", res->blinded() ? "true" : "false");
      out.headers.emplace_back("Eth-Execution-Payload-Value", ssz::u256_to_dec(res->execution_payload_value));
      out.headers.emplace_back("Eth-Consensus-Block-Value", ssz::u256_to_dec(res->consensus_block_value));
    }
    return out;
  };
  r.add(Method::kGet, "/eth/v3/validator/blocks/{slot}", [produce](const Request& req, const PathParams& p) -> Task<Response> {
    co_return produce(req, p, Produce::kV3);
  });
  r.add(Method::kGet, "/eth/v2/validator/blocks/{slot}", [produce](const Request& req, const PathParams& p) -> Task<Response> {
    co_return produce(req, p, Produce::kFull);
  });
  r.add(Method::kGet, "/eth/v1/validator/blocks/{slot}", [produce](const Request& req, const PathParams& p) -> Task<Response> {
    co_return produce(req, p, Produce::kFullV1);
  });
  r.add(Method::kGet, "/eth/v1/validator/blinded_blocks/{slot}",
        [produce](const Request& req, const PathParams& p) -> Task<Response> { co_return produce(req, p, Produce::kBlindedV1); });

  // publishBlockV2 / publishBlindedBlockV2 (fork in Eth-Consensus-Version) and v1 (fork from the slot).
  auto publish = [this](const Request& req, bool blinded, bool v2) -> Response {
    const SimDuty kind = blinded ? SimDuty::kBlindedProposal : SimDuty::kProposal;
    std::optional<eth::Fork> fork;
    std::optional<Json> j;
    if (!req.body_is_ssz()) {
      auto parsed = ssz::parse_json(req.body);
      if (!parsed) {
        count_malformed(kind);
        return error_response(400, "body: " + parsed.error().message());
      }
      j = std::move(*parsed);
    }
    if (v2) {
      fork = eth::fork_from_name(req.consensus_version);
      if (!fork) {
        count_malformed(kind);
        return error_response(400, "missing or unknown Eth-Consensus-Version header");
      }
    } else {
      auto slot = j ? signed_block_slot(*j) : std::nullopt;
      if (!slot) {
        count_malformed(kind);
        return error_response(400, "v1 block bodies must be JSON with message.slot");
      }
      fork = config_.chain.fork_at(config_.chain.epoch_at(Slot{*slot}));
    }
    auto decode = [&](auto tag) -> Result<decltype(tag), std::string> {
      using V = decltype(tag);
      if (j) {
        auto v = beaconapi::decode_versioned_data<V>(*fork, *j);
        if (!v) return std::unexpected(v.error().message());
        return std::move(*v);
      }
      auto v = beaconapi::decode_versioned_ssz<V>(*fork, as_bytes(req.body));
      if (!v) return std::unexpected("SSZ body: " + v.error().message());
      return std::move(*v);
    };
    Result<void, Reject> res;
    if (blinded) {
      auto b = decode(beaconapi::VersionedSignedBlindedBeaconBlock{});
      if (!b) {
        count_malformed(kind);
        return error_response(400, b.error());
      }
      res = submit_blinded_block(*b);
    } else {
      auto b = decode(beaconapi::VersionedSignedProducedBlock{});
      if (!b) {
        count_malformed(kind);
        return error_response(400, b.error());
      }
      res = submit_block(*b);
    }
    if (!res) return error_response(400, to_string(res.error()));
    return Response{};
  };
  r.add(Method::kPost, "/eth/v2/beacon/blocks",
        [publish](const Request& req, const PathParams&) -> Task<Response> { co_return publish(req, false, true); });
  r.add(Method::kPost, "/eth/v2/beacon/blinded_blocks",
        [publish](const Request& req, const PathParams&) -> Task<Response> { co_return publish(req, true, true); });
  r.add(Method::kPost, "/eth/v1/beacon/blocks",
        [publish](const Request& req, const PathParams&) -> Task<Response> { co_return publish(req, false, false); });
  r.add(Method::kPost, "/eth/v1/beacon/blinded_blocks",
        [publish](const Request& req, const PathParams&) -> Task<Response> { co_return publish(req, true, false); });

  // getAggregatedAttestationV2 and v1 (pre-electra).
  auto aggregate = [this](const Request& req, bool v2) -> Response {
    auto root = hex_query<32>(req, "attestation_data_root");
    if (!root) return error_response(400, "attestation_data_root: expected 32 bytes of hex");
    auto slot = http::parse_u64(req.query_value("slot").value_or(""));
    if (!slot) return error_response(400, "slot: expected a decimal query parameter");
    std::optional<beaconapi::VersionedAttestation> att;
    if (v2) {
      auto ci = http::parse_u64(req.query_value("committee_index").value_or(""));
      if (!ci) return error_response(400, "committee_index: expected a decimal query parameter");
      att = aggregate_attestation(Slot{*slot}, *root, *ci);
    } else {
      for (std::uint64_t ci = 0; ci < config_.committees_per_slot && !att; ++ci) {
        att = aggregate_attestation(Slot{*slot}, *root, ci);
      }
      if (att && att->fork() >= eth::Fork::kElectra) return error_response(400, "use the v2 endpoint from electra on");
    }
    if (!att) return error_response(404, "no attestations for this data root");
    Json body = beaconapi::encode_versioned_json(*att);
    if (!v2) body.erase("version");
    Response out = Response::json(body);
    out.consensus_version = std::string(eth::fork_name(att->fork()));
    return out;
  };
  r.add(Method::kGet, "/eth/v2/validator/aggregate_attestation",
        [aggregate](const Request& req, const PathParams&) -> Task<Response> { co_return aggregate(req, true); });
  r.add(Method::kGet, "/eth/v1/validator/aggregate_attestation",
        [aggregate](const Request& req, const PathParams&) -> Task<Response> { co_return aggregate(req, false); });

  r.add(Method::kPost, "/eth/v2/validator/aggregate_and_proofs",
        [this, batch](const Request& req, const PathParams&) -> Task<Response> {
          auto fork = eth::fork_from_name(req.consensus_version);
          if (!fork) {
            count_malformed(SimDuty::kAggregate);
            co_return error_response(400, "missing or unknown Eth-Consensus-Version header");
          }
          const eth::Fork f = *fork;
          co_return batch(
              req, SimDuty::kAggregate, "aggregates",
              [f](const Json& item, const std::string& path) {
                return beaconapi::decode_versioned_data<beaconapi::VersionedSignedAggregateAndProof>(f, item, path);
              },
              [this](const beaconapi::VersionedSignedAggregateAndProof& v) { return submit_aggregate(v); });
        });
  r.add(Method::kPost, "/eth/v1/validator/aggregate_and_proofs",
        [this, batch](const Request& req, const PathParams&) -> Task<Response> {
          co_return batch(
              req, SimDuty::kAggregate, "aggregates",
              [](const Json& item, const std::string& path) {
                return ssz::from_json<eth::phase0::SignedAggregateAndProof>(item, path);
              },
              [this](const eth::phase0::SignedAggregateAndProof& v) -> Result<void, Reject> {
                auto fork = config_.chain.fork_at(config_.chain.epoch_at(v.message.aggregate.data.slot));
                if (fork >= eth::Fork::kElectra) return count(SimDuty::kAggregate, std::unexpected(Reject::kWrongFormat));
                return submit_aggregate(versioned_at<beaconapi::VersionedSignedAggregateAndProof>(fork, v));
              });
        });

  r.add(Method::kGet, "/eth/v1/beacon/blocks/{block_id}/root",
        [this](const Request&, const PathParams& p) -> Task<Response> {
          const auto& id = p.at("block_id");
          const Slot head = current_slot();
          const auto spe = config_.chain.slots_per_epoch;
          const auto epoch = config_.chain.epoch_at(head).value;
          std::optional<Root> root;
          bool finalized = false;
          if (id == "head") {
            root = block_root(head);
          } else if (id == "genesis") {
            root = block_root(Slot{0});
            finalized = true;
          } else if (id == "finalized") {
            root = block_root(Slot{(epoch >= 2 ? epoch - 2 : 0) * spe});
            finalized = true;
          } else if (id == "justified") {
            root = block_root(Slot{(epoch >= 1 ? epoch - 1 : 0) * spe});
          } else if (id.starts_with("0x")) {
            auto hex = from_hex_fixed<32>(id);
            if (!hex) co_return error_response(400, "invalid block_id \"" + id + "\"");
            if (known_block_root(head, *hex)) root = *hex;
          } else if (auto s = http::parse_u64(id)) {
            if (*s <= head.value) root = block_root(Slot{*s});
          } else {
            co_return error_response(400, "invalid block_id \"" + id + "\"");
          }
          if (!root) co_return error_response(404, "block not found");
          Json d = Json::object();
          d["root"] = to_hex(*root);
          Json body = data_body(std::move(d));
          body["execution_optimistic"] = false;
          body["finalized"] = finalized;
          co_return Response::json(body);
        });

  r.add(Method::kGet, "/eth/v1/validator/sync_committee_contribution",
        [this](const Request& req, const PathParams&) -> Task<Response> {
          auto slot = http::parse_u64(req.query_value("slot").value_or(""));
          if (!slot) co_return error_response(400, "slot: expected a decimal query parameter");
          auto sub = http::parse_u64(req.query_value("subcommittee_index").value_or(""));
          if (!sub || *sub >= eth::preset::kSyncCommitteeSubnetCount) {
            co_return error_response(400, "subcommittee_index: expected 0..3");
          }
          auto root = hex_query<32>(req, "beacon_block_root");
          if (!root) co_return error_response(400, "beacon_block_root: expected 32 bytes of hex");
          auto c = sync_committee_contribution(Slot{*slot}, *sub, *root);
          if (!c) co_return error_response(404, "no sync committee messages for this slot, subcommittee and root");
          co_return Response::json(data_body(ssz::to_json(*c)));
        });

  auto json_items = [batch](SimDuty kind, std::string_view what, auto tag, auto submit_one) {
    using T = decltype(tag);
    return [batch, kind, what, submit_one](const Request& req, const PathParams&) -> Task<Response> {
      co_return batch(
          req, kind, what, [](const Json& item, const std::string& path) { return ssz::from_json<T>(item, path); },
          submit_one);
    };
  };
  // Sync committee messages are verified as a batch (one same-message check per slot and root).
  r.add(Method::kPost, "/eth/v1/beacon/pool/sync_committees",
        [this](const Request& req, const PathParams&) -> Task<Response> {
          if (req.body_is_ssz()) co_return error_response(415, "only JSON bodies are supported here");
          auto j = ssz::parse_json(req.body);
          if (!j || !j->is_array()) {
            count_malformed(SimDuty::kSyncMessage);
            co_return error_response(400, "body must be a JSON array");
          }
          Json failures = Json::array();
          std::vector<eth::altair::SyncCommitteeMessage> msgs;
          std::vector<std::size_t> positions;
          for (std::size_t i = 0; i < j->size(); ++i) {
            auto m = ssz::from_json<eth::altair::SyncCommitteeMessage>((*j)[i], "[" + std::to_string(i) + "]");
            if (!m) {
              count_malformed(SimDuty::kSyncMessage);
              add_failure(failures, i, m.error().message());
              continue;
            }
            msgs.push_back(*m);
            positions.push_back(i);
          }
          auto results = submit_sync_messages(msgs);
          for (std::size_t k = 0; k < results.size(); ++k) {
            if (!results[k]) add_failure(failures, positions[k], to_string(results[k].error()));
          }
          co_return failures_response(std::move(failures), "sync committee messages");
        });
  r.add(Method::kPost, "/eth/v1/validator/contribution_and_proofs",
        json_items(SimDuty::kSyncContribution, "contributions", eth::altair::SignedContributionAndProof{},
                   [this](const eth::altair::SignedContributionAndProof& c) { return submit_contribution(c); }));
  r.add(Method::kPost, "/eth/v1/validator/register_validator",
        json_items(SimDuty::kBuilderRegistration, "registrations", eth::phase0::SignedValidatorRegistrationV1{},
                   [this](const eth::phase0::SignedValidatorRegistrationV1& v) { return submit_registration(v); }));
  r.add(Method::kPost, "/eth/v1/validator/prepare_beacon_proposer",
        json_items(SimDuty::kPrepareProposer, "preparations", http::ProposerPreparation{},
                   [this](const http::ProposerPreparation& v) { return submit_preparation(v); }));

  r.add(Method::kPost, "/eth/v1/beacon/pool/voluntary_exits",
        [this](const Request& req, const PathParams&) -> Task<Response> {
          auto j = ssz::parse_json(req.body);
          if (!j) {
            count_malformed(SimDuty::kVoluntaryExit);
            co_return error_response(400, "body: " + j.error().message());
          }
          auto exit = ssz::from_json<eth::phase0::SignedVoluntaryExit>(*j, "");
          if (!exit) {
            count_malformed(SimDuty::kVoluntaryExit);
            co_return error_response(400, exit.error().message());
          }
          if (auto res = submit_exit(*exit); !res) co_return error_response(400, to_string(res.error()));
          co_return Response{};
        });
}

}  // namespace phx::sim
