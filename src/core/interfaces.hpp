#pragma once
/// The ports of the duty workflow (GUIDE §2): `core` talks to these abstract classes only; `app` wires the
/// real adapters (BN client, QBFT driver over p2p, parsig exchange, slashing DB, share signer), tests wire
/// doubles. Threading: everything runs on the node's one io thread. Calls that do I/O towards the beacon node
/// are coroutines (runtime::Task); consensus and the partial-signature exchange are fire-and-forget sends
/// whose results come back through the subscription functions, on the same thread.
#include <functional>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "base/clock.hpp"
#include "core/types.hpp"
#include "runtime/runtime.hpp"

namespace phx::core {

using runtime::Task;

/// A validator of one duty as the beacon node reports it (duty definition). Fields not used by a duty type
/// stay zero / empty.
struct DutyDefinition {
  PubKey pubkey{};                              ///< the DV key
  ValidatorIndex validator_index{};             ///< beacon chain index
  eth::CommitteeIndex committee_index = 0;      ///< attester/aggregator: committee
  std::uint64_t committee_length = 0;           ///< attester/aggregator: committee size
  std::uint64_t committees_at_slot = 0;         ///< attester/aggregator: committees in the slot
  std::uint64_t validator_committee_index = 0;  ///< attester: position in the committee
  std::vector<std::uint64_t> sync_committee_indices;  ///< sync duties: positions in the sync committee
  bool operator==(const DutyDefinition&) const = default;
};

/// A cluster validator known to the beacon node.
struct ValidatorRef {
  PubKey pubkey{};                  ///< the DV key
  ValidatorIndex index{};           ///< beacon chain index
  bool active = false;              ///< status is active_* (may attest and propose)
};

/// An attester duty of one validator (getAttesterDuties).
struct AttesterDutyDef {
  Slot slot{};
  DutyDefinition def;
};
/// A proposer duty (getProposerDuties).
struct ProposerDutyDef {
  Slot slot{};
  PubKey pubkey{};
  ValidatorIndex validator_index{};
};
/// Attester duties of an epoch with the block root they depend on (the BN's `dependent_root`: the block at the
/// last slot of epoch − 2; a different root later means a reorg changed them).
struct AttesterDuties {
  Root dependent_root{};
  std::vector<AttesterDutyDef> duties;
};
/// Proposer duties of an epoch with their `dependent_root` (the block at the last slot of epoch − 1; from fulu,
/// with its proposer lookahead, epoch − 2).
struct ProposerDuties {
  Root dependent_root{};
  std::vector<ProposerDutyDef> duties;
};
/// A new head block, as the BN's `head` event reports it: the duties whose dependent root it changes are asked
/// for again (Scheduler::on_head).
struct HeadEvent {
  Slot slot{};
  Root block{};
  Root previous_duty_dependent_root{};  ///< the block root at the last slot of (the head's epoch − 2)
  Root current_duty_dependent_root{};   ///< the block root at the last slot of (the head's epoch − 1)
};
/// A sync-committee membership for a whole epoch (getSyncCommitteeDuties).
struct SyncDutyDef {
  DutyDefinition def;  ///< pubkey, validator_index, sync_committee_indices
};

/// One aggregate to hand to the beacon node, with the duty definition it was made for (attestations need the
/// committee position and the validator index to build the submitted container).
struct Submission {
  PubKey pubkey{};     ///< the DV key
  DutyDefinition def;  ///< the validator's duty definition (empty for duties that need none)
  SignedData data;     ///< the aggregate
};

/// A committee subnet subscription (prepareBeaconCommitteeSubnet): what a validator client tells its BN about an
/// attester duty so the BN joins the subnet and, for an aggregator, pools the subnet's attestations.
struct CommitteeSubscription {
  ValidatorIndex validator_index{};
  eth::CommitteeIndex committee_index = 0;
  std::uint64_t committees_at_slot = 0;
  Slot slot{};
  bool is_aggregator = false;
  bool operator==(const CommitteeSubscription&) const = default;
};
/// A sync-committee subnet subscription (prepareSyncCommitteeSubnets), valid until `until_epoch`.
struct SyncCommitteeSubscription {
  ValidatorIndex validator_index{};
  std::vector<std::uint64_t> sync_committee_indices;
  Epoch until_epoch{};
  bool operator==(const SyncCommitteeSubscription&) const = default;
};
/// A proposer preparation (prepareBeaconProposer): the fee recipient the BN puts in the validator's payloads.
struct ProposerPreparation {
  ValidatorIndex validator_index{};
  eth::ExecutionAddress fee_recipient{};
  bool operator==(const ProposerPreparation&) const = default;
};

/// The beacon node (or a fallback group of them). Errors are the adapter's (timeout, HTTP status, bad body)
/// as std::error_code; a coroutine never throws for a bad answer.
class BeaconNode {
 public:
  virtual ~BeaconNode() = default;
  /// The chain's configuration (genesis, spec, fork schedule), read once at start.
  virtual Task<Result<eth::ChainConfig>> chain_config() = 0;
  /// The cluster validators the BN knows (unknown keys are left out).
  virtual Task<Result<std::vector<ValidatorRef>>> validators(std::vector<PubKey> pubkeys) = 0;
  /// Attester duties of `epoch` for `indices`.
  virtual Task<Result<AttesterDuties>> attester_duties(Epoch epoch, std::vector<ValidatorIndex> indices) = 0;
  /// Proposer duties of `epoch` (every proposer of the epoch; the caller filters its own).
  virtual Task<Result<ProposerDuties>> proposer_duties(Epoch epoch) = 0;
  /// Sync-committee duties of `epoch` for `indices` (empty before altair).
  virtual Task<Result<std::vector<SyncDutyDef>>> sync_duties(Epoch epoch, std::vector<ValidatorIndex> indices) = 0;

  /// produceAttestationData.
  virtual Task<Result<eth::phase0::AttestationData>> attestation_data(Slot slot,
                                                                      eth::CommitteeIndex committee_index) = 0;
  /// produceBlockV3 with the cluster's full RANDAO reveal: ProposalData, or BlindedProposalData when the BN
  /// returns a builder block (only when `builder` is true).
  virtual Task<Result<UnsignedData>> produce_block(Slot slot, eth::BLSSignature randao_reveal, Root graffiti,
                                                   bool builder) = 0;
  /// getAggregatedAttestation for the attestation data root (and committee, from electra on).
  virtual Task<Result<AggregatedAttestationData>> aggregate_attestation(Slot slot, Root attestation_data_root,
                                                                        eth::CommitteeIndex committee_index) = 0;
  /// The head block root that sync-committee members sign at `slot` (getBlockRoot "head").
  virtual Task<Result<Root>> head_block_root(Slot slot) = 0;
  /// produceSyncCommitteeContribution.
  virtual Task<Result<eth::altair::SyncCommitteeContribution>> sync_contribution(Slot slot,
                                                                                std::uint64_t subcommittee_index,
                                                                                Root beacon_block_root) = 0;
  /// Submits the aggregates of `duty` (one call per duty type: attestations, block, aggregates, sync
  /// messages, contributions, registrations, exits). RANDAO reveals and selection proofs are never submitted.
  virtual Task<Result<void>> submit(Duty duty, std::vector<Submission> aggregates) = 0;

  /// Embedded mode (the node is the validator client): the subscriptions and preparations a VC sends.
  virtual Task<Result<void>> subscribe_committees(std::vector<CommitteeSubscription> subscriptions) = 0;
  /// Embedded mode: sync-committee subnet subscriptions.
  virtual Task<Result<void>> subscribe_sync_committees(std::vector<SyncCommitteeSubscription> subscriptions) = 0;
  /// Embedded mode: fee recipients for the validators' proposals.
  virtual Task<Result<void>> prepare_proposers(std::vector<ProposerPreparation> preparations) = 0;
};

/// Cluster consensus over one value per duty (a QBFT instance per duty in the adapter). Runs on the io thread.
class Consensus {
 public:
  /// Called once per decided duty with the agreed set.
  using DecidedFn = std::function<void(const Duty&, const UnsignedDataSet&)>;
  virtual ~Consensus() = default;
  /// Proposes this node's value for `duty` (starts the instance if needed). Errors: the adapter's.
  virtual Result<void> propose(const Duty& duty, const UnsignedDataSet& value) = 0;
  /// Registers `fn` for decisions (all subscribers see every decision, in order).
  virtual void subscribe_decided(DecidedFn fn) = 0;
  /// Called when the operator of share `share_idx` is proven to have misbehaved in `duty`'s consensus (two
  /// validly signed conflicting messages for one round).
  using MisbehaviourFn = std::function<void(const Duty&, ShareIdx)>;
  /// Registers `fn` for proven consensus misbehaviour. Default: never reported (an implementation that
  /// cannot prove any).
  virtual void subscribe_misbehaviour(MisbehaviourFn /*fn*/) {}
};

/// Exchange of partial signatures with the other operators.
class ParSigExchange {
 public:
  /// Called for each partial received from a peer: duty, pubkey, partial (untrusted: goes to ParSigDB).
  using ReceivedFn = std::function<void(const Duty&, const PubKey&, const ParSignedData&)>;
  virtual ~ParSigExchange() = default;
  /// Sends this node's partials of `duty` (pubkey → partial) to every peer.
  virtual Result<void> broadcast(const Duty& duty,
                                 std::span<const std::pair<PubKey, ParSignedData>> partials) = 0;
  /// Registers `fn` for received partials.
  virtual void subscribe_received(ReceivedFn fn) = 0;
};

/// One message to sign for a validator.
struct SignItem {
  PubKey pubkey{};
  SignedMessage message;
};

/// Signs with this node's key shares (embedded mode, no external VC). Implementations keep the secrets
/// (move-only, zeroized) and sign in constant time. The Workflow consults the SlashingGuard before it asks
/// for any signature and calls the signer on its BLS worker thread (one at a time): implementations must not
/// touch io-thread state.
class Signer {
 public:
  virtual ~Signer() = default;
  /// False while the key share of `pubkey` is not loaded yet (a node starts serving duties while its keystores
  /// are still being decrypted); such a duty fails with Reason::kKeyNotLoaded before the slashing guard.
  virtual bool ready(const PubKey& pubkey) const {
    (void)pubkey;
    return true;
  }
  /// This node's partial signature over `message` for the validator `pubkey`. Errors: unknown pubkey,
  /// CoreError::kKeyNotLoaded.
  virtual Result<ParSignedData> sign(const Duty& duty, const PubKey& pubkey, const SignedMessage& message) = 0;
  /// Result i signs items[i]. The default signs one by one; implementations may share work between items
  /// (e.g. hash a signing root common to many validators once).
  virtual std::vector<Result<ParSignedData>> sign_batch(const Duty& duty, const std::vector<SignItem>& items) {
    std::vector<Result<ParSignedData>> out;
    out.reserve(items.size());
    for (const auto& it : items) out.push_back(sign(duty, it.pubkey, it.message));
    return out;
  }
};

/// Slashing protection consulted before any signature leaves the node. Fails closed: an error means "do not
/// sign".
class SlashingGuard {
 public:
  virtual ~SlashingGuard() = default;
  /// Checks and records `message` for `pubkey` (blocks and attestations; other kinds pass). Errors:
  /// slashable, or any storage failure.
  virtual Result<void> check_and_record(const PubKey& pubkey, const SignedMessage& message) = 0;
};

/// Whether this node may release signatures for a validator now (doppelganger protection: app wires
/// core::DoppelgangerWatch). Consulted before the SlashingGuard; a refusal withholds the partial without failing
/// the duty (the peers may still complete it). Io thread.
class SigningGate {
 public:
  virtual ~SigningGate() = default;
  /// True when this node may sign for `pubkey`.
  virtual bool may_sign(const PubKey& pubkey) const = 0;
};

/// The clock port is phx::Clock (base/clock.hpp): SystemClock in production, ManualClock in tests.
using ClockPort = Clock;

}  // namespace phx::core
