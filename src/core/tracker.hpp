#pragma once
/// Tracker: records each duty's progress through the workflow and, when the duty fails or expires, why
/// (the step it stopped at, a reason code, the share indices missing or blamed) and a bounded timeline of what
/// happened when (offsets from the slot start) — Charon core/tracker, sans-IO (time comes from an injected
/// Clock).
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "core/explain_reasons.hpp"
#include "core/types.hpp"

namespace phx::core {

/// What happened to a duty at one moment (timeline entries).
enum class Event : std::uint8_t {
  kScheduled = 0,       ///< the scheduler started the duty
  kFetchStart = 1,      ///< first BN call for the duty's data
  kFetchRetry = 2,      ///< a BN call repeated after a failure
  kFetched = 3,         ///< the BN returned the data
  kConsensusStart = 4,  ///< this node proposed its value
  kDecided = 5,         ///< consensus decided (or no consensus needed)
  kVcRequest = 6,       ///< this node's VC asked for the decided data
  kOwnPartial = 7,      ///< this node's first partial signature
  kPartialIn = 8,       ///< a peer's first partial signature (share in TimelineEvent::share)
  kThreshold = 9,       ///< a threshold of partials present: aggregation started
  kAggregated = 10,     ///< every validator of the duty aggregated
  kSubmit = 11,         ///< aggregates handed to the BN
  kBroadcast = 12,      ///< the BN accepted every aggregate
  kBlame = 13,          ///< a share was blamed (bad partial or equivocation)
  kFailure = 14,        ///< the duty failed (reason in the report)
  kDeadline = 15,       ///< the duty's deadline passed
};
/// Number of Event values.
inline constexpr std::size_t kEventCount = 16;
/// snake_case name of an event ("fetch_start", …).
const char* to_string(Event e);
/// The event named `name`, or nullopt.
std::optional<Event> event_from_string(std::string_view name);

/// One timeline entry.
struct TimelineEvent {
  Duration offset{0};     ///< time since the duty's slot start (negative: before it)
  Event event = Event::kScheduled;
  std::uint32_t share = 0;  ///< share index for kPartialIn, kOwnPartial, kBlame; else 0
  bool operator==(const TimelineEvent&) const = default;
};

/// The first partial signature of one share for a duty.
struct PartialArrival {
  ShareIdx share{};          ///< who sent it
  Duration offset{0};        ///< since the slot start
  std::uint32_t count = 0;   ///< partials of this share seen (one per validator) until the report
  bool late = false;         ///< arrived after this node finished the duty (app-side record)
  bool operator==(const PartialArrival&) const = default;
};

/// The tracker's verdict on one finished duty.
struct DutyReport {
  Duty duty;                          ///< the duty
  bool success = false;               ///< true iff broadcast
  Step last_step = Step::kScheduled;  ///< furthest step reached
  std::optional<Step> failed_step;    ///< the step that did not complete (unset on success)
  std::string reason;                 ///< why (error text or "expired")
  Reason code = Reason::kNone;        ///< stable reason code (kNone on success)
  std::vector<ShareIdx> missing;      ///< share indices that sent no partial (for partial-sig steps)
  std::vector<ShareIdx> blamed;       ///< share indices that sent bad or equivocating partials
  /// The failure has a known, configuration-level cause rather than a fault (e.g. a validator client that
  /// does not use the DVT selection endpoints cannot aggregate): reported, logged without a warning.
  bool expected = false;
  std::vector<TimelineEvent> timeline;   ///< in order of recording, at most Tracker::kMaxEvents
  std::vector<PartialArrival> partials;  ///< first arrival per share (own included), by share index
  Duration finished{0};                  ///< when the report was made, since the slot start
  /// Consensus round: the deciding round, or the round reached when undecided; 0 unknown or no consensus.
  /// The tracker does not know it (the app fills it from its consensus adapter).
  std::uint32_t round = 0;
  bool round_decided = false;  ///< `round` decided
};

/// How the tracker classifies and times duties.
struct TrackerOptions {
  std::uint32_t share_count = 1;  ///< operators n (share indices 1..n)
  std::uint32_t threshold = 1;    ///< partials needed
  ShareIdx self{1};               ///< this node's share index
  bool vc_mode = false;           ///< an external validator client signs (else the node's embedded signer)
  const Clock* clock = nullptr;   ///< timeline source (nullptr: no timeline, offsets 0)
  std::function<TimePoint(Slot)> slot_start;  ///< start of a slot (timeline offsets); empty: offsets from epoch 0
};

/// Records events; reports a duty when it completes, fails, or expires.
class Tracker {
 public:
  /// Timeline entries kept per duty (later ones are dropped, except the last failure/deadline/broadcast).
  static constexpr std::size_t kMaxEvents = 64;

  /// A tracker for a cluster of `share_count` operators (share indices 1..share_count), no timeline.
  explicit Tracker(std::uint32_t share_count) {
    options_.share_count = share_count;
    options_.threshold = share_count;
  }
  /// A tracker with classification context and a clock.
  explicit Tracker(TrackerOptions options) : options_(std::move(options)) {}

  /// Records that `duty` reached `step` (later steps imply earlier ones); the first time, a timeline entry.
  void on_step(const Duty& duty, Step step);
  /// Records a partial signature from `share_idx` for `duty` (any validator).
  void on_partial(const Duty& duty, ShareIdx share_idx);
  /// Records that `share_idx` was blamed for `duty` (bad partial or equivocation).
  void on_blame(const Duty& duty, ShareIdx share_idx);
  /// Records a timeline event without a step (fetch start/retry, consensus start, VC request, submit).
  /// kVcRequest and kFetchStart are recorded once per duty.
  void on_event(const Duty& duty, Event event);
  /// Records that the step after the last one reached failed with `code` and `reason` (detail text); the
  /// duty is reported at once.
  DutyReport on_failure(const Duty& duty, Reason code, std::string reason);
  /// Reports `duty` at its deadline: success if broadcast, else failed at the step after the last reached,
  /// with reason "expired", a classified code and, from kDecided on, the share indices that sent no partial.
  /// Also drops entries of duties more than kStaleSlots older than `duty` (events of duties that never
  /// reached the deadliner).
  DutyReport on_expired(const Duty& duty);
  /// Number of duties being tracked.
  std::size_t size() const { return duties_.size(); }
  /// Slots after which an entry is dropped as stale (see on_expired).
  static constexpr std::uint64_t kStaleSlots = 64;

 private:
  struct Arrival {
    Duration offset{0};
    std::uint32_t count = 0;
  };
  struct State {
    Step last = Step::kScheduled;
    bool stepped = false;  // on_step was called (kScheduled recorded)
    std::map<ShareIdx, Arrival> partials;
    std::set<ShareIdx> blamed;
    std::vector<TimelineEvent> timeline;
    std::set<Event> seen;
  };
  Duration offset(const Duty& duty) const;
  void add_event(State& s, const Duty& duty, Event e, std::uint32_t share = 0, bool force = false);
  DutyReport report(const Duty& duty, State& s) const;
  Reason classify_expiry(const Duty& duty, const State& s) const;

  TrackerOptions options_;
  std::map<Duty, State> duties_;
};

}  // namespace phx::core
