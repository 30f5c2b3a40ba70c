#pragma once
/// Fetcher: the unsigned data of one duty, from the beacon node (Charon core/fetcher), as the set that this
/// node proposes to consensus:
/// - attester → one attestation_data per committee of the slot;
/// - proposer / builder_proposer → waits for the aggregated RANDAO reveal, then produce_block;
/// - aggregator → waits for the aggregated selection proofs, keeps the validators that are aggregators
///   (is_aggregator), gets the decided AttestationData of their committee, aggregate_attestation;
/// - sync_message → head_block_root;
/// - sync_contribution → waits for the aggregated sync selection proofs, keeps the sync aggregators
///   (is_sync_committee_aggregator), sync_contribution over the decided sync-message root.
/// The waits are hooks provided by the Workflow (they end at the duty's deadline). Runs on the io thread.
#include <functional>
#include <map>

#include "core/interfaces.hpp"
#include "core/types.hpp"

namespace phx::core {

/// TARGET_AGGREGATORS_PER_COMMITTEE (phase0/validator.md).
inline constexpr std::uint64_t kTargetAggregatorsPerCommittee = 16;
/// TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE (altair/validator.md).
inline constexpr std::uint64_t kTargetAggregatorsPerSyncSubcommittee = 16;

/// is_aggregator (consensus-specs phase0/validator.md): modulo = max(1, committee_length / 16); true iff the
/// first 8 bytes (little endian) of sha256(selection_proof) are ≡ 0 mod modulo. Public data, variable time.
bool is_aggregator(std::uint64_t committee_length, const eth::BLSSignature& selection_proof);
/// is_sync_committee_aggregator (altair/validator.md): modulo = max(1, SYNC_COMMITTEE_SIZE /
/// SYNC_COMMITTEE_SUBNET_COUNT / 16) on the mainnet preset; same test as is_aggregator.
bool is_sync_committee_aggregator(const eth::BLSSignature& selection_proof);
/// The sync subcommittee of a position in the sync committee (index / (SYNC_COMMITTEE_SIZE /
/// SYNC_COMMITTEE_SUBNET_COUNT)).
std::uint64_t sync_subcommittee_of(std::uint64_t sync_committee_index);

/// Options of the fetcher.
struct FetcherOptions {
  Root graffiti{};       ///< graffiti of produced blocks
  bool builder = false;  ///< request builder (blinded) blocks
};

/// The waits the fetcher needs (provided by the Workflow; each ends with kExpired at the duty's deadline).
struct FetcherWaits {
  /// The aggregate (cluster) signature of (duty, pubkey): RANDAO reveal, selection proofs.
  std::function<Task<Result<SignedData>>(Duty, PubKey)> aggregate_signature;
  /// The same without waiting (kNotFound when absent). When set, the fetcher waits only for the first
  /// validator of a duty and looks the others up: selection proofs of one duty are aggregated in one batch,
  /// so one validator missing its proof does not hold back the proposal of all the others until the deadline.
  std::function<Result<SignedData>(Duty, PubKey)> aggregate_signature_now;
  /// The AttestationData decided for (slot, committee_index).
  std::function<Task<Result<eth::phase0::AttestationData>>(Slot, eth::CommitteeIndex)> attestation_data;
  /// The head block root decided for the sync-message duty of `slot`.
  std::function<Task<Result<Root>>(Slot)> sync_block_root;
};

/// Fetches unsigned data for duties.
class Fetcher {
 public:
  /// A fetcher over `bn` (not owned; must outlive this object) and chain `config` (copied).
  Fetcher(const eth::ChainConfig& config, BeaconNode& bn, FetcherWaits waits, FetcherOptions options = {});

  /// The unsigned data of `duty` for the validators in `defs` (pubkey → duty definition). The set may be
  /// empty (e.g. no aggregator this slot): empty sets are not proposed. Validators whose wait failed (no
  /// aggregated selection proof in time) are left out. Errors: kWrongDataType for duty types without
  /// consensus data (randao, selection proofs, exit, registration), the BN's errors, kExpired / kNotFound
  /// from the waits when every validator's wait failed.
  Task<Result<UnsignedDataSet>> fetch(Duty duty, std::map<PubKey, DutyDefinition> defs);

 private:
  Task<Result<UnsignedDataSet>> fetch_attester(Duty duty, std::map<PubKey, DutyDefinition> defs);
  Task<Result<UnsignedDataSet>> fetch_proposer(Duty duty, std::map<PubKey, DutyDefinition> defs);
  Task<Result<UnsignedDataSet>> fetch_aggregator(Duty duty, std::map<PubKey, DutyDefinition> defs);
  Task<Result<UnsignedDataSet>> fetch_sync_message(Duty duty, std::map<PubKey, DutyDefinition> defs);
  Task<Result<UnsignedDataSet>> fetch_sync_contribution(Duty duty, std::map<PubKey, DutyDefinition> defs);
  Task<Result<SignedData>> selection(Duty duty, PubKey pubkey, bool first);

  eth::ChainConfig config_;
  BeaconNode& bn_;
  FetcherWaits waits_;
  FetcherOptions options_;
};

}  // namespace phx::core
