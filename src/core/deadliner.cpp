#include "core/deadliner.hpp"

namespace phx::core {

Deadliner::Deadliner(const eth::ChainConfig& config, const Clock& clock, DeadlinePolicy policy)
    : config_(config), clock_(clock), policy_(policy) {}

TimePoint Deadliner::slot_start(Slot slot) const {
  const auto secs = config_.genesis_time + slot.value * config_.seconds_per_slot;
  return TimePoint{} + std::chrono::duration_cast<TimePoint::duration>(
                           std::chrono::seconds(static_cast<std::chrono::seconds::rep>(secs)));
}

TimePoint Deadliner::deadline(const Duty& duty) const {
  const auto slot_len = std::chrono::duration_cast<TimePoint::duration>(
      std::chrono::seconds(static_cast<std::chrono::seconds::rep>(config_.seconds_per_slot)));
  const auto margin = std::chrono::duration_cast<TimePoint::duration>(policy_.margin);
  switch (duty.type) {
    case DutyType::kAttester:
      return slot_start(duty.slot) + 2 * slot_len + margin;
    case DutyType::kExit:
    case DutyType::kBuilderRegistration: {
      const std::uint64_t spe = config_.slots_per_epoch == 0 ? 1 : config_.slots_per_epoch;
      const Slot next_epoch_start{(duty.slot.value / spe + 1) * spe};
      return slot_start(next_epoch_start) + static_cast<TimePoint::duration::rep>(spe) * slot_len;
    }
    default:
      return slot_start(duty.slot) + slot_len + margin;
  }
}

bool Deadliner::add(const Duty& duty) {
  const TimePoint d = deadline(duty);
  if (d <= clock_.now()) return false;
  queue_.emplace(d, duty);
  return true;
}

bool Deadliner::expired(const Duty& duty) const {
  return deadline(duty) <= clock_.now();
}

std::vector<Duty> Deadliner::on_tick() {
  std::vector<Duty> out;
  const TimePoint now = clock_.now();
  while (!queue_.empty() && queue_.begin()->first <= now) {
    out.push_back(queue_.begin()->second);
    queue_.erase(queue_.begin());
  }
  return out;
}

std::optional<TimePoint> Deadliner::next_deadline() const {
  if (queue_.empty()) return std::nullopt;
  return queue_.begin()->first;
}

}  // namespace phx::core
