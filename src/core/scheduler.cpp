// g++ 12 at -O1/-O2 (RelWithDebInfo, sanitizer builds) reports a false -Wmismatched-new-delete on the frame
// deallocation of asio::awaitable coroutines (operator new/delete of awaitable_frame_base are a matching pair).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
#include "core/scheduler.hpp"

#include <algorithm>
#include <set>

#include "base/bytes.hpp"
#include "base/log.hpp"
#include "core/fetcher.hpp"

namespace phx::core {

using std::chrono::duration_cast;

Duration SlotClock::slot_duration() const {
  return std::chrono::seconds(config_.seconds_per_slot);
}

TimePoint SlotClock::slot_start(Slot slot) const {
  const auto secs = std::chrono::seconds(config_.genesis_time + slot.value * config_.seconds_per_slot);
  return TimePoint{duration_cast<TimePoint::duration>(secs)};
}

TimePoint SlotClock::tick_time(Slot slot, SlotTick tick) const {
  const auto third = duration_cast<TimePoint::duration>(slot_duration()) / 3;
  return slot_start(slot) + third * static_cast<int>(tick);
}

Slot SlotClock::slot_at(TimePoint t) const {
  const TimePoint genesis = slot_start(Slot{0});
  if (t <= genesis) return Slot{0};
  const auto since = duration_cast<std::chrono::nanoseconds>(t - genesis);
  const auto per = duration_cast<std::chrono::nanoseconds>(slot_duration());
  return Slot{static_cast<std::uint64_t>(since / per)};
}

std::pair<Slot, SlotTick> SlotClock::next_tick(TimePoint t) const {
  Slot s = slot_at(t);
  for (int i = 0; i < 4; ++i) {
    const Slot cand{s.value + static_cast<std::uint64_t>(i / 3)};
    const auto tick = static_cast<SlotTick>(i % 3);
    if (tick_time(cand, tick) >= t) return {cand, tick};
  }
  return {Slot{s.value + 1}, SlotTick::kStart};
}

SlotTick tick_of(DutyType type) {
  switch (type) {
    case DutyType::kAttester:
    case DutyType::kSyncMessage:
      return SlotTick::kOneThird;
    case DutyType::kAggregator:
    case DutyType::kSyncContribution:
      return SlotTick::kTwoThirds;
    default:
      return SlotTick::kStart;
  }
}

Scheduler::Scheduler(const eth::ChainConfig& config, const KeyBook& keys, BeaconNode& bn, SchedulerOptions options)
    : clock_(config), keys_(keys), bn_(bn), options_(options) {}

Task<Result<void>> Scheduler::resolve_validators() {
  std::vector<PubKey> pubkeys;
  pubkeys.reserve(keys_.size());
  for (const auto& [pk, v] : keys_.validators()) pubkeys.push_back(pk);
  auto r = co_await bn_.validators(std::move(pubkeys));
  if (!r) co_return std::unexpected(r.error());
  std::map<PubKey, ValidatorRef> known;
  for (const auto& v : *r) {
    if (keys_.find(v.pubkey) == nullptr) continue;  // the BN answered with a key we did not ask for
    known[v.pubkey] = v;
  }
  if (known.size() != keys_.size() && known.size() != validators_.size())
    log::info("scheduler: {} of {} cluster validators known to the beacon node", known.size(), keys_.size());
  validators_ = std::move(known);
  co_return Result<void>{};
}

std::map<std::uint64_t, PubKey> Scheduler::active_by_index() const {
  std::map<std::uint64_t, PubKey> by_index;
  for (const auto& [pk, v] : validators_)
    if (v.active) by_index[v.index.value] = pk;
  return by_index;
}

Task<Result<Scheduler::Proposers>> Scheduler::fetch_proposers(Epoch epoch,
                                                             const std::map<std::uint64_t, PubKey>& by_index) {
  Proposers answer;
  auto& out = answer.by_slot;
  auto prop = co_await bn_.proposer_duties(epoch);
  if (!prop) co_return std::unexpected(prop.error());
  answer.dependent_root = prop->dependent_root;
  for (const auto& p : prop->duties) {
    auto it = by_index.find(p.validator_index.value);
    if (it == by_index.end() || p.pubkey != it->second) continue;
    if (clock_.epoch_of(p.slot) != epoch) continue;
    if (p.slot.value == 0) continue;  // the genesis block: BNs list a proposer for slot 0, nobody proposes
    DutyDefinition def;
    def.pubkey = p.pubkey;
    def.validator_index = p.validator_index;
    out[p.slot][p.pubkey] = def;
  }
  co_return answer;
}

Task<Result<void>> Scheduler::resolve_epoch(Epoch epoch, bool ahead, std::optional<Root> expected_proposer_root) {
  // Validators are looked up again once per epoch (newly activated ones join); with an old answer at hand a
  // failed refresh is not fatal.
  if (validators_.empty() || !validators_epoch_ || *validators_epoch_ < epoch) {
    auto v = co_await resolve_validators();
    if (!v && validators_.empty()) co_return v;
    if (v) validators_epoch_ = epoch;
  }
  const std::map<std::uint64_t, PubKey> by_index = active_by_index();
  std::vector<ValidatorIndex> indices;
  for (const auto& [i, pk] : by_index) indices.push_back(ValidatorIndex{i});
  EpochDuties out;
  out.epoch = epoch;
  // From fulu the state's proposer lookahead fixes the next epoch's proposers at this epoch's start.
  out.proposers_final = !ahead || clock_.config().fork_at(epoch) >= eth::Fork::kFulu;
  if (!indices.empty()) {
    auto att = co_await bn_.attester_duties(epoch, indices);
    if (!att) co_return std::unexpected(att.error());
    out.attester_dependent_root = att->dependent_root;
    for (auto& a : att->duties) {
      auto it = by_index.find(a.def.validator_index.value);
      if (it == by_index.end() || a.def.pubkey != it->second) continue;  // not ours, or inconsistent
      if (clock_.epoch_of(a.slot) != epoch) continue;
      out.attesters[a.slot][a.def.pubkey] = a.def;
    }
    auto prop = co_await fetch_proposers(epoch, by_index);
    if (!prop) co_return std::unexpected(prop.error());
    out.proposers = std::move(prop->by_slot);
    out.proposer_dependent_root = prop->dependent_root;
    if (expected_proposer_root && *expected_proposer_root == prop->dependent_root) out.proposers_final = true;
    if (clock_.config().fork_at(epoch) >= eth::Fork::kAltair) {
      auto sync = co_await bn_.sync_duties(epoch, indices);
      if (!sync) co_return std::unexpected(sync.error());
      for (auto& s : *sync) {
        auto it = by_index.find(s.def.validator_index.value);
        if (it == by_index.end() || s.def.pubkey != it->second) continue;
        if (s.def.sync_committee_indices.empty()) continue;
        out.sync[s.def.pubkey] = s.def;
      }
    }
  }
  epochs_[epoch] = std::move(out);
  co_return Result<void>{};
}

bool Scheduler::proposers_provisional(Epoch epoch) const {
  auto it = epochs_.find(epoch);
  return it != epochs_.end() && !it->second.proposers_final;
}

Task<Result<void>> Scheduler::refresh_proposers(Epoch epoch, std::optional<Root> expected_root) {
  auto prop = co_await fetch_proposers(epoch, active_by_index());
  if (!prop) co_return std::unexpected(prop.error());
  auto it = epochs_.find(epoch);
  if (it == epochs_.end()) co_return Result<void>{};  // forgotten meanwhile
  if (it->second.proposers != prop->by_slot)
    log::info("scheduler: proposers of epoch {} changed (dependent root {} → {})", epoch.value,
              to_hex(ByteSpan(it->second.proposer_dependent_root.data(), 6)),
              to_hex(ByteSpan(prop->dependent_root.data(), 6)));
  it->second.proposers = std::move(prop->by_slot);
  it->second.proposer_dependent_root = prop->dependent_root;
  it->second.proposers_final = !expected_root || *expected_root == prop->dependent_root;
  co_return Result<void>{};
}

HeadPlan Scheduler::on_head(const HeadEvent& head) const {
  HeadPlan plan;
  const std::uint64_t spe = clock_.config().slots_per_epoch;
  const Epoch e = clock_.epoch_of(head.slot);
  // The block roots at the end of epochs that this head fixes.
  std::map<std::uint64_t, Root> end_root;
  if (e.value >= 2) end_root[e.value - 2] = head.previous_duty_dependent_root;
  if (e.value >= 1) end_root[e.value - 1] = head.current_duty_dependent_root;
  if (spe > 0 && (head.slot.value + 1) % spe == 0) end_root[e.value] = head.block;
  // The dependent root of epoch x's duties `back` epochs behind (1: the block at the end of x − 1).
  auto root_for = [&](Epoch x, std::uint64_t back) -> std::optional<Root> {
    if (x.value < back) return std::nullopt;
    auto it = end_root.find(x.value - back);
    if (it == end_root.end()) return std::nullopt;
    return it->second;
  };
  for (const Epoch x : {e, Epoch{e.value + 1}, Epoch{e.value + 2}}) {
    const bool lookahead = clock_.config().fork_at(x) >= eth::Fork::kFulu;
    if (x.value == e.value + 2 && !lookahead) break;  // only fulu's lookahead knows that far
    const auto att_root = root_for(x, 2);
    const auto prop_root = root_for(x, lookahead ? 2 : 1);
    auto it = epochs_.find(x);
    if (it == epochs_.end()) {
      // The next epoch becomes resolvable with final proposers; the head's own epoch is the slot loop's.
      if (x.value == e.value + 1 && prop_root) plan.resolve.emplace_back(x, *prop_root);
      continue;
    }
    const EpochDuties& d = it->second;
    if (att_root && *att_root != d.attester_dependent_root) {
      plan.resolve.emplace_back(x, prop_root);
    } else if (prop_root && (*prop_root != d.proposer_dependent_root || !d.proposers_final)) {
      plan.proposers.emplace_back(x, *prop_root);
    }
  }
  return plan;
}

std::vector<Duty> Scheduler::duties_at(Slot slot, SlotTick tick) const {
  std::vector<Duty> out;
  auto eit = epochs_.find(clock_.epoch_of(slot));
  if (eit == epochs_.end()) return out;
  const EpochDuties& e = eit->second;
  const bool attesters = e.attesters.contains(slot);
  const bool proposer = e.proposers.contains(slot);
  const bool sync = !e.sync.empty();
  // The subcommittees in which the cluster's sync-committee members sit (one aggregation duty each).
  std::set<std::uint64_t> subs;
  for (const auto& [pk, def] : e.sync)
    for (const auto i : def.sync_committee_indices) subs.insert(sync_subcommittee_of(i));
  switch (tick) {
    case SlotTick::kStart:
      if (proposer) {
        out.push_back(Duty{slot, DutyType::kRandao});
        out.push_back(Duty{slot, options_.builder_proposals ? DutyType::kBuilderProposer : DutyType::kProposer});
      }
      if (attesters) out.push_back(Duty{slot, DutyType::kPrepareAggregator});
      for (const auto s : subs) out.push_back(Duty{slot, DutyType::kPrepareSyncContribution, s});
      if (options_.builder_registrations && slot == clock_.epoch_start(e.epoch) && !validators_.empty())
        out.push_back(Duty{slot, DutyType::kBuilderRegistration});
      break;
    case SlotTick::kOneThird:
      if (attesters) out.push_back(Duty{slot, DutyType::kAttester});
      if (sync) out.push_back(Duty{slot, DutyType::kSyncMessage});
      break;
    case SlotTick::kTwoThirds:
      if (attesters) out.push_back(Duty{slot, DutyType::kAggregator});
      for (const auto s : subs) out.push_back(Duty{slot, DutyType::kSyncContribution, s});
      break;
  }
  return out;
}

std::map<PubKey, DutyDefinition> Scheduler::definitions(const Duty& duty) const {
  std::map<PubKey, DutyDefinition> out;
  if (duty.type == DutyType::kBuilderRegistration || duty.type == DutyType::kExit) {
    for (const auto& [pk, v] : validators_) {
      DutyDefinition def;
      def.pubkey = pk;
      def.validator_index = v.index;
      out[pk] = def;
    }
    return out;
  }
  auto eit = epochs_.find(clock_.epoch_of(duty.slot));
  if (eit == epochs_.end()) return out;
  const EpochDuties& e = eit->second;
  switch (duty.type) {
    case DutyType::kAttester:
    case DutyType::kPrepareAggregator:
    case DutyType::kAggregator: {
      auto it = e.attesters.find(duty.slot);
      if (it != e.attesters.end()) out = it->second;
      break;
    }
    case DutyType::kProposer:
    case DutyType::kBuilderProposer:
    case DutyType::kRandao: {
      auto it = e.proposers.find(duty.slot);
      if (it != e.proposers.end()) out = it->second;
      break;
    }
    case DutyType::kSyncMessage:
      out = e.sync;
      break;
    case DutyType::kPrepareSyncContribution:
    case DutyType::kSyncContribution:
      for (const auto& [pk, def] : e.sync)
        for (const auto i : def.sync_committee_indices)
          if (sync_subcommittee_of(i) == duty.subcommittee) out[pk] = def;
      break;
    default:
      break;
  }
  return out;
}

const ValidatorRef* Scheduler::validator(const PubKey& pubkey) const {
  auto it = validators_.find(pubkey);
  return it == validators_.end() ? nullptr : &it->second;
}

void Scheduler::forget_before(Epoch epoch) {
  epochs_.erase(epochs_.begin(), epochs_.lower_bound(epoch));
}

}  // namespace phx::core
