// Beacon-node simulator, the chain model: seed-derived duties and roots, expected counts, submission stats.
#include "sim/beacon_sim.hpp"

#include <algorithm>
#include <utility>

#include "crypto/hash/sha256.hpp"
#include "sim/beacon_sim_detail.hpp"

namespace phx::sim {

using ssz::Json;
using detail::kSyncSubcommitteeSize;
using detail::kTargetAggregatorsPerCommittee;
using detail::u64_of;


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
    case SimDuty::kCommitteeSubscription:
      return "committee_subscription";
    case SimDuty::kSyncSubscription:
      return "sync_subscription";
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

BeaconSim::BeaconSim(BeaconSimConfig config, const Clock& clock) : config_(std::move(config)), clock_(clock), peer_count_(config_.peer_count) {
  PHX_ASSERT(config_.chain.valid());
  PHX_ASSERT(config_.committees_per_slot >= 1);
  PHX_ASSERT(config_.epochs_per_sync_committee_period >= 1);
  for (std::size_t i = 0; i < config_.validators.size(); ++i) {
    auto pk = crypto::bls::PublicKey::from_bytes(config_.validators[i].pubkey);
    PHX_ASSERT(pk.has_value());
    keys_.push_back(*pk);
    PHX_ASSERT(by_index_.emplace(config_.validators[i].index, i).second);
    by_pubkey_.emplace(config_.validators[i].pubkey, config_.validators[i].index);
    PHX_ASSERT(!has_stand_ins() || config_.validators[i].index.value < config_.total_validators);
  }
  add_routes();
  add_duty_routes();
  add_event_routes();
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

std::uint64_t committees_per_slot_for(std::uint64_t active_validators, std::uint64_t slots_per_epoch) {
  constexpr std::uint64_t kTargetCommitteeSize = 128;
  const std::uint64_t n = active_validators / std::max<std::uint64_t>(slots_per_epoch, 1) / kTargetCommitteeSize;
  return std::clamp<std::uint64_t>(n, 1, eth::preset::kMaxCommitteesPerSlot);
}

ValidatorIndex BeaconSim::proposer_at(Slot slot) const {
  const std::uint64_t r = u64_of(derive("proposer", slot.value));
  if (has_stand_ins()) return ValidatorIndex{r % config_.total_validators};
  return config_.validators[r % config_.validators.size()].index;
}

eth::BLSPubkey BeaconSim::pubkey_of(ValidatorIndex v) const {
  if (auto it = by_index_.find(v); it != by_index_.end()) return config_.validators[it->second].pubkey;
  eth::BLSPubkey pk{};
  const Root a = derive("stand_in_pubkey", v.value, 0);
  const Root b = derive("stand_in_pubkey", v.value, 1);
  std::copy(a.begin(), a.end(), pk.begin());
  std::copy(b.begin(), b.begin() + 16, pk.begin() + 32);
  pk[0] = static_cast<std::uint8_t>((pk[0] & 0x1f) | 0x80);  // the compression flag, as a real key has
  return pk;
}

std::uint64_t BeaconSim::committee_length(std::size_t members) const {
  if (!has_stand_ins()) return members;
  const std::uint64_t per_epoch = config_.chain.slots_per_epoch * config_.committees_per_slot;
  return std::max<std::uint64_t>(members, config_.total_validators / std::max<std::uint64_t>(per_epoch, 1));
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
      a.committee_length = committee_length(members.size());
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
    const ValidatorIndex v = proposer_at(Slot{s});
    out.push_back(http::ProposerDuty{pubkey_of(v), v, Slot{s}});
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

Root BeaconSim::attester_dependent_root(Epoch epoch) const {
  return epoch.value < 2 ? block_root(Slot{0}) : block_root(Slot{(epoch.value - 1) * config_.chain.slots_per_epoch - 1});
}

Root BeaconSim::proposer_dependent_root(Epoch epoch) const {
  return epoch.value < 1 ? block_root(Slot{0}) : block_root(Slot{epoch.value * config_.chain.slots_per_epoch - 1});
}

Root BeaconSim::state_root(Slot slot) const {
  return derive("state", slot.value);
}

http::HeadEvent BeaconSim::head_event(Slot slot) const {
  const Epoch epoch = config_.chain.epoch_at(slot);
  http::HeadEvent e;
  e.slot = slot;
  e.block = block_root(slot);
  e.state = state_root(slot);
  e.epoch_transition = slot.value % config_.chain.slots_per_epoch == 0;
  e.previous_duty_dependent_root = attester_dependent_root(epoch);
  e.current_duty_dependent_root = proposer_dependent_root(epoch);
  return e;
}

Root BeaconSim::block_root(Slot slot) const {
  return derive("block", slot.value);
}

std::vector<ValidatorIndex> BeaconSim::sync_committee(Epoch epoch) const {
  if (config_.chain.fork_at(epoch) < eth::Fork::kAltair || config_.validators.empty()) return {};
  const auto period = epoch.value / config_.epochs_per_sync_committee_period;
  if (auto it = sync_committee_cache_.find(period); it != sync_committee_cache_.end()) return it->second;
  std::vector<ValidatorIndex> out(eth::preset::kSyncCommitteeSize);
  if (has_stand_ins()) {
    // Drawn from the whole set (mostly stand-ins): a cluster's share of the positions is its share of the set.
    for (std::size_t i = 0; i < out.size(); ++i)
      out[i] = ValidatorIndex{u64_of(derive("sync", period, i)) % config_.total_validators};
    if (sync_committee_cache_.size() > 4) sync_committee_cache_.erase(sync_committee_cache_.begin());
    return sync_committee_cache_.emplace(period, std::move(out)).first->second;
  }
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
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = eligible[u64_of(derive("sync", period, i)) % eligible.size()];
  }
  if (sync_committee_cache_.size() > 4) sync_committee_cache_.erase(sync_committee_cache_.begin());
  return sync_committee_cache_.emplace(period, std::move(out)).first->second;
}

std::vector<http::SyncCommitteeDuty> BeaconSim::sync_committee_duties(
    Epoch epoch, const std::vector<ValidatorIndex>& indices) const {
  const auto committee = sync_committee(epoch);
  // Positions by member, once: a request for 10,000 indices is 10,000 lookups, not 10,000 committee scans.
  std::map<ValidatorIndex, std::vector<std::uint64_t>> positions;
  for (std::size_t p = 0; p < committee.size(); ++p) positions[committee[p]].push_back(p);
  std::vector<http::SyncCommitteeDuty> out;
  for (auto idx : indices) {
    auto it = by_index_.find(idx);
    if (it == by_index_.end()) continue;
    auto pos = positions.find(idx);
    if (pos == positions.end()) continue;
    http::SyncCommitteeDuty d;
    d.pubkey = config_.validators[it->second].pubkey;
    d.validator_index = idx;
    d.validator_sync_committee_indices.assign(pos->second.begin(), pos->second.end());
    out.push_back(std::move(d));
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
      if (committee_length(members.size()) / kTargetAggregatorsPerCommittee <= 1) e.aggregations_min += members.size();
    }
  }
  e.aggregations_max = e.attestations;
  std::vector<ValidatorIndex> committee;
  std::uint64_t members = 0;
  std::uint64_t pairs = 0;
  std::optional<std::uint64_t> cached_epoch;
  for (std::uint64_t s = from.value; s < to.value; ++s) {
    if (s > 0 && key_of(proposer_at(Slot{s})) != nullptr) ++e.proposals;
    auto ep = chain.epoch_at(Slot{s}).value;
    if (!cached_epoch || *cached_epoch != ep) {
      cached_epoch = ep;
      committee = sync_committee(Epoch{ep});
      std::set<ValidatorIndex> distinct;
      std::set<std::pair<ValidatorIndex, std::size_t>> by_sub;
      for (std::size_t p = 0; p < committee.size(); ++p) {
        if (key_of(committee[p]) == nullptr) continue;  // a stand-in: nobody here signs for it
        distinct.insert(committee[p]);
        by_sub.emplace(committee[p], p / kSyncSubcommitteeSize);
      }
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

}  // namespace phx::sim
