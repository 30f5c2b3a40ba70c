#pragma once
/// Scheduler: the slot clock and the cluster's duties (Charon core/scheduler). It resolves, per epoch, the
/// cluster validators' indices, attester, proposer and sync-committee duties through the BeaconNode port and
/// says which duties start at which point of a slot:
/// - slot start: proposer (and randao), prepare_aggregator, prepare_sync_contribution, builder_registration
///   (first slot of an epoch only, when enabled);
/// - 1/3 slot: attester, sync_message;
/// - 2/3 slot: aggregator, sync_contribution.
/// The timing itself is driven by the Workflow (it sleeps until the next tick); this class holds state and
/// answers queries. Runs on the io thread; BN calls are coroutines.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "base/clock.hpp"
#include "core/interfaces.hpp"
#include "core/types.hpp"

namespace phx::core {

/// The three points of a slot at which duties start.
enum class SlotTick : std::uint8_t {
  kStart = 0,      ///< slot start
  kOneThird = 1,   ///< 1/3 of the slot
  kTwoThirds = 2,  ///< 2/3 of the slot
};

/// Slot-clock arithmetic over a chain configuration (genesis_time, seconds_per_slot, slots_per_epoch).
class SlotClock {
 public:
  /// A slot clock for `config` (copied).
  explicit SlotClock(const eth::ChainConfig& config) : config_(config) {}
  /// Start of `slot`.
  TimePoint slot_start(Slot slot) const;
  /// The time of `tick` within `slot`.
  TimePoint tick_time(Slot slot, SlotTick tick) const;
  /// The slot containing `t` (slot 0 before genesis).
  Slot slot_at(TimePoint t) const;
  /// The first (slot, tick) whose time is ≥ `t`.
  std::pair<Slot, SlotTick> next_tick(TimePoint t) const;
  /// The first slot of `epoch`.
  Slot epoch_start(Epoch epoch) const { return Slot{epoch.value * config_.slots_per_epoch}; }
  /// The epoch of `slot`.
  Epoch epoch_of(Slot slot) const { return config_.epoch_at(slot); }
  /// Length of a slot.
  Duration slot_duration() const;
  /// The configuration.
  const eth::ChainConfig& config() const { return config_; }

 private:
  eth::ChainConfig config_;
};

/// The tick at which duties of type `type` start (see the file comment). kExit has no tick (on request);
/// it is reported as kStart.
SlotTick tick_of(DutyType type);

/// What the scheduler knows about one epoch.
struct EpochDuties {
  Epoch epoch{};
  std::map<Slot, std::map<PubKey, DutyDefinition>> attesters;  ///< by slot, the cluster's attesters
  std::map<Slot, std::map<PubKey, DutyDefinition>> proposers;  ///< by slot, the cluster's proposers
  std::map<PubKey, DutyDefinition> sync;                        ///< the cluster's sync-committee members
  /// False when the proposers were asked for before the block they depend on was known: the BN's answer is a
  /// guess then (see ProposerDuties::dependent_root).
  bool proposers_final = true;
  Root attester_dependent_root{};  ///< as the BN answered (the block at the last slot of epoch − 2)
  Root proposer_dependent_root{};  ///< as the BN answered (last slot of epoch − 1; from fulu, epoch − 2)
};

/// What a head event asks the scheduler to look up again (Scheduler::on_head).
struct HeadPlan {
  /// Epochs to resolve in full (attester duties' dependent root changed, or the next epoch's proposers became
  /// known), with the proposers' dependent root the head implies.
  std::vector<std::pair<Epoch, std::optional<Root>>> resolve;
  /// Epochs whose proposers to ask for again, with the dependent root the head implies.
  std::vector<std::pair<Epoch, Root>> proposers;
  bool empty() const { return resolve.empty() && proposers.empty(); }
};

/// Options of the scheduler.
struct SchedulerOptions {
  bool builder_registrations = false;  ///< schedule kBuilderRegistration once per epoch
  bool builder_proposals = false;      ///< proposer duties are kBuilderProposer (blinded blocks requested)
};

/// Resolves and holds duties. Not thread-safe (io thread).
class Scheduler {
 public:
  /// A scheduler for the cluster validators in `keys`, asking `bn` (neither owned; both must outlive this).
  Scheduler(const eth::ChainConfig& config, const KeyBook& keys, BeaconNode& bn, SchedulerOptions options = {});

  /// Looks up the cluster validators (indices, active status). Errors: the BN's. Unknown keys are skipped
  /// (logged once); may be called again (each epoch) to pick up newly activated validators.
  Task<Result<void>> resolve_validators();
  /// Resolves attester, proposer and sync duties of `epoch` for the active cluster validators (validators are
  /// looked up again first when none are known or the last lookup was for an earlier epoch). Replaces what was known about `epoch`. Errors: the BN's (the
  /// epoch is then left unresolved, so the next call retries).
  /// `ahead`: asked before `epoch` began, so its proposers are provisional (see refresh_proposers).
  /// `expected_proposer_root`: the proposers' dependent root as a head event told it; the proposers are final
  /// when the BN's answer depends on it (even when asked ahead).
  Task<Result<void>> resolve_epoch(Epoch epoch, bool ahead = false,
                                   std::optional<Root> expected_proposer_root = std::nullopt);
  /// True iff `epoch` is resolved with provisional proposers.
  bool proposers_provisional(Epoch epoch) const;
  /// Asks the BN for `epoch`'s proposers again and replaces the known ones. Without `expected_root` (called
  /// once the epoch has begun) the answer is final; with it, final iff the BN's answer depends on that root.
  /// Errors: the BN's (the known proposers stay, the next call retries).
  Task<Result<void>> refresh_proposers(Epoch epoch, std::optional<Root> expected_root = std::nullopt);
  /// Pure: what the head `head` makes stale. For the head's epoch E and E + 1 (when resolved), the attester
  /// duties are resolved again when their dependent root (block at the end of X − 2) differs from the BN's
  /// earlier answer, the proposers asked for again when theirs (end of X − 1; fulu: X − 2) differs or they were
  /// provisional. A head at the last slot of E makes E + 1's proposers known: they are asked for (or E + 1
  /// resolved) at once, so a proposal at E + 1's first slot is scheduled before that slot starts.
  HeadPlan on_head(const HeadEvent& head) const;
  /// True iff `epoch` has been resolved.
  bool resolved(Epoch epoch) const { return epochs_.contains(epoch); }
  /// What is known about `epoch`, or nullptr when it is not resolved.
  const EpochDuties* duties(Epoch epoch) const {
    auto it = epochs_.find(epoch);
    return it == epochs_.end() ? nullptr : &it->second;
  }

  /// The duties starting at (`slot`, `tick`) that have at least one validator of the cluster.
  std::vector<Duty> duties_at(Slot slot, SlotTick tick) const;
  /// The duty definitions (pubkey → definition) of `duty`: attester, prepare_aggregator and aggregator →
  /// the slot's attesters; proposer, builder_proposer, randao → the slot's proposer; sync_message,
  /// prepare_sync_contribution, sync_contribution → the epoch's sync-committee members; builder_registration
  /// and exit → every known validator (index only). Empty when nothing is known.
  std::map<PubKey, DutyDefinition> definitions(const Duty& duty) const;
  /// The known validator with DV key `pubkey`, or nullptr.
  const ValidatorRef* validator(const PubKey& pubkey) const;
  /// Every validator known to the BN (active or not).
  const std::map<PubKey, ValidatorRef>& validators() const { return validators_; }
  /// Drops epochs older than `epoch` (bounded memory).
  void forget_before(Epoch epoch);
  /// The slot clock.
  const SlotClock& clock() const { return clock_; }
  /// The options.
  const SchedulerOptions& options() const { return options_; }

 private:
  SlotClock clock_;
  const KeyBook& keys_;
  BeaconNode& bn_;
  SchedulerOptions options_;
  std::map<PubKey, ValidatorRef> validators_;
  std::optional<Epoch> validators_epoch_;  // the epoch validators_ was last refreshed for
  std::map<Epoch, EpochDuties> epochs_;

  /// An epoch's proposers among the cluster's validators, with the BN's dependent root.
  struct Proposers {
    Root dependent_root{};
    std::map<Slot, std::map<PubKey, DutyDefinition>> by_slot;
  };
  /// `epoch`'s proposers among `by_index` (validator index → DV key) as the BN lists them now.
  Task<Result<Proposers>> fetch_proposers(Epoch epoch, const std::map<std::uint64_t, PubKey>& by_index);
  /// Active validators by index.
  std::map<std::uint64_t, PubKey> active_by_index() const;
};

}  // namespace phx::core
