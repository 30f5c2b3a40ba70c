#pragma once
/// DutyDB: the unsigned data agreed by consensus, per duty and pubkey, answering the validator API's queries
/// (Charon core/dutydb). A decision is stored once and never overwritten: a second, different decision for
/// the same (duty, pubkey) is refused, because serving it would let the VC sign slashable data.
/// Bounded: everything of a duty goes when the deadliner expires it.
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "core/deadliner.hpp"
#include "core/types.hpp"

namespace phx::core {

/// Stores decided unsigned data.
class DutyDB {
 public:
  /// A store that refuses duties `deadliner` reports expired (not owned; must outlive this object).
  explicit DutyDB(const Deadliner& deadliner) : deadliner_(deadliner) {}

  /// Stores the decided set of `duty`. All-or-nothing. Errors: kExpired (deadline passed, or already
  /// evicted), kEmpty, kWrongDataType (an entry of another duty type), kConflict (a pubkey already holds
  /// different data, or two attester entries of one slot and committee disagree on the AttestationData).
  /// Storing the same data again succeeds and changes nothing.
  Result<void> store(const Duty& duty, const UnsignedDataSet& set);

  /// The decided data of (duty, pubkey). Errors: kNotFound.
  Result<UnsignedData> unsigned_data(const Duty& duty, const PubKey& pubkey) const;
  /// The AttestationData decided for `committee_index` at `slot` (validator API
  /// GET /eth/v1/validator/attestation_data). Errors: kNotFound.
  Result<eth::phase0::AttestationData> attestation_data(Slot slot, eth::CommitteeIndex committee_index) const;
  /// The full block (contents) decided for the proposer duty of `slot`. Errors: kNotFound.
  Result<eth::VersionedProducedBlock> block(Slot slot) const;
  /// The blinded block decided for the builder proposer duty of `slot`. Errors: kNotFound.
  Result<eth::VersionedBlindedBeaconBlock> blinded_block(Slot slot) const;
  /// The aggregate attestation decided at `slot` whose data has hash_tree_root `attestation_data_root` and,
  /// when given (electra on: data.index is 0), whose committee_bits name `committee_index`
  /// (GET /eth/v2/validator/aggregate_attestation). Errors: kNotFound.
  Result<eth::VersionedAttestation> aggregate_attestation(
      Slot slot, const Root& attestation_data_root,
      std::optional<eth::CommitteeIndex> committee_index = std::nullopt) const;
  /// The sync contribution decided at `slot` for (subcommittee_index, beacon_block_root)
  /// (GET /eth/v1/validator/sync_committee_contribution). Errors: kNotFound.
  Result<eth::altair::SyncCommitteeContribution> sync_contribution(Slot slot,
                                                                   std::uint64_t subcommittee_index,
                                                                   const Root& beacon_block_root) const;

  /// Drops everything of `duty` and remembers it as evicted (a late store is then kExpired).
  void evict(const Duty& duty);
  /// Number of (duty, pubkey) entries held.
  std::size_t size() const;
  /// Number of duties held.
  std::size_t duty_count() const { return data_.size(); }

 private:
  const Deadliner& deadliner_;
  std::map<Duty, UnsignedDataSet> data_;
  std::map<std::pair<std::uint64_t, eth::CommitteeIndex>, eth::phase0::AttestationData> att_by_committee_;
  std::set<Duty> evicted_;  // evicted duties (bounded, oldest dropped first)
};

}  // namespace phx::core
