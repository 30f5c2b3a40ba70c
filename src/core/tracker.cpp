#include "core/tracker.hpp"

#include <algorithm>

namespace phx::core {

const char* to_string(Step s) {
  switch (s) {
    case Step::kScheduled:
      return "scheduled";
    case Step::kFetched:
      return "fetched";
    case Step::kDecided:
      return "decided";
    case Step::kPartialsIn:
      return "partials_in";
    case Step::kAggregated:
      return "aggregated";
    case Step::kBroadcast:
      return "broadcast";
  }
  return "unknown";
}

void Tracker::on_step(const Duty& duty, Step step) {
  State& s = duties_[duty];
  s.last = std::max(s.last, step);
}

void Tracker::on_partial(const Duty& duty, ShareIdx share_idx) {
  duties_[duty].partials.insert(share_idx);
}

void Tracker::on_blame(const Duty& duty, ShareIdx share_idx) {
  duties_[duty].blamed.insert(share_idx);
}

DutyReport Tracker::report(const Duty& duty, const State& s) const {
  DutyReport r;
  r.duty = duty;
  r.last_step = s.last;
  r.success = s.last == Step::kBroadcast;
  if (!r.success) r.failed_step = static_cast<Step>(static_cast<std::uint8_t>(s.last) + 1);
  if (!r.success && s.last >= Step::kDecided) {
    for (std::uint32_t i = 1; i <= share_count_; ++i)
      if (!s.partials.contains(ShareIdx{i})) r.missing.push_back(ShareIdx{i});
  }
  r.blamed.assign(s.blamed.begin(), s.blamed.end());
  return r;
}

DutyReport Tracker::on_failure(const Duty& duty, std::string reason) {
  State s = duties_[duty];
  duties_.erase(duty);
  DutyReport r = report(duty, s);
  r.success = false;
  if (!r.failed_step) r.failed_step = s.last;
  r.reason = std::move(reason);
  return r;
}

DutyReport Tracker::on_expired(const Duty& duty) {
  State s = duties_[duty];
  duties_.erase(duty);
  DutyReport r = report(duty, s);
  if (!r.success) r.reason = "expired";
  return r;
}

}  // namespace phx::core
