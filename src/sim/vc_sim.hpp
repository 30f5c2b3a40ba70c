#pragma once
/// Validator-client simulator (`phalanx vc-sim`): a validator client that talks ONLY the Beacon API to one
/// node (a Phalanx validator API, or a beacon node such as BeaconSim) and signs with the keys it holds: key
/// SHARES against a DV node (the node combines partial signatures) or FULL keys against a plain BN. It looks its
/// keys up (postStateValidators), fetches attester/proposer/sync duties each epoch and performs, per slot:
/// proposal at the slot start (produceBlockV3 with its randao reveal, sign, publish full or blinded per the
/// response), attestations at 1/3 (phase0 Attestation before electra, SingleAttestation after), aggregation at
/// 2/3 (selection proofs → DVT beacon_committee_selections when talking to a DV node → is_aggregator →
/// aggregate_attestation → signed aggregate_and_proofs), sync committee messages at 1/3 and contributions at 2/3
/// (sync_committee_selections → is_sync_committee_aggregator), builder registrations once. Every signature is
/// checked by a local slashing-protection database first (blocks and attestations). It counts what it did.
/// Spec: consensus-specs phase0/altair/electra validator.md; beacon-APIs (incl. the DVT selection endpoints).
#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "beaconapi/http/client.hpp"
#include "crypto/bls/bls.hpp"
#include "eth/fork.hpp"
#include "eth/types.hpp"
#include "runtime/runtime.hpp"
#include "ssz/json.hpp"

namespace phx::sim {

/// What the simulator performs, one counter set each.
enum class VcDuty : std::uint8_t {
  kAttestation,
  kProposal,
  kAggregation,
  kSyncMessage,
  kSyncContribution,
  kRegistration,
};
/// Number of VcDuty values.
inline constexpr std::size_t kVcDutyCount = 6;
/// Lower-case name ("attestation", "proposal", "aggregation", "sync_message", "sync_contribution",
/// "registration").
const char* to_string(VcDuty d);

/// Counters of one duty kind.
struct VcDutyCounts {
  std::uint64_t scheduled = 0;  ///< duties found (aggregations/contributions: only those where it is selected)
  std::uint64_t submitted = 0;  ///< signed and accepted by the node (2xx)
  std::uint64_t failed = 0;     ///< any step failed (fetch, slashing check, submit refused)
  std::map<std::string, std::uint64_t> failures;  ///< failure reason → count
};

/// Everything the simulator counted.
struct VcSimStats {
  std::array<VcDutyCounts, kVcDutyCount> duties{};
  std::uint64_t slashing_refusals = 0;  ///< signatures refused by the local slashing protection
  std::uint64_t epochs = 0;             ///< epochs whose duties were fetched
  std::uint64_t duty_fetch_failures = 0;  ///< failed attempts to fetch an epoch's duties (retried next slot)
  std::uint64_t first_slot = 0;         ///< the first slot it performed duties of
  std::uint64_t slots = 0;              ///< slots it performed duties of
  /// Counters of `d`.
  VcDutyCounts& of(VcDuty d) { return duties[static_cast<std::size_t>(d)]; }
  /// Counters of `d`.
  const VcDutyCounts& of(VcDuty d) const { return duties[static_cast<std::size_t>(d)]; }
  /// {"attestation":{"scheduled":..,"submitted":..,"failed":..,"failures":{..}},…,"slashing_refusals":..}
  ssz::Json to_json() const;
};

/// Settings.
struct VcSimConfig {
  std::vector<beaconapi::http::Endpoint> endpoints;  ///< the node's validator API (or a BN), ≥ 1
  Duration timeout = std::chrono::seconds(4);        ///< per Beacon API call
  /// True against a DV node: aggregation/sync selection proofs go through the DVT selection endpoints
  /// (beacon_committee_selections / sync_committee_selections) to obtain the combined proofs. False against a
  /// plain BN holding full keys: the own proof decides.
  bool dvt_selections = true;
  bool builder_registration = false;  ///< register with the builder once (register_validator)
  eth::ExecutionAddress fee_recipient{};  ///< for registrations
  std::uint64_t gas_limit = 36'000'000;
  std::string graffiti = "phalanx vc-sim";  ///< up to 32 bytes
  /// Own public key (share) → the DV public key, for builder registrations against a DV node: the message
  /// sent names the own key, the signature covers the message naming the DV key (the node registers the DV
  /// key). Keys without an entry sign the message as sent (plain BN). The registration timestamp is the
  /// genesis time so that every operator signs the same message.
  std::map<eth::BLSPubkey, eth::BLSPubkey> dv_pubkeys;
  /// Local slashing-protection database file; nullopt: in memory.
  std::optional<std::filesystem::path> slashing_db;
  /// Stop after this slot's duties (inclusive); nullopt: run until cancelled.
  std::optional<Slot> last_slot;
};

/// The simulator. Threading: one executor (runtime), like everything async.
class VcSim {
 public:
  /// `keys`: the secret keys (shares or full keys) it signs with; precondition: non-empty.
  VcSim(VcSimConfig config, std::vector<crypto::bls::SecretKey> keys, const Clock& clock);
  ~VcSim();
  VcSim(const VcSim&) = delete;
  VcSim& operator=(const VcSim&) = delete;

  /// Fetches the chain config and looks up its validators (retrying until genesis config is served), then
  /// performs duties slot by slot, starting with the next slot to begin, until `last_slot` is done or
  /// request_stop(). Errors (message):
  /// unusable chain config, none of its keys known to the node, slashing database unusable.
  runtime::Task<Result<void, std::string>> run();

  /// Asks run() to stop at the next slot boundary (it finishes the slots in progress, then returns).
  void request_stop() { stop_requested_ = true; }
  /// Counters so far.
  const VcSimStats& stats() const { return stats_; }
  /// The chain configuration fetched from the node (valid after run() started successfully).
  const eth::ChainConfig& chain() const { return chain_; }

 private:
  struct Impl;
  VcSimConfig config_;
  const Clock& clock_;
  eth::ChainConfig chain_;
  VcSimStats stats_;
  bool stop_requested_ = false;
  std::unique_ptr<Impl> impl_;
};

/// Loads every keystore-*.json of `dir` (EIP-2335), decrypting each with the password in the keystore-*.txt
/// next to it (trailing newline ignored), in file-number order. Errors name the file.
Result<std::vector<crypto::bls::SecretKey>, std::string> load_keystores(const std::filesystem::path& dir);

}  // namespace phx::sim
