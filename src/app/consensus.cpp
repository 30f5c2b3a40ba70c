#include "app/consensus.hpp"

#include <algorithm>

#include "base/log.hpp"
#include "core/codec.hpp"
#include "core/scheduler.hpp"
#include "core/view_check.hpp"

namespace phx::app {

namespace {
/// Instances this many slots older than the newest started duty are expired.
constexpr std::uint64_t kKeepSlots = 64;
/// Head block roots remembered (asked or own): a few slots' worth of forks.
constexpr std::size_t kHeadCacheSize = 256;

/// The distinct head block roots of the attestation data in `set`.
std::vector<Root> head_roots(const core::UnsignedDataSet& set) {
  std::vector<Root> out;
  for (const auto& [pk, u] : set)
    if (const auto* a = std::get_if<core::AttesterData>(&u))
      if (std::find(out.begin(), out.end(), a->data.beacon_block_root) == out.end())
        out.push_back(a->data.beacon_block_root);
  return out;
}

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
  driver_.set_round1_check([this](ByteSpan id, ByteSpan value) { return agrees_with_own_view(id, value); });
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

bool ConsensusAdapter::agrees_with_own_view(ByteSpan instance_id, ByteSpan value) {
  auto duty = core::decode_duty(instance_id);
  if (!duty || duty->type != core::DutyType::kAttester) return true;
  auto set = core::decode_unsigned_set(duty->type, value);
  if (!set) return true;  // the validity predicate refuses it anyway
  for (const auto& root : head_roots(*set)) {
    if (auto h = heads_.find(root); h != heads_.end() && h->second == Head::kUnknown) {
      ++metrics_.round1_refused;
      ++metrics_.round1_unknown_head;
      log::warn("consensus: {}: the round-1 proposal's head block {} is unknown to this node's beacon node: not "
                "prepared in round 1",
                core::to_string(*duty), to_hex(root));
      return false;
    }
  }
  auto own = own_attester_.find(*duty);
  if (own == own_attester_.end()) return true;  // no data of our own yet: nothing to compare with
  auto why = core::attestation_view_differs(*set, own->second);
  if (!why) return true;
  ++metrics_.round1_refused;
  log::warn("consensus: {}: the round-1 proposal differs from this node's beacon node ({}): not prepared in round 1",
            core::to_string(*duty), *why);
  return false;
}

ConsensusAdapter::~ConsensusAdapter() {
  if (head_group_) head_group_->stop();
}

void ConsensusAdapter::set_head_check(HeadKnownFn fn, runtime::Executor ex) {
  head_known_ = std::move(fn);
  head_group_ = std::make_unique<runtime::TaskGroup>(ex);
  driver_.set_round1_hold([this](ByteSpan id, ByteSpan value) { return head_check_pending(id, value); });
}

void ConsensusAdapter::note_head(const Root& root, Head state) {
  auto [it, fresh] = heads_.insert_or_assign(root, state);
  (void)it;
  if (!fresh) return;
  head_order_.push_back(root);
  while (head_order_.size() > kHeadCacheSize) {
    heads_.erase(head_order_.front());  // a pending one is re-added when its answer comes
    head_order_.pop_front();
  }
}

bool ConsensusAdapter::head_check_pending(ByteSpan instance_id, ByteSpan value) {
  if (!head_known_) return false;
  auto duty = core::decode_duty(instance_id);
  if (!duty || duty->type != core::DutyType::kAttester) return false;
  auto set = core::decode_unsigned_set(duty->type, value);
  if (!set) return false;
  bool pending = false;
  for (const auto& root : head_roots(*set)) {
    auto h = heads_.find(root);
    if (h != heads_.end() && h->second != Head::kPending) continue;
    pending = true;
    auto& waiting = head_waiting_[root];
    const Bytes id(instance_id.begin(), instance_id.end());
    if (std::find(waiting.begin(), waiting.end(), id) == waiting.end()) waiting.push_back(id);
    if (h == heads_.end()) {
      note_head(root, Head::kPending);
      ++metrics_.head_checks;
      head_group_->spawn(ask_head(root));
    }
  }
  return pending;
}

runtime::Task<void> ConsensusAdapter::ask_head(Root root) {
  auto known = co_await head_known_(root);
  note_head(root, !known ? Head::kNoAnswer : *known ? Head::kKnown : Head::kUnknown);
  if (!known) ++metrics_.head_checks_unanswered;
  auto waiting = std::move(head_waiting_[root]);
  head_waiting_.erase(root);
  for (const auto& id : waiting) driver_.release_held(id);
}

void ConsensusAdapter::expire_old(Slot now) {
  while (!live_.empty() && live_.begin()->first.slot.value + kKeepSlots < now.value) {
    driver_.expire(core::encode_duty(live_.begin()->first));
    own_attester_.erase(live_.begin()->first);
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
  core::UnsignedDataSet input = value;
  if (lying_bn_ && duty.type == core::DutyType::kAttester) {
    for (auto& [pk, u] : input)
      if (auto* a = std::get_if<core::AttesterData>(&u)) a->data.target.root[31] ^= 0x5a;
  }
  if (unknown_head_ && duty.type == core::DutyType::kAttester) {
    for (auto& [pk, u] : input)
      if (auto* a = std::get_if<core::AttesterData>(&u)) a->data.beacon_block_root[30] ^= 0xa5;
  }
  // Our own data's head roots come from our own BN: known, never asked.
  if (duty.type == core::DutyType::kAttester && head_known_)
    for (const auto& root : head_roots(input))
      if (!heads_.contains(root)) note_head(root, Head::kKnown);
  // Before propose(): buffered round-1 proposals are checked against it as the instance starts.
  const bool had_own = own_attester_.contains(duty);
  if (duty.type == core::DutyType::kAttester && !had_own) own_attester_[duty] = input;
  const Bytes bytes = core::encode_unsigned_set(input);
  // Round timers count from the time the duty type is scheduled in its slot (the same on every node): slot
  // start for proposals, 1/3 for attestations and sync messages (which may start earlier, on the slot's head
  // block: they are then in round 1 until 1/3 + round 1's duration), 2/3 for aggregations. Counting from the
  // slot start made every 1/3 and 2/3 duty begin in round 2-4, behind a round change, without a fast path.
  const TimePoint start = core::SlotClock(config_).tick_time(duty.slot, core::tick_of(duty.type));
  auto r = driver_.propose(id, bytes, start);
  if (!r) {
    if (r.error() == dv::DvError::kAlreadyProposed) return {};
    if (!had_own) own_attester_.erase(duty);
    return r;
  }
  live_.emplace(duty, true);
  ++metrics_.proposed;
  return {};
}

}  // namespace phx::app
