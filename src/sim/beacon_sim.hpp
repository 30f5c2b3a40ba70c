#pragma once
/// Beacon-node simulator: serves the Beacon API a validator client and a DV node need, for every duty and
/// every fork phase0 … fulu of the configured ChainConfig (mainnet preset), and VERIFIES every submitted
/// signature against the validator's full public key with the domain consensus-specs prescribes, counting
/// accepted and rejected submissions per duty kind and reason:
///   attestations (DOMAIN_BEACON_ATTESTER; phase0 Attestation before electra, SingleAttestation from electra),
///   blocks full and blinded (scheduled proposer, RANDAO reveal with DOMAIN_RANDAO, block signature with
///   DOMAIN_BEACON_PROPOSER, a second different block for a slot counts as equivocation),
///   aggregate_and_proofs (selection proof with DOMAIN_SELECTION_PROOF, is_aggregator, aggregator in the
///   committee, the inner aggregate's data and its aggregate signature against the attesting members' keys,
///   the outer signature with DOMAIN_AGGREGATE_AND_PROOF),
///   sync committee messages (member of the period's sync committee, DOMAIN_SYNC_COMMITTEE, a known block
///   root), contributions (selection proof with DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF,
///   is_sync_committee_aggregator, aggregator in the subcommittee, contribution signature against the members'
///   keys, outer signature with DOMAIN_CONTRIBUTION_AND_PROOF), builder registrations
///   (DOMAIN_APPLICATION_BUILDER, genesis fork version), voluntary exits (EIP-7044 from deneb),
///   prepare_beacon_proposer (known validator, counted).
/// GET /eth/v1/events streams a `head` (and `block`) event at each slot start (the simulated chain has a block at
/// every slot) with the spec's dependent roots, and keep-alive comments; unknown topics are refused with 400.
/// Duties are assigned deterministically from a seed; each endpoint is one small handler. Not a consensus
/// client: no state transition; block roots and checkpoints are derived from the seed, produced blocks carry
/// the slot, scheduled proposer, derived parent root, the given RANDAO reveal and a deterministic execution
/// payload (or its header when blinded), empty operations.
/// Spec: ethereum/beacon-APIs; consensus-specs phase0/validator.md, altair/validator.md, electra/validator.md,
/// deneb/beacon-chain.md (EIP-7044); builder-specs.
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "base/clock.hpp"
#include "beaconapi/http/events.hpp"
#include "beaconapi/http/router.hpp"
#include "beaconapi/http/types.hpp"
#include "beaconapi/versioned.hpp"
#include "crypto/bls/bls.hpp"
#include "eth/fork.hpp"
#include "eth/types.hpp"
#include "sim/slashing_oracle.hpp"
#include "ssz/json.hpp"

namespace phx::sim {

namespace http = beaconapi::http;

/// One simulated validator.
struct SimValidator {
  eth::BLSPubkey pubkey{};
  ValidatorIndex index{};
};

/// Simulator settings.
struct BeaconSimConfig {
  eth::ChainConfig chain;                ///< fork schedule, genesis time and root, slot timing
  std::vector<SimValidator> validators;  ///< indices must be distinct
  std::uint64_t seed = 1;                ///< drives duties, block roots and checkpoints
  std::uint64_t committees_per_slot = 2;  ///< attestation committees per slot (validators spread over them)
  std::string node_version = "Phalanx-BeaconSim/0.1";  ///< getNodeVersion answer
  /// produceBlockV3 answers with a blinded block (builder payload) from bellatrix on, unless the request's
  /// builder_boost_factor is 0.
  bool builder_blocks = false;
  /// EPOCHS_PER_SYNC_COMMITTEE_PERIOD (mainnet 256; tests use less to cross periods quickly).
  std::uint64_t epochs_per_sync_committee_period = 256;
  /// GET /eth/v1/events: a ": keep-alive" comment goes out when nothing else was sent for this long.
  Duration event_keep_alive = std::chrono::seconds(5);
  /// GET /eth/v1/events: how often an open stream re-reads the clock at most (the injected clock may jump;
  /// with the system clock a stream wakes at each slot start anyway).
  Duration event_poll = std::chrono::milliseconds(100);
  /// At most this many distinct validators fill a period's sync committee (0: every validator is eligible).
  /// The committee always has SYNC_COMMITTEE_SIZE positions, drawn with repetition as on a small chain.
  std::size_t sync_committee_validators = 0;
  /// The simulated chain's whole validator set when larger than `validators` (0: just those). The others are
  /// keyless stand-ins at the indices of [0, total_validators) that `validators` does not use: they fill
  /// attestation committees (so committee lengths, and with them aggregator selection, are those of a chain
  /// this size), are scheduled to propose their share of slots and take their share of sync-committee
  /// positions, but never sign. So a cluster's validators get the duties per slot that a real chain of this
  /// size gives them (`phalanx devnet --total-validators`). Precondition: every configured index is below it.
  /// Set committees_per_slot as the chain would (committees_per_slot_for).
  std::uint64_t total_validators = 0;
  /// getPeerCount's `connected` at start; a test changes it with set_peer_count() or POST /sim/v1/peer_count
  /// (0 makes a node report bn_no_peers).
  std::uint64_t peer_count = 64;
};

/// get_committee_count_per_slot of consensus-specs phase0 for `active_validators`: active / SLOTS_PER_EPOCH /
/// TARGET_COMMITTEE_SIZE (128), clamped to [1, MAX_COMMITTEES_PER_SLOT (64)].
std::uint64_t committees_per_slot_for(std::uint64_t active_validators, std::uint64_t slots_per_epoch);

/// The duty kinds the simulator verifies and counts.
enum class SimDuty : std::uint8_t {
  kAttestation,
  kProposal,         ///< full block (publishBlockV2)
  kBlindedProposal,  ///< blinded block (publishBlindedBlockV2)
  kAggregate,        ///< SignedAggregateAndProof
  kSyncMessage,
  kSyncContribution,  ///< SignedContributionAndProof
  kBuilderRegistration,
  kVoluntaryExit,
  kPrepareProposer,
  kCommitteeSubscription,  ///< beacon_committee_subscriptions entry (what a VC, or the embedded signer, sends)
  kSyncSubscription,       ///< sync_committee_subscriptions entry
};
inline constexpr std::size_t kSimDutyCount = 11;
/// snake_case name of a duty kind ("attestation", "proposal", "blinded_proposal", "aggregate", "sync_message",
/// "sync_contribution", "builder_registration", "voluntary_exit", "prepare_proposer", "committee_subscription",
/// "sync_subscription").
const char* to_string(SimDuty d);

/// Why a submission was rejected (counted per duty kind and reason).
enum class Reject : std::uint8_t {
  kWrongFormat,         ///< container of the wrong fork for the slot (or header mismatch)
  kUnknownValidator,    ///< validator index / pubkey not in the validator set
  kNoDuty,              ///< the validator has no such duty there (committee, sync committee, subcommittee)
  kBadAggregationBits,  ///< bits do not fit the committee (or not exactly one bit for a single attestation)
  kWrongData,           ///< data differs from what the simulator served (block fields, roots, exit epoch)
  kBadSignature,        ///< the message signature does not decode or does not verify
  kWrongProposer,       ///< block proposer is not the scheduled one
  kBadRandao,           ///< randao_reveal does not verify for the proposer and epoch
  kEquivocation,        ///< a second, different block for a slot
  kBadSelectionProof,   ///< selection proof does not decode or verify
  kNotAggregator,       ///< selection proof valid but is_aggregator / is_sync_committee_aggregator is false
  kBadAggregateSignature,  ///< inner aggregate / contribution signature does not verify against the members
  kMalformed,              ///< the submitted item did not decode
};
/// Kept for existing callers: attestations use the same reasons.
using AttestationReject = Reject;
/// Human-readable reason (used in Beacon API failure messages).
const char* to_string(Reject r);
/// snake_case key of a reason (stats_json).
const char* reason_key(Reject r);

/// Submission counters of one duty kind.
struct SubmissionStats {
  std::uint64_t accepted = 0;
  std::uint64_t rejected = 0;
  std::map<Reject, std::uint64_t> by_reason;
};

/// What a cluster running every validator of the simulator should do over a slot range (see
/// BeaconSim::expected_duties for what is exact and what is a bound).
struct ExpectedDuties {
  std::uint64_t attestations = 0;            ///< exact: one per validator per epoch, at its attester slot
  std::uint64_t proposals = 0;               ///< exact: one per slot, slot 0 (genesis) excluded
  std::uint64_t aggregation_committees = 0;  ///< exact: (slot, committee) pairs with at least one validator
  std::uint64_t aggregations_min = 0;  ///< lower bound: members of committees where is_aggregator always holds
  std::uint64_t aggregations_max = 0;  ///< upper bound: every attester (is_aggregator needs the signatures)
  std::uint64_t sync_messages = 0;     ///< exact: distinct sync-committee members × slots (altair and later)
  std::uint64_t contributions_max = 0;  ///< upper bound: (member, subcommittee) pairs × slots
};

/// The simulator. Threading: used from the server's executor only.
class BeaconSim {
 public:
  /// Precondition: every configured pubkey is a valid BLS public key and indices are distinct (PHX_ASSERT:
  /// the configuration is test/devnet input, not network input); chain.valid().
  BeaconSim(BeaconSimConfig config, const Clock& clock);

  /// The routes to serve (see the file comment).
  const http::Router& router() const { return router_; }
  /// The configuration.
  const BeaconSimConfig& config() const { return config_; }
  /// Counters of attestation submissions so far (= stats(SimDuty::kAttestation)).
  const SubmissionStats& attestation_stats() const { return stats_[0]; }
  /// Counters of one duty kind.
  const SubmissionStats& stats(SimDuty d) const { return stats_[static_cast<std::size_t>(d)]; }
  /// The slashing oracle: slashable pairs among every validly signed attestation and block received
  /// (accepted or not).
  const SlashingOracle& slashing_oracle() const { return oracle_; }
  /// Counters of every duty kind, by kind.
  std::map<SimDuty, SubmissionStats> stats() const;
  /// `{"<kind>": {"accepted": n, "rejected": n, "by_reason": {"<reason_key>": n}}, …}` for every kind.
  ssz::Json stats_json() const;

  /// The peer count GET /eth/v1/node/peer_count answers from now on (also POST /sim/v1/peer_count with
  /// `{"connected": "<n>"}`: a simulator-only route for tests).
  void set_peer_count(std::uint64_t n) { peer_count_ = n; }
  /// The peer count answered now.
  std::uint64_t peer_count() const { return peer_count_; }

  /// The current slot from the injected clock (0 before genesis).
  Slot current_slot() const;
  /// Attester duties of `epoch` for `indices` (unknown indices are skipped). Deterministic in the seed.
  std::vector<http::AttesterDuty> attester_duties(Epoch epoch,
                                                  const std::vector<ValidatorIndex>& indices) const;
  /// One proposer per slot of `epoch`, drawn from the validator set.
  std::vector<http::ProposerDuty> proposer_duties(Epoch epoch) const;
  /// The AttestationData served for (slot, committee_index); `index` is 0 from electra on (EIP-7549).
  eth::phase0::AttestationData attestation_data(Slot slot, std::uint64_t committee_index) const;
  /// Dependent root of `epoch`'s attester duties (getAttesterDuties `dependent_root`): the block root at the last
  /// slot of epoch - 2, i.e. get_block_root_at_slot(compute_start_slot_at_epoch(epoch - 1) - 1); the genesis block
  /// root for epochs 0 and 1.
  Root attester_dependent_root(Epoch epoch) const;
  /// Dependent root of `epoch`'s proposer duties (getProposerDuties `dependent_root`): the block root at the last
  /// slot of epoch - 1 (get_block_root_at_slot(compute_start_slot_at_epoch(epoch) - 1)); genesis for epoch 0.
  Root proposer_dependent_root(Epoch epoch) const;
  /// Root of the simulated block at `slot` (what attestation data, sync messages and parent_root use). Every
  /// slot has a block; slot 0's is the genesis block.
  Root block_root(Slot slot) const;
  /// State root after the simulated block at `slot` (the produced block's state_root).
  Root state_root(Slot slot) const;
  /// The `head` event of the chain whose head is the block at `slot`: block and state roots, epoch_transition
  /// at an epoch's first slot, previous_duty_dependent_root = attester_dependent_root(epoch(slot)),
  /// current_duty_dependent_root = proposer_dependent_root(epoch(slot)).
  http::HeadEvent head_event(Slot slot) const;

  /// The sync committee (SYNC_COMMITTEE_SIZE validator indices, by position) of `epoch`'s sync-committee
  /// period; empty before altair. Deterministic in the seed. Simplification: a message or contribution of
  /// slot s is checked against the committee of epoch(s), also at a period's last slot (where consensus-specs
  /// would use the next period's committee); its beacon_block_root must be the simulated root of s or of one
  /// of the 64 slots before.
  std::vector<ValidatorIndex> sync_committee(Epoch epoch) const;
  /// Sync committee duties of `indices` in `epoch` (members only; unknown indices skipped).
  std::vector<http::SyncCommitteeDuty> sync_committee_duties(Epoch epoch,
                                                             const std::vector<ValidatorIndex>& indices) const;
  /// What a cluster running all configured validators should do in slots [from, to). attestations,
  /// proposals, aggregation_committees and sync_messages are exact; aggregations_min/max and
  /// contributions_max bound the aggregator duties whose selection depends on signatures (with committees
  /// shorter than 2 × TARGET_AGGREGATORS_PER_COMMITTEE every member is an aggregator, so min = max there).
  ExpectedDuties expected_duties(Slot from, Slot to) const;

  /// produceBlockV3: checks the RANDAO reveal of the slot's proposer, then builds the slot's block (blinded
  /// when builder_blocks, fork ≥ bellatrix and builder_boost_factor != 0). Errors: a message for a 400.
  Result<beaconapi::ProduceBlockV3Response, std::string> produce_block(
      Slot slot, const eth::BLSSignature& randao_reveal, const Root& graffiti,
      std::optional<std::uint64_t> builder_boost_factor = std::nullopt) const;
  /// The aggregate of the accepted attestations for (slot, data root, committee); nullopt when none.
  std::optional<beaconapi::VersionedAttestation> aggregate_attestation(Slot slot, const Root& data_root,
                                                                       std::uint64_t committee_index) const;
  /// The contribution aggregating accepted sync messages for (slot, subcommittee, root); nullopt when none.
  std::optional<eth::altair::SyncCommitteeContribution> sync_committee_contribution(
      Slot slot, std::uint64_t subcommittee_index, const Root& beacon_block_root) const;

  /// Verifies a full block (publishBlockV2). Counts under kProposal.
  Result<void, Reject> submit_block(const beaconapi::VersionedSignedProducedBlock& block);
  /// Verifies a blinded block (publishBlindedBlockV2). Counts under kBlindedProposal.
  Result<void, Reject> submit_blinded_block(const beaconapi::VersionedSignedBlindedBeaconBlock& block);
  /// Verifies a SignedAggregateAndProof. Counts under kAggregate.
  Result<void, Reject> submit_aggregate(const beaconapi::VersionedSignedAggregateAndProof& item);
  /// Verifies a SyncCommitteeMessage (and pools it for contributions). Counts under kSyncMessage.
  Result<void, Reject> submit_sync_message(const eth::altair::SyncCommitteeMessage& msg);
  /// Verifies a batch of sync committee messages: the messages of one (slot, root) share a signing root and
  /// are checked with one randomised same-message check (crypto::threshold::find_invalid_partials, which
  /// bisects to the bad ones). One result per message, in order; each counted under kSyncMessage.
  std::vector<Result<void, Reject>> submit_sync_messages(std::span<const eth::altair::SyncCommitteeMessage> msgs);
  /// Verifies a SignedContributionAndProof. Counts under kSyncContribution.
  Result<void, Reject> submit_contribution(const eth::altair::SignedContributionAndProof& item);
  /// Verifies a builder registration. Counts under kBuilderRegistration.
  Result<void, Reject> submit_registration(const eth::phase0::SignedValidatorRegistrationV1& reg);
  /// Verifies a voluntary exit at the clock's current epoch. Counts under kVoluntaryExit. An accepted exit
  /// initiates the validator's exit: from then on GET validators shows it "active_exiting" with an exit epoch
  /// (current + 1 + MAX_SEED_LOOKAHEAD, no churn limit) and a withdrawable epoch 256 epochs later.
  Result<void, Reject> submit_exit(const eth::phase0::SignedVoluntaryExit& exit);
  /// Accepts a proposer preparation of a known validator. Counts under kPrepareProposer.
  Result<void, Reject> submit_preparation(const http::ProposerPreparation& prep);
  /// Accepts a committee subnet subscription of a known validator. Counts under kCommitteeSubscription.
  Result<void, Reject> submit_committee_subscription(const http::BeaconCommitteeSubscription& sub);
  /// Accepts a sync committee subnet subscription of a known validator. Counts under kSyncSubscription.
  Result<void, Reject> submit_sync_subscription(const http::SyncCommitteeSubscription& sub);
  /// Counts a submission that did not decode (kMalformed) under `kind`.
  void count_malformed(SimDuty kind);

  /// Verifies a pre-electra attestation (exactly one aggregation bit). Counts the outcome.
  Result<void, AttestationReject> submit(const eth::phase0::Attestation& att);
  /// Verifies an electra SingleAttestation. Counts the outcome.
  Result<void, AttestationReject> submit(const eth::electra::SingleAttestation& att);
  /// Verifies a batch (one pool submission): attestations over the same AttestationData are checked with one
  /// randomised same-message check (find_invalid_partials bisects to the bad ones). One result per item.
  std::vector<Result<void, Reject>> submit_attestations(std::span<const eth::phase0::Attestation> atts);
  /// The electra SingleAttestation batch.
  std::vector<Result<void, Reject>> submit_attestations(std::span<const eth::electra::SingleAttestation> atts);

 private:
  struct Assignment {
    Slot slot{};
    std::uint64_t committee_index = 0;
    std::uint64_t committee_length = 0;
    std::uint64_t position = 0;
  };
  struct EpochAssignments {
    std::map<ValidatorIndex, Assignment> by_validator;
    /// (slot, committee_index) → members by position.
    std::map<std::pair<std::uint64_t, std::uint64_t>, std::vector<ValidatorIndex>> committees;
  };
  /// Accepted single attestations of one (slot, committee, data root), by committee position.
  struct PoolEntry {
    eth::phase0::AttestationData data{};
    std::uint64_t committee_length = 0;
    std::map<std::uint64_t, crypto::bls::Signature> by_position;
  };
  /// Every validator's assignment in `epoch` (cached per epoch).
  const EpochAssignments& epoch_assignments(Epoch epoch) const;
  const std::map<ValidatorIndex, Assignment>& assignments(Epoch epoch) const {
    return epoch_assignments(epoch).by_validator;
  }
  Root derive(std::string_view label, std::uint64_t a, std::uint64_t b = 0) const;
  const crypto::bls::PublicKey* key_of(ValidatorIndex v) const;
  /// Whether keyless stand-ins fill the set up to config_.total_validators.
  bool has_stand_ins() const { return config_.total_validators > config_.validators.size(); }
  /// The number of validators of the simulated chain.
  std::uint64_t chain_validators() const {
    return has_stand_ins() ? config_.total_validators : config_.validators.size();
  }
  /// The validator scheduled to propose at `slot` (may be a keyless stand-in). Precondition: validators exist.
  ValidatorIndex proposer_at(Slot slot) const;
  /// The public key the Beacon API shows for `v`: the configured one, or a fixed stand-in value (not a point).
  eth::BLSPubkey pubkey_of(ValidatorIndex v) const;
  /// The length of an attestation committee with `members` configured validators: `members`, or with stand-ins
  /// the length a committee of the whole set has (at least `members`).
  std::uint64_t committee_length(std::size_t members) const;
  Epoch current_epoch() const { return config_.chain.epoch_at(current_slot()); }
  /// An attestation that passed every check but the signature.
  struct PendingAttestation {
    ValidatorIndex validator{};
    eth::phase0::AttestationData data{};
    std::uint64_t committee_index = 0;
    std::uint64_t committee_length = 0;
    std::uint64_t position = 0;
    crypto::bls::Signature sig;
    bool wrong_data = false;  // not the simulator's data: the signature is still checked (slashing oracle)
  };
  Result<PendingAttestation, Reject> precheck(ValidatorIndex v, const eth::phase0::AttestationData& data,
                                              const eth::BLSSignature& sig, std::uint64_t committee_index) const;
  Result<PendingAttestation, Reject> precheck(const eth::phase0::Attestation& att) const;
  Result<PendingAttestation, Reject> precheck(const eth::electra::SingleAttestation& att) const;
  /// Batch signature check of prechecked attestations, pooling and counting.
  std::vector<Result<void, Reject>> verify_attestations(std::vector<Result<PendingAttestation, Reject>> pending);
  Result<void, Reject> count(SimDuty kind, Result<void, Reject> r);
  Result<void, Reject> count(Result<void, Reject> r) { return count(SimDuty::kAttestation, r); }
  /// Shared checks of a (blinded or full) signed block: fork, proposer, fields, RANDAO, signature,
  /// equivocation.
  template <class SignedBlock>
  Result<void, Reject> check_block(eth::Fork fork, const SignedBlock& signed_block);
  template <class AggregateAndProofT>
  Result<void, Reject> check_aggregate(eth::Fork fork, const eth::Signed<AggregateAndProofT>& item);
  void pool_attestation(const eth::phase0::AttestationData& data, std::uint64_t committee_index,
                        std::uint64_t committee_length, std::uint64_t position, const crypto::bls::Signature& sig);
  /// Whether `root` is the simulated block root of `slot` or of one of the kKeepSlots slots before it.
  bool known_block_root(Slot slot, const Root& root) const;
  void add_routes();
  void add_duty_routes();
  /// GET /eth/v1/events (beacon_sim_events.cpp).
  void add_event_routes();
  /// One subscriber's stream: `head` / `block` events at each new slot (if subscribed), keep-alive comments.
  runtime::Task<void> serve_events(http::StreamSink& sink, bool head, bool block) const;

  BeaconSimConfig config_;
  const Clock& clock_;
  std::uint64_t peer_count_ = 64;  // getPeerCount's connected (set_peer_count)
  std::map<ValidatorIndex, std::size_t> by_index_;
  std::map<eth::BLSPubkey, ValidatorIndex> by_pubkey_;
  std::vector<crypto::bls::PublicKey> keys_;
  mutable std::map<Epoch, EpochAssignments> assignment_cache_;
  mutable std::map<std::uint64_t, std::vector<ValidatorIndex>> sync_committee_cache_;  ///< by period
  std::array<SubmissionStats, kSimDutyCount> stats_{};
  /// (slot, committee_index, data root) → accepted attestations (pruned to the last two epochs).
  std::map<std::tuple<std::uint64_t, std::uint64_t, Root>, PoolEntry> attestation_pool_;
  /// (slot, beacon_block_root) → accepted sync messages by validator (pruned to the last two epochs).
  std::map<std::pair<std::uint64_t, Root>, std::map<ValidatorIndex, crypto::bls::Signature>> sync_pool_;
  /// slot → root of the first accepted block (equivocation check; pruned).
  std::map<std::uint64_t, Root> published_blocks_;
  SlashingOracle oracle_;
  /// Roots of accepted signed aggregates and contributions by slot (the last kKeepSlots slots): an identical
  /// re-submission is accepted without verifying again, like a beacon node's seen-cache (every node of a
  /// cluster submits the same recombined aggregate). Attestations and sync messages use their pools for this.
  std::map<std::uint64_t, std::set<Root>> seen_items_;
  bool seen_before(Slot slot, const Root& item_root) const;
  void remember(Slot slot, const Root& item_root);
  /// Exit epochs of validators whose voluntary exit was accepted.
  std::map<ValidatorIndex, Epoch> exit_epochs_;
  /// Fee recipients from prepare_beacon_proposer (used in produced execution payloads).
  std::map<ValidatorIndex, eth::ExecutionAddress> fee_recipients_;
  http::Router router_;
};

}  // namespace phx::sim
