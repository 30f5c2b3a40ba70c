#include "core/dutydb.hpp"

#include "ssz/merkle.hpp"

namespace phx::core {

namespace {
constexpr std::size_t kMaxEvictedMarkers = 4096;
}  // namespace

Result<void> DutyDB::store(const Duty& duty, const UnsignedDataSet& set) {
  if (evicted_.contains(duty) || deadliner_.expired(duty)) return fail(CoreError::kExpired);
  if (set.empty()) return fail(CoreError::kEmpty);
  auto existing = data_.find(duty);
  // Check everything before changing anything.
  std::map<eth::CommitteeIndex, const eth::phase0::AttestationData*> new_att;
  for (const auto& [pk, u] : set) {
    if (!fits(duty, u)) return fail(CoreError::kWrongDataType);
    if (existing != data_.end()) {
      auto it = existing->second.find(pk);
      if (it != existing->second.end() && !(it->second == u)) return fail(CoreError::kConflict);
    }
    if (const auto* a = std::get_if<AttesterData>(&u)) {
      auto prev = att_by_committee_.find({duty.slot.value, a->committee_index});
      if (prev != att_by_committee_.end() && !(prev->second == a->data)) return fail(CoreError::kConflict);
      auto [nit, inserted] = new_att.emplace(a->committee_index, &a->data);
      if (!inserted && !(*nit->second == a->data)) return fail(CoreError::kConflict);
    }
  }
  UnsignedDataSet& dst = data_[duty];
  for (const auto& [pk, u] : set) dst.emplace(pk, u);
  for (const auto& [ci, d] : new_att) att_by_committee_.emplace(std::pair{duty.slot.value, ci}, *d);
  return {};
}

Result<UnsignedData> DutyDB::unsigned_data(const Duty& duty, const PubKey& pubkey) const {
  auto it = data_.find(duty);
  if (it == data_.end()) return fail(CoreError::kNotFound);
  auto jt = it->second.find(pubkey);
  if (jt == it->second.end()) return fail(CoreError::kNotFound);
  return jt->second;
}

Result<eth::phase0::AttestationData> DutyDB::attestation_data(Slot slot,
                                                              eth::CommitteeIndex committee_index) const {
  auto it = att_by_committee_.find({slot.value, committee_index});
  if (it == att_by_committee_.end()) return fail(CoreError::kNotFound);
  return it->second;
}

Result<eth::VersionedProducedBlock> DutyDB::block(Slot slot) const {
  auto it = data_.find(Duty{slot, DutyType::kProposer});
  if (it == data_.end() || it->second.empty()) return fail(CoreError::kNotFound);
  return std::get<ProposalData>(it->second.begin()->second).block;
}

Result<eth::VersionedBlindedBeaconBlock> DutyDB::blinded_block(Slot slot) const {
  auto it = data_.find(Duty{slot, DutyType::kBuilderProposer});
  if (it == data_.end() || it->second.empty()) return fail(CoreError::kNotFound);
  return std::get<BlindedProposalData>(it->second.begin()->second).block;
}

Result<eth::VersionedAttestation> DutyDB::aggregate_attestation(
    Slot slot, const Root& attestation_data_root, std::optional<eth::CommitteeIndex> committee_index) const {
  auto it = data_.find(Duty{slot, DutyType::kAggregator});
  if (it == data_.end()) return fail(CoreError::kNotFound);
  for (const auto& [pk, u] : it->second) {
    const auto& agg = std::get<AggregatedAttestationData>(u).attestation;
    if (ssz::hash_tree_root(data_of(agg)) != attestation_data_root) continue;
    if (committee_index) {
      const auto* el = std::get_if<static_cast<std::size_t>(eth::Fork::kElectra)>(&agg.value);
      const auto* fu = std::get_if<static_cast<std::size_t>(eth::Fork::kFulu)>(&agg.value);
      const eth::electra::Attestation* e = el != nullptr ? el : fu;
      if (e != nullptr && (*committee_index >= e->committee_bits.size() || !e->committee_bits.get(*committee_index)))
        continue;
    }
    return agg;
  }
  return fail(CoreError::kNotFound);
}

Result<eth::altair::SyncCommitteeContribution> DutyDB::sync_contribution(
    Slot slot, std::uint64_t subcommittee_index, const Root& beacon_block_root) const {
  auto it = data_.find(Duty{slot, DutyType::kSyncContribution, subcommittee_index});
  if (it == data_.end()) return fail(CoreError::kNotFound);
  for (const auto& [pk, u] : it->second) {
    const auto& c = std::get<SyncContributionData>(u).contribution;
    if (c.subcommittee_index == subcommittee_index && c.beacon_block_root == beacon_block_root) return c;
  }
  return fail(CoreError::kNotFound);
}

void DutyDB::evict(const Duty& duty) {
  data_.erase(duty);
  if (duty.type == DutyType::kAttester) {
    auto lo = att_by_committee_.lower_bound({duty.slot.value, 0});
    auto hi = att_by_committee_.lower_bound({duty.slot.value + 1, 0});
    att_by_committee_.erase(lo, hi);
  }
  // The deadliner already refuses expired duties; the marker only covers clocks that are set back (NTP
  // steps). Bounded: beyond kMaxEvictedMarkers the oldest duties (lowest slots) are forgotten.
  evicted_.insert(duty);
  while (evicted_.size() > kMaxEvictedMarkers) evicted_.erase(evicted_.begin());
}

std::size_t DutyDB::size() const {
  std::size_t n = 0;
  for (const auto& [d, s] : data_) n += s.size();
  return n;
}

}  // namespace phx::core
