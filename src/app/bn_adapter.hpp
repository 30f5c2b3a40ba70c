#pragma once
/// core::BeaconNode over the Beacon API client (BeaconNodeClient: several BNs with fallback). Translates the
/// port's calls to typed Beacon API calls and builds the submitted containers from the aggregates: phase0
/// Attestation (one aggregation bit at the validator's committee position) before electra, SingleAttestation
/// from electra on; signed blocks (SignedBlockContents with the decided KZG proofs and blobs from deneb on),
/// signed blinded blocks, aggregates, sync messages, contributions, registrations and exits.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "beaconapi/http/client.hpp"
#include "core/interfaces.hpp"

namespace phx::app {

/// Error of a BN call as a std::error_code (HTTP status and message are logged by the adapter).
enum class BeaconError {
  kOk = 0,
  kCall = 1,         ///< the call failed (transport, status, body); see the log for the BN's message
  kNotBuilder = 2,   ///< the BN returned a blinded block though builder blocks were not requested
  kNoContents = 3,   ///< a signed full block of deneb or later whose contents (blobs) were not decided here
  kBackoff = 4,      ///< a bulk call failed recently; the next attempt waits (BulkCallOptions)
};
const char* to_string(BeaconError e);
PHX_ERROR_ENUM(BeaconError, "beacon-node")

using runtime::Task;

/// Decodes a liveness answer (`{"data":[{"index":"1","is_live":true},…]}`, Beacon API getLiveness): the pairs
/// in the order given. Errors: a message naming what is wrong (untrusted BN bytes; fuzzed: liveness_fuzz).
Result<std::vector<std::pair<ValidatorIndex, bool>>, std::string> decode_liveness(std::string_view body);

/// Caching and backoff of the bulk calls (validators, attester and sync duties).
struct BulkCallOptions {
  /// A validator's index and status as the BN answered are reused this long (they change once per epoch at
  /// most; the scheduler asks once per epoch, so half an epoch of mainnet makes every epoch's ask a fresh one
  /// while repeated asks within it are answered here). When a refresh fails, older answers are used.
  Duration validator_cache_ttl = std::chrono::seconds(192);
  /// After a failed bulk call the next one of its kind waits at least this long, doubled per further failure
  /// up to backoff_max; a call before then fails at once (BeaconError::kBackoff) instead of adding another
  /// request to a BN that is still busy with the last ones.
  Duration backoff_initial = std::chrono::seconds(1);
  Duration backoff_max = std::chrono::seconds(8);
};

/// The adapter. Threading: the client's executor (io thread).
class BeaconNodeAdapter final : public core::BeaconNode {
 public:
  /// `client` is not owned. chain_config() must succeed once before submit() (it learns the fork schedule).
  explicit BeaconNodeAdapter(beaconapi::http::BeaconNodeClient& client, BulkCallOptions options = {})
      : client_(client), bulk_(options) {}

  Task<Result<eth::ChainConfig>> chain_config() override;
  Task<Result<std::vector<core::ValidatorRef>>> validators(std::vector<core::PubKey> pubkeys) override;
  Task<Result<core::AttesterDuties>> attester_duties(Epoch epoch,
                                                                   std::vector<ValidatorIndex> indices) override;
  Task<Result<core::ProposerDuties>> proposer_duties(Epoch epoch) override;
  Task<Result<std::vector<core::SyncDutyDef>>> sync_duties(Epoch epoch, std::vector<ValidatorIndex> indices) override;
  Task<Result<eth::phase0::AttestationData>> attestation_data(Slot slot,
                                                              eth::CommitteeIndex committee_index) override;
  Task<Result<core::UnsignedData>> produce_block(Slot slot, eth::BLSSignature randao_reveal, Root graffiti,
                                                 bool builder) override;
  Task<Result<core::AggregatedAttestationData>> aggregate_attestation(Slot slot, Root attestation_data_root,
                                                                      eth::CommitteeIndex committee_index) override;
  Task<Result<Root>> head_block_root(Slot slot) override;
  Task<Result<eth::altair::SyncCommitteeContribution>> sync_contribution(Slot slot, std::uint64_t subcommittee_index,
                                                                        Root beacon_block_root) override;
  Task<Result<void>> submit(core::Duty duty, std::vector<core::Submission> aggregates) override;
  Task<Result<void>> subscribe_committees(std::vector<core::CommitteeSubscription> subs) override;
  Task<Result<void>> subscribe_sync_committees(std::vector<core::SyncCommitteeSubscription> subs) override;
  Task<Result<void>> prepare_proposers(std::vector<core::ProposerPreparation> preps) override;

  /// POST /eth/v1/validator/liveness/{epoch} (doppelganger protection, app/doppelganger.hpp): whether the BN saw
  /// each of `indices` attesting or proposing in `epoch`. Errors: kCall (logged with the BN's message; e.g. a BN
  /// without the endpoint, or an answer that does not decode or lacks a validator asked about). An empty
  /// `indices` asks nothing.
  Task<Result<std::vector<std::pair<ValidatorIndex, bool>>>> liveness(Epoch epoch, std::vector<ValidatorIndex> indices);

  /// Remembers decided full blocks (their blobs and KZG proofs are needed to publish the signed block).
  /// Wire it to Consensus::subscribe_decided. Keeps the last 64 slots.
  void on_decided(const core::Duty& duty, const core::UnsignedDataSet& set);

  /// Called after each voluntary exit sent to the beacon node: the validator, the exit's epoch and the BN's
  /// refusal ("" when accepted). Io thread. (The operator API reports exits per validator with it.)
  using ExitFn = std::function<void(const core::PubKey&, Epoch, std::string_view error)>;
  /// Registers `fn` for submitted exits.
  void subscribe_exits(ExitFn fn) { exit_subs_.push_back(std::move(fn)); }

 private:
  /// Backoff state of one kind of bulk call.
  struct Backoff {
    std::chrono::steady_clock::time_point retry_at{};
    Duration next{};
  };
  /// Whether `b` lets a call go now.
  static bool may_call(const Backoff& b);
  /// Records a failed (`ok` false) or successful call of `b`'s kind.
  void note(Backoff& b, bool ok) const;
  struct CachedValidator {
    core::ValidatorRef ref;
    std::chrono::steady_clock::time_point fetched{};
  };

  std::optional<eth::ChainConfig> config_;  // set by chain_config()
  beaconapi::http::BeaconNodeClient& client_;
  BulkCallOptions bulk_;
  std::map<core::PubKey, CachedValidator> validator_cache_;
  Backoff validators_backoff_, attester_backoff_, sync_backoff_;
  std::map<Slot, beaconapi::VersionedProducedBlock> decided_blocks_;
  std::vector<ExitFn> exit_subs_;
};

/// `data.connected` of a getPeerCount answer (GET /eth/v1/node/peer_count, a decimal string); nullopt when the
/// body is not that.
std::optional<std::uint64_t> parse_peer_count(std::string_view body);
/// The entries of a getPeers answer (GET /eth/v1/node/peers) whose `state` is "connected"; nullopt when the body
/// is not a `data` array of objects.
std::optional<std::uint64_t> parse_connected_peers(std::string_view body);
/// The beacon node's connected peers (readiness bn_no_peers): getPeerCount, or, from a BN that does not serve it
/// (404/405, remembered by the client as a missing route), getPeers?state=connected. nullopt: unknown (no answer,
/// or a malformed one).
runtime::Task<std::optional<std::uint64_t>> bn_peer_count(beaconapi::http::BeaconNodeClient& client);

}  // namespace phx::app

PHX_ERROR_ENUM_TRAIT(phx::app::BeaconError)
