#pragma once
/// Tracker: records each duty's progress through the workflow and, when the duty fails or expires, why
/// (the step it stopped at, the share indices missing or blamed) — Charon core/tracker, sans-IO.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/types.hpp"

namespace phx::core {

/// Workflow steps in order.
enum class Step : std::uint8_t {
  kScheduled = 0,   ///< duty known from the scheduler
  kFetched = 1,     ///< unsigned data fetched from the BN
  kDecided = 2,     ///< consensus decided
  kPartialsIn = 3,  ///< threshold partials present for every validator of the duty
  kAggregated = 4,  ///< aggregates verified
  kBroadcast = 5,   ///< submitted to the BN
};
/// Lower-case name of a step.
const char* to_string(Step s);

/// The tracker's verdict on one finished duty.
struct DutyReport {
  Duty duty;                          ///< the duty
  bool success = false;               ///< true iff broadcast
  Step last_step = Step::kScheduled;  ///< furthest step reached
  std::optional<Step> failed_step;    ///< the step that did not complete (unset on success)
  std::string reason;                 ///< why (error text or "expired")
  std::vector<ShareIdx> missing;      ///< share indices that sent no partial (for partial-sig steps)
  std::vector<ShareIdx> blamed;       ///< share indices that sent bad or equivocating partials
  /// The failure has a known, configuration-level cause rather than a fault (e.g. a validator client that
  /// does not use the DVT selection endpoints cannot aggregate): reported, logged without a warning.
  bool expected = false;
};

/// Records events; reports a duty when it completes, fails, or expires.
class Tracker {
 public:
  /// A tracker for a cluster of `share_count` operators (share indices 1..share_count).
  explicit Tracker(std::uint32_t share_count) : share_count_(share_count) {}

  /// Records that `duty` reached `step` (later steps imply earlier ones).
  void on_step(const Duty& duty, Step step);
  /// Records a partial signature from `share_idx` for `duty` (any validator).
  void on_partial(const Duty& duty, ShareIdx share_idx);
  /// Records that `share_idx` was blamed for `duty` (bad partial or equivocation).
  void on_blame(const Duty& duty, ShareIdx share_idx);
  /// Records that the step after the last one reached failed with `reason`; the duty is reported at once.
  DutyReport on_failure(const Duty& duty, std::string reason);
  /// Reports `duty` at its deadline: success if broadcast, else failed at the step after the last reached,
  /// with reason "expired" and, from kDecided on, the share indices that sent no partial.
  DutyReport on_expired(const Duty& duty);
  /// Number of duties being tracked.
  std::size_t size() const { return duties_.size(); }

 private:
  struct State {
    Step last = Step::kScheduled;
    std::set<ShareIdx> partials;
    std::set<ShareIdx> blamed;
  };
  DutyReport report(const Duty& duty, const State& s) const;

  std::uint32_t share_count_;
  std::map<Duty, State> duties_;
};

}  // namespace phx::core
