// The tracker: per-duty steps, partial arrivals, blame and a bounded timeline; classification of failures.
#include "core/tracker.hpp"

#include <algorithm>
#include <array>

namespace phx::core {

namespace {

constexpr std::array<const char*, kEventCount> kEventNames{
    "scheduled",  "fetch_start", "fetch_retry", "fetched", "consensus_start", "decided", "vc_request", "own_partial",
    "partial_in", "threshold",   "aggregated",  "submit",  "broadcast",       "blame",   "failure",    "deadline"};

/// Event recorded when a step is first reached.
Event event_of(Step s) {
  switch (s) {
    case Step::kScheduled:
      return Event::kScheduled;
    case Step::kFetched:
      return Event::kFetched;
    case Step::kDecided:
      return Event::kDecided;
    case Step::kPartialsIn:
      return Event::kThreshold;
    case Step::kAggregated:
      return Event::kAggregated;
    case Step::kBroadcast:
      return Event::kBroadcast;
  }
  return Event::kScheduled;
}

}  // namespace

const char* to_string(Event e) {
  const auto i = static_cast<std::size_t>(e);
  return i < kEventNames.size() ? kEventNames[i] : "unknown";
}

std::optional<Event> event_from_string(std::string_view name) {
  for (std::size_t i = 0; i < kEventNames.size(); ++i)
    if (name == kEventNames[i]) return static_cast<Event>(i);
  return std::nullopt;
}

Duration Tracker::offset(const Duty& duty) const {
  if (options_.clock == nullptr) return Duration{0};
  const TimePoint start = options_.slot_start ? options_.slot_start(duty.slot) : TimePoint{};
  return std::chrono::duration_cast<Duration>(options_.clock->now() - start);
}

void Tracker::add_event(State& s, const Duty& duty, Event e, std::uint32_t share, bool force) {
  // Bounded: the last place is kept for the final event (failure, deadline or broadcast).
  if (s.timeline.size() >= kMaxEvents - (force ? 0 : 1)) {
    if (!force) return;
    s.timeline.pop_back();
  }
  s.timeline.push_back(TimelineEvent{offset(duty), e, share});
  s.seen.insert(e);
}

void Tracker::on_step(const Duty& duty, Step step) {
  State& s = duties_[duty];
  // Only the steps reported here get an entry (a duty decided by peers has no "fetched").
  if (!s.stepped || step > s.last) add_event(s, duty, event_of(step), 0, step == Step::kBroadcast);
  s.stepped = true;
  s.last = std::max(s.last, step);
}

void Tracker::on_partial(const Duty& duty, ShareIdx share_idx) {
  State& s = duties_[duty];
  auto [it, added] = s.partials.try_emplace(share_idx);
  ++it->second.count;
  if (!added) return;
  it->second.offset = offset(duty);
  add_event(s, duty, share_idx == options_.self ? Event::kOwnPartial : Event::kPartialIn, share_idx.value);
}

void Tracker::on_blame(const Duty& duty, ShareIdx share_idx) {
  State& s = duties_[duty];
  if (s.blamed.insert(share_idx).second) add_event(s, duty, Event::kBlame, share_idx.value);
}

void Tracker::on_event(const Duty& duty, Event event) {
  State& s = duties_[duty];
  const bool once = event == Event::kVcRequest || event == Event::kFetchStart || event == Event::kConsensusStart ||
                    event == Event::kSubmit;
  if (once && s.seen.contains(event)) return;
  add_event(s, duty, event);
}

DutyReport Tracker::report(const Duty& duty, State& s) const {
  DutyReport r;
  r.duty = duty;
  r.last_step = s.last;
  r.success = s.last == Step::kBroadcast;
  if (!r.success) r.failed_step = static_cast<Step>(static_cast<std::uint8_t>(s.last) + 1);
  if (!r.success && s.last >= Step::kDecided) {
    for (std::uint32_t i = 1; i <= options_.share_count; ++i)
      if (!s.partials.contains(ShareIdx{i})) r.missing.push_back(ShareIdx{i});
  }
  r.blamed.assign(s.blamed.begin(), s.blamed.end());
  for (const auto& [share, a] : s.partials) r.partials.push_back(PartialArrival{share, a.offset, a.count, false});
  r.timeline = std::move(s.timeline);
  r.finished = offset(duty);
  return r;
}

Reason Tracker::classify_expiry(const Duty& duty, const State& s) const {
  switch (s.last) {
    case Step::kScheduled:
      return s.seen.contains(Event::kFetchStart) ? Reason::kFetchTimeout : Reason::kDeadlineBeforeStart;
    case Step::kFetched:
      return Reason::kNoConsensus;
    case Step::kDecided:
    case Step::kPartialsIn: {
      if (!s.blamed.empty()) {
        // Bad partials only matter when the good ones fall short of the threshold.
        std::size_t good = 0;
        for (const auto& [share, a] : s.partials) good += s.blamed.contains(share) ? 0 : 1;
        if (good < options_.threshold) return Reason::kInvalidPeerPartials;
      }
      if (!s.partials.contains(options_.self)) {
        if (!options_.vc_mode) return Reason::kNoOwnPartial;
        // A VC asks for the decided data of exactly the consensus duties before it signs.
        return needs_consensus(duty.type) && !s.seen.contains(Event::kVcRequest) ? Reason::kVcNeverAsked
                                                                                  : Reason::kNoLocalVcPartial;
      }
      if (s.partials.size() == 1) return Reason::kNoPeerPartials;
      // Partials are counted per share over the duty's validators: a share that signed fewer validators than
      // the most complete one left some validator short.
      std::uint32_t most = 0, complete = 0;
      for (const auto& [share, a] : s.partials) most = std::max(most, a.count);
      for (const auto& [share, a] : s.partials) complete += a.count == most ? 1 : 0;
      return complete < options_.threshold ? Reason::kInsufficientPeerPartials : Reason::kAggregationIncomplete;
    }
    case Step::kAggregated:
      return Reason::kSubmitTimeout;
    case Step::kBroadcast:
      return Reason::kNone;
  }
  return Reason::kUnknown;
}

DutyReport Tracker::on_failure(const Duty& duty, Reason code, std::string reason) {
  State s = std::move(duties_[duty]);
  duties_.erase(duty);
  add_event(s, duty, Event::kFailure, 0, true);
  DutyReport r = report(duty, s);
  r.success = false;
  if (!r.failed_step) r.failed_step = s.last;
  r.reason = std::move(reason);
  r.code = code == Reason::kNone ? Reason::kUnknown : code;
  return r;
}

DutyReport Tracker::on_expired(const Duty& duty) {
  State s = std::move(duties_[duty]);
  duties_.erase(duty);
  // Drop entries of duties far older than this one: events recorded for duties that never expire here.
  while (!duties_.empty() && duties_.begin()->first.slot.value + kStaleSlots < duty.slot.value)
    duties_.erase(duties_.begin());
  const bool success = s.last == Step::kBroadcast;
  if (!success) add_event(s, duty, Event::kDeadline, 0, true);
  const Reason code = success ? Reason::kNone : classify_expiry(duty, s);
  DutyReport r = report(duty, s);
  if (!r.success) {
    r.reason = "expired";
    r.code = code;
  }
  return r;
}

}  // namespace phx::core
