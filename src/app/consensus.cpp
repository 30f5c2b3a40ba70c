#include "app/consensus.hpp"

#include "base/log.hpp"
#include "core/codec.hpp"

namespace phx::app {

namespace {
/// Instances this many slots older than the newest started duty are expired.
constexpr std::uint64_t kKeepSlots = 64;

/// The slot an entry of unsigned data belongs to (nullopt: no slot inside, e.g. a sync root).
std::optional<Slot> slot_in(const core::UnsignedData& u) {
  return std::visit(
      [](const auto& v) -> std::optional<Slot> {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, core::AttesterData>)
          return v.data.slot;
        else if constexpr (std::is_same_v<T, core::ProposalData> || std::is_same_v<T, core::BlindedProposalData>)
          return core::slot_of(v.block);
        else if constexpr (std::is_same_v<T, core::AggregatedAttestationData>)
          return core::data_of(v.attestation).slot;
        else if constexpr (std::is_same_v<T, core::SyncContributionData>)
          return v.contribution.slot;
        else
          return std::nullopt;
      },
      u);
}
}  // namespace

ConsensusAdapter::ConsensusAdapter(dv::QbftDriver& driver, const eth::ChainConfig& config,
                                   const core::KeyBook& keys)
    : driver_(driver), config_(config), keys_(keys) {
  driver_.set_validator([this](ByteSpan id, ByteSpan value) {
    const bool ok = valid(id, value);
    if (!ok) ++metrics_.invalid_values;
    return ok;
  });
  driver_.on_decided([this](ByteSpan id, ByteSpan value, dv::qbft::Round round, Duration took) {
    auto duty = core::decode_duty(id);
    if (!duty) {
      ++metrics_.bad_decisions;
      return;
    }
    auto set = core::decode_unsigned_set(duty->type, value);
    if (!set) {
      ++metrics_.bad_decisions;
      log::error("consensus: decided value of {} does not decode: {}", core::to_string(*duty), set.error().message());
      return;
    }
    ++metrics_.decided;
    decided_rounds_[*duty] = round;
    metrics_.rounds_sum += round;
    metrics_.duration_sum += took;
    for (auto& fn : subs_) fn(*duty, *set);
  });
  driver_.on_misbehaviour([this](ByteSpan id, OperatorIdx sender) {
    auto duty = core::decode_duty(id);
    if (!duty) return;
    // Operator index i holds share index i + 1 (cluster lock order).
    for (auto& fn : misbehaviour_subs_) fn(*duty, ShareIdx{sender.value + 1});
  });
}

bool ConsensusAdapter::valid(ByteSpan instance_id, ByteSpan value) const {
  auto duty = core::decode_duty(instance_id);
  if (!duty) return false;
  auto set = core::decode_unsigned_set(duty->type, value);
  if (!set || set->empty()) return false;
  for (const auto& [pk, u] : *set) {
    if (keys_.find(pk) == nullptr) return false;
    auto s = slot_in(u);
    if (s && *s != duty->slot) return false;
  }
  return true;
}

void ConsensusAdapter::expire_old(Slot now) {
  while (!live_.empty() && live_.begin()->first.slot.value + kKeepSlots < now.value) {
    driver_.expire(core::encode_duty(live_.begin()->first));
    live_.erase(live_.begin());
  }
  while (!decided_rounds_.empty() && decided_rounds_.begin()->first.slot.value + kKeepSlots < now.value)
    decided_rounds_.erase(decided_rounds_.begin());
}

std::pair<std::uint32_t, bool> ConsensusAdapter::round(const core::Duty& duty) const {
  if (auto it = decided_rounds_.find(duty); it != decided_rounds_.end()) return {it->second, true};
  if (!live_.contains(duty)) return {0, false};
  return {driver_.round(core::encode_duty(duty)), false};
}

Result<void> ConsensusAdapter::propose(const core::Duty& duty, const core::UnsignedDataSet& value) {
  expire_old(duty.slot);
  const Bytes id = core::encode_duty(duty);
  const Bytes bytes = core::encode_unsigned_set(value);
  const TimePoint start = TimePoint{} + std::chrono::seconds(config_.genesis_time) +
                          std::chrono::seconds(config_.seconds_per_slot) * duty.slot.value;
  auto r = driver_.propose(id, bytes, start);
  if (!r) {
    if (r.error() == dv::DvError::kAlreadyProposed) return {};
    return r;
  }
  live_.emplace(duty, true);
  ++metrics_.proposed;
  return {};
}

}  // namespace phx::app
