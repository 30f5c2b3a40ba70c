#pragma once
/// Workflow: one node's duty workflow (Charon core.Wire): Scheduler → Fetcher → Consensus → DutyDB →
/// (validator client through the validator API | embedded Signer) → own partials (SlashingGuard first) →
/// ParSigDB + ParSigExchange → SigAgg (one batch per duty) → AggSigDB → BeaconNode::submit. The Deadliner
/// evicts every store; the Tracker records each duty's path and, on failure, why; every finished duty yields
/// a DutyResult (tracker report + latencies) for the subscribers and bumps WorkflowMetrics.
///
/// Threading: everything runs on the executor given at construction (the node's one io thread), except the BLS
/// work — the embedded Signer's batches and SigAgg — which runs on one worker thread owned by the Workflow
/// (WorkflowOptions::bls_off_thread) and touches nothing else; every method must be called from the io thread. All I/O goes through the ports (interfaces.hpp), so the whole
/// workflow runs in tests with doubles and a virtual clock (WorkflowOptions::sleep_until).
///
/// Safety: nothing is signed or accepted from this node's validator client twice differently for one
/// (duty, pubkey); the embedded signer is asked only for what SlashingGuard::check_and_record allowed, and own
/// partials pass it again before they leave the node (a refusal is a tracked failure); nothing decided is overwritten (DutyDB); at most one aggregate per (duty, pubkey) is
/// submitted (AggSigDB).
#include <array>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "base/clock.hpp"
#include "core/aggsigdb.hpp"
#include "core/deadliner.hpp"
#include "core/dutydb.hpp"
#include "core/fetcher.hpp"
#include "core/interfaces.hpp"
#include "core/parsigdb.hpp"
#include "core/preparation.hpp"
#include "core/scheduler.hpp"
#include "core/sigagg.hpp"
#include "core/tracker.hpp"
#include "core/types.hpp"
#include "runtime/runtime.hpp"

namespace phx::core {

/// Who signs with this node's key shares.
enum class SigningMode : std::uint8_t {
  kValidatorClient,  ///< an external VC signs through the validator API (submit_own_partials)
  kEmbedded,         ///< the Workflow signs through the Signer port
};

/// Configuration of a Workflow.
struct WorkflowOptions {
  SigningMode mode = SigningMode::kValidatorClient;  ///< who signs
  ShareIdx share_idx{1};             ///< this node's share index (operator index + 1)
  bool builder = false;              ///< request blinded blocks; sign builder registrations (embedded)
  eth::ExecutionAddress fee_recipient{};  ///< builder registrations (embedded mode) and proposer preparations
  /// Per-validator fee recipients (the lock's); validators not listed use `fee_recipient`.
  std::map<PubKey, eth::ExecutionAddress> fee_recipients;
  std::uint64_t gas_limit = 30'000'000;   ///< builder registrations (embedded mode)
  Root graffiti{};                        ///< graffiti of produced blocks
  unsigned sigagg_threads = 1;            ///< threads SigAgg may use (its worker thread included)
  /// Run the BLS work — embedded signing (~0.2-0.4 ms per validator) and SigAgg (recombination + verification,
  /// ~0.2 ms per validator) — on one worker thread so that the io thread stays responsive (validator API, p2p,
  /// QBFT timers); results come back to the io thread. False: on the io thread (simpler to debug).
  bool bls_off_thread = true;
  /// Duty types the scheduler does not start (feature switches, benchmarks). Decisions and partials of these
  /// types from peers are still handled.
  std::set<DutyType> skip_duties;
  /// Extra time after a slot ends before its duties expire; default (zero) means 1/3 of a slot.
  Duration deadline_margin{0};
  /// Suspends until the injected clock reads ≥ the given time. Default: an Asio steady timer over the
  /// difference to Clock::now(), re-checked after waking. Tests replace it with a virtual-time hook.
  std::function<Task<void>(TimePoint)> sleep_until;
};

/// The ports a Workflow talks to (none owned; all must outlive the Workflow). `signer` may be null in
/// validator-client mode.
struct WorkflowPorts {
  BeaconNode& beacon_node;     ///< BN (or fallback group)
  Consensus& consensus;        ///< cluster consensus per duty
  ParSigExchange& parsigex;    ///< partial-signature exchange with the peers
  SlashingGuard& guard;        ///< slashing protection (fails closed)
  Signer* signer = nullptr;    ///< embedded signer (required in kEmbedded mode)
  const Clock& clock;          ///< "what time is it"
  /// Doppelganger protection: own partials of validators it refuses are withheld. nullptr: always allowed.
  const SigningGate* gate = nullptr;
};

/// One finished duty: the tracker's verdict and the latencies measured on this node.
struct DutyResult {
  DutyReport report;                       ///< success / failed step / reason / missing / blamed
  std::size_t validators = 0;              ///< validators of the cluster in the duty
  std::optional<Duration> consensus;       ///< propose → decided (duties with consensus)
  std::optional<Duration> partial_to_submit;  ///< first own partial → last aggregate submitted/stored
};

/// One JSON object on one line (no trailing newline) for the duty report file (`--duty-report-file`, read by
/// `phalanx devnet`):
/// {"duty":"attester","slot":123,"success":true,"last_step":"broadcast","failed_step":null,"reason":"",
///  "missing":[2],"blamed":[],"validators":4,"consensus_ms":12.5,"e2e_ms":30.1}
/// ("subcommittee" after "slot" for per-subcommittee duties; latencies null when not measured; e2e_ms = first
/// own partial → last aggregate submitted; `"expected":true` at the end for a failure with a known
/// configuration-level cause, DutyReport::expected; `reason` JSON-escaped), then the explanation fields:
/// "code" (docs/reasons.md), "finished_ms", "round"/"round_decided" (when known), "timeline" [{"t_ms","event",
/// "share"?}] and "partials" [{"share","t_ms","count","late"?}], offsets in ms from the slot start.
/// core::parse_duty_line (explain_log.hpp) reads it back. Format: docs/formats/operator-api.md.
std::string to_json_line(const DutyResult& result);

/// Counters as a plain struct (the app maps them to Prometheus). Index arrays by DutyType value.
struct WorkflowMetrics {
  std::array<std::uint64_t, kDutyTypeCount + 1> duties_succeeded{};  ///< by DutyType value
  std::array<std::uint64_t, kDutyTypeCount + 1> duties_failed{};     ///< by DutyType value
  std::uint64_t consensus_count = 0;         ///< decided duties timed
  Duration consensus_duration_sum{0};        ///< sum of propose → decided
  std::uint64_t partial_latency_count = 0;   ///< duties timed from first own partial to submission
  Duration partial_latency_sum{0};           ///< sum of those latencies
  std::uint64_t own_partials = 0;            ///< own partials broadcast
  std::uint64_t partials_received = 0;       ///< peers' partials accepted by ParSigDB
  std::uint64_t partials_rejected = 0;       ///< peers' partials refused (expired, unknown, malformed…)
  std::uint64_t equivocations = 0;           ///< peers' partials refused as equivocations
  std::uint64_t consensus_equivocations = 0; ///< peers proven to equivocate in consensus (QBFT messages)
  std::uint64_t blamed_partials = 0;         ///< partials found invalid by SigAgg
  std::uint64_t slashing_refusals = 0;       ///< own partials refused by the SlashingGuard
  std::uint64_t doppelganger_withheld = 0;   ///< own partials withheld by the SigningGate (doppelganger watch)
  std::uint64_t signer_errors = 0;           ///< embedded signer failures
  std::uint64_t keys_not_loaded = 0;         ///< signatures not made: the key share was still being decrypted
  std::uint64_t beacon_errors = 0;           ///< failed BN calls (fetch, duties, submit)
  std::uint64_t fetch_retries = 0;           ///< fetches repeated after a failure (within the duty's slot)
  std::uint64_t aggregates = 0;              ///< aggregates stored
  std::uint64_t submissions = 0;             ///< aggregates submitted to the BN
  std::uint64_t head_events = 0;             ///< head events from the BN (on_head)
  std::uint64_t future_heads = 0;            ///< head events for a slot after the clock's next one (ignored)
  std::uint64_t duty_refreshes = 0;          ///< duty lookups a head event caused (changed dependent root)
  std::uint64_t early_triggers = 0;          ///< attester/sync-message duties started by their slot's head
};

/// The duty workflow of one node.
class Workflow {
 public:
  /// Called for each finished duty (success or failure), on the io thread.
  using ResultFn = std::function<void(const DutyResult&)>;
  /// Called when an epoch's duties are resolved or its proposers refreshed, on the io thread.
  using DutiesFn = std::function<void(Epoch, const EpochDuties&)>;

  /// A workflow for the cluster in `keys` (not owned; must outlive this object) on `config`, running on
  /// `ex`. Subscribes to the consensus and parsigex ports at once (so nothing decided or received is
  /// missed). Preconditions: options.share_idx in 1..keys.share_count(); a signer in kEmbedded mode.
  Workflow(runtime::Executor ex, const eth::ChainConfig& config, const KeyBook& keys, WorkflowPorts ports,
           WorkflowOptions options);
  /// Stops the task group; the coroutines must have finished (co_await stop() first).
  ~Workflow();
  Workflow(const Workflow&) = delete;
  Workflow& operator=(const Workflow&) = delete;

  /// Starts the scheduler loop (resolves validators and duties, then triggers duties at their ticks) and
  /// the deadliner. Returns at once; BN errors at start are retried each slot.
  void start();
  /// Stops every coroutine and waits for them; pending VC-API waits end with RuntimeError::kClosed. Call (and
  /// await) before destruction when started; VC-API callers must be gone before destruction too.
  Task<void> stop();
  /// A new head from the BN (its `head` event; io thread). Duties whose dependent root the head changes are
  /// asked for again (a proposal at the next epoch's first slot is known once the head reaches the last slot
  /// of this epoch), and the head for the current slot starts that slot's attester and sync-message duties
  /// before 1/3 of the slot. Without events the node behaves as before (ticks and epoch-start refresh).
  void on_head(const HeadEvent& head);
  /// Registers `fn` for finished duties.
  void subscribe_results(ResultFn fn);
  /// Registers `fn` for resolved duties (the start-up key loader decrypts the keys of upcoming duties first).
  void subscribe_duties(DutiesFn fn);
  /// The counters.
  const WorkflowMetrics& metrics() const { return metrics_; }
  /// Embedded mode: what was sent to the BN as a validator client would (nullptr in VC mode).
  const PreparationStats* preparation_stats() const { return preparation_ ? &preparation_->stats() : nullptr; }
  /// The lock's fee recipient of every validator whose index is known (the validator API rewrites a VC's
  /// proposer preparations with it).
  std::map<ValidatorIndex, eth::ExecutionAddress> fee_recipients_by_index() const {
    return preparation_ ? preparation_->fee_recipients_by_index() : std::map<ValidatorIndex, eth::ExecutionAddress>{};
  }
  /// The chain configuration.
  const eth::ChainConfig& chain_config() const { return config_; }
  /// Number of signing and aggregation jobs on the BLS worker thread (test drivers of virtual time wait for 0).
  std::size_t worker_jobs_in_flight() const { return in_flight_; }
  /// The scheduler (duty definitions for the validator API).
  const Scheduler& scheduler() const { return scheduler_; }

  // ---- validator-client facing API (used by the validator-API backend); each wait ends with kExpired at
  // ---- the duty's deadline.

  /// The AttestationData decided for (slot, committee_index).
  Task<Result<eth::phase0::AttestationData>> await_attestation_data(Slot slot, eth::CommitteeIndex committee_index);
  /// Accepts this node's VC partial RANDAO reveal for `pubkey` at `slot` (already verified by the validator
  /// API) and starts the proposer path of the slot if it has not started. Errors: as submit_own_partials.
  Result<void> submit_randao(Slot slot, const PubKey& pubkey, const ParSignedData& partial);
  /// The block decided for `slot`: ProposalData, or BlindedProposalData for a builder block.
  Task<Result<UnsignedData>> await_block(Slot slot);
  /// The aggregate attestation decided at `slot` with data root `attestation_data_root` (and committee from
  /// electra on).
  Task<Result<eth::VersionedAttestation>> await_aggregate_attestation(
      Slot slot, Root attestation_data_root, std::optional<eth::CommitteeIndex> committee_index = std::nullopt);
  /// The sync contribution decided at `slot` for (subcommittee_index, beacon_block_root).
  Task<Result<eth::altair::SyncCommitteeContribution>> await_sync_contribution(Slot slot,
                                                                              std::uint64_t subcommittee_index,
                                                                              Root beacon_block_root);
  /// The head block root decided for the sync-message duty of `slot`.
  Task<Result<Root>> await_sync_block_root(Slot slot);
  /// This node's partials of `duty` (pubkey → partial) from the VC, already verified against this node's
  /// public shares by the validator API. Each passes the SlashingGuard, is stored and broadcast. Errors:
  /// kExpired, kConflict (a different partial was already accepted for (duty, pubkey)), kUnknownPubkey,
  /// kWrongDataType; a slashing refusal is returned as the guard's error (nothing of the batch after it is
  /// dropped: the others still go through).
  Result<void> submit_own_partials(const Duty& duty, const std::vector<std::pair<PubKey, ParSignedData>>& partials);
  /// The aggregate signature of (duty, pubkey) once the cluster has one (DVT selection endpoints: the
  /// combined selection proof; also the RANDAO reveal).
  Task<Result<SignedData>> await_aggregate_signature(Duty duty, PubKey pubkey);

  /// Embedded mode: signs and exchanges a voluntary exit of `pubkey` at `epoch` (every operator must request
  /// the same exit; duty = first slot of `epoch`, kExit). Errors: kUnknownPubkey (not a known validator),
  /// kExpired, the signer's.
  Result<void> request_exit(const PubKey& pubkey, Epoch epoch);

 private:
  struct DutyState;
  Task<void> run_scheduler();
  Task<void> sleep_until(TimePoint t);
  Task<void> resolve_epoch_task(Epoch epoch, bool ahead = false, std::optional<Root> proposer_root = std::nullopt);
  Task<void> refresh_proposers_task(Epoch epoch, Root expected_root);
  /// Starts the current slot's slot-start duties that a proposer refresh added after the slot began.
  void trigger_started_slot();
  /// Hands `epoch`'s duties to the subscribe_duties callbacks.
  void publish_duties(Epoch epoch);
  void expire_duties();
  DutyState* state(const Duty& duty);
  void trigger(const Duty& duty);
  Task<void> run_fetch(Duty duty, std::map<PubKey, DutyDefinition> defs);
  void sign_without_consensus(const Duty& duty);
  void on_decided(const Duty& duty, const UnsignedDataSet& set);
  void sign_decided(const Duty& duty, const UnsignedDataSet& set);
  void sign_items(const Duty& duty, std::vector<SignItem> items);
  Task<void> sign_off_thread(Duty duty, std::vector<SignItem> items);
  Task<std::vector<Result<ParSignedData>>> run_signer(Duty duty, const std::vector<SignItem>& items);
  void on_signed(const Duty& duty, const std::vector<SignItem>& items,
                 const std::vector<Result<ParSignedData>>& results);
  boost::asio::thread_pool::executor_type worker();
  /// VC mode: whether this node's VC sent its partial selection proofs for the slot of `aggregation` (an
  /// aggregator or sync_contribution duty); logs the refusal when not. Always true in embedded mode.
  bool vc_sent_selections(const Duty& aggregation) const;
  /// VC mode: `duty` is an aggregation duty (or its selection duty) whose slot got no partial selection proof
  /// from this node's validator client.
  bool no_vc_selections(const Duty& duty) const;
  Result<void> own_partials(const Duty& duty, const std::vector<std::pair<PubKey, ParSignedData>>& partials);
  void on_received(const Duty& duty, const PubKey& pubkey, const ParSignedData& partial);
  void queue_threshold(ThresholdSet set);
  void aggregate_pending(const Duty& duty);
  Task<void> aggregate_off_thread(Duty duty, std::vector<ThresholdSet> sets, std::set<ShareIdx> suspects);
  Task<std::vector<AggregateOutcome>> run_sigagg(std::vector<ThresholdSet> sets, std::set<ShareIdx> suspects);
  /// Shares blamed for a bad partial within two epochs before `slot` (SigAgg verifies their partials first).
  std::set<ShareIdx> suspects_at(Slot slot) const;
  void on_aggregated(const Duty& duty, const std::vector<AggregateOutcome>& outcomes);
  /// True (and counted) when the SigningGate withholds `pubkey`'s own partials.
  bool withheld(const PubKey& pubkey);
  Task<void> submit(Duty duty, std::vector<Submission> subs);
  void mark_done(const Duty& duty, const std::vector<PubKey>& pubkeys);
  void check_complete(const Duty& duty);
  void track(const Duty& duty, Step step);
  /// Records that this node's VC asked for `duty`'s data (timeline; at most an epoch ahead).
  void note_vc_request(const Duty& duty);
  void fail_duty(const Duty& duty, Reason code, std::string reason);
  void finish(DutyState& st, DutyReport report);
  runtime::Executor ex_;
  eth::ChainConfig config_;
  const KeyBook& keys_;
  WorkflowPorts ports_;
  WorkflowOptions options_;
  Deadliner deadliner_;
  std::map<ShareIdx, Slot> blamed_at_;  // last slot each share was blamed for a bad partial (io thread)
  Scheduler scheduler_;
  Fetcher fetcher_;
  DutyDB dutydb_;
  ParSigDB parsigdb_;
  SigAgg sigagg_;
  AggSigDB aggsigdb_;
  Tracker tracker_;
  std::unique_ptr<BnPreparation> preparation_;  // subscriptions (embedded mode) and proposer preparations
  runtime::Event changed_;  // notified whenever a store gains data or a duty expires
  runtime::TaskGroup tasks_;
  std::map<Duty, std::unique_ptr<DutyState>> duties_;
  std::vector<ResultFn> subscribers_;
  std::vector<DutiesFn> duty_subscribers_;
  WorkflowMetrics metrics_;
  std::shared_ptr<bool> alive_;  // guards port callbacks after destruction
  std::set<Epoch> resolving_;
  std::set<Epoch> refreshing_;  // epochs whose proposers are being asked for again (on_head)
  std::unique_ptr<boost::asio::thread_pool> pool_;  // the BLS worker (bls_off_thread): signing and SigAgg
  std::size_t in_flight_ = 0;
  bool started_ = false;
  bool stopping_ = false;  // stop() called: VC waits end with RuntimeError::kClosed
};

}  // namespace phx::core
