#pragma once
/// Deadliner: the absolute deadline of every duty, derived from the slot clock and the duty type, and the
/// list of duties whose deadline has passed, so that every store can evict them (Charon core/deadline.go).
/// Sans-IO: the driver asks next_deadline() to arm one timer and calls on_tick() when it fires.
#include <chrono>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "base/clock.hpp"
#include "core/types.hpp"
#include "eth/fork.hpp"

namespace phx::core {

/// The deadline rules (all offsets from the duty's slot start). Defaults:
/// - proposer, builder_proposer, randao, sync_message, prepare_sync_contribution, sync_contribution,
///   prepare_aggregator, aggregator: end of the slot + `margin` (the data is useless after the slot);
/// - attester: end of the next slot + margin (an attestation is still worth including one slot late);
/// - exit, builder_registration: end of the slot's epoch + one epoch (not slot-bound, but bounded so that
///   stores stay bounded).
struct DeadlinePolicy {
  Duration margin = std::chrono::seconds(4);  ///< extra time after the slot ends (default 1/3 slot)
};

/// Computes deadlines and tracks the pending duties.
class Deadliner {
 public:
  /// A deadliner over `config`'s slot timing (genesis_time, seconds_per_slot, slots_per_epoch), reading
  /// `clock` (not owned; must outlive this object).
  Deadliner(const eth::ChainConfig& config, const Clock& clock, DeadlinePolicy policy = {});

  /// Start time of `slot`.
  TimePoint slot_start(Slot slot) const;
  /// The absolute deadline of `duty` (pure function of the config and policy).
  TimePoint deadline(const Duty& duty) const;
  /// Adds `duty` to the pending set. Returns false (and adds nothing) when its deadline has already passed:
  /// the caller must drop the duty. Adding a duty twice is harmless.
  bool add(const Duty& duty);
  /// True iff `duty`'s deadline has passed at the clock's current time.
  bool expired(const Duty& duty) const;
  /// Removes and returns every pending duty whose deadline ≤ now, earliest deadline first.
  std::vector<Duty> on_tick();
  /// Earliest pending deadline, for the driver's timer; nullopt when nothing is pending.
  std::optional<TimePoint> next_deadline() const;
  /// Number of pending duties.
  std::size_t pending() const { return queue_.size(); }

 private:
  const eth::ChainConfig& config_;
  const Clock& clock_;
  DeadlinePolicy policy_;
  std::set<std::pair<TimePoint, Duty>> queue_;
};

}  // namespace phx::core
