// BnPreparation: the subscriptions and proposer preparations an embedded-mode node sends its BN (see header).
#include "core/preparation.hpp"

#include "base/log.hpp"

namespace phx::core {

BnPreparation::BnPreparation(const Scheduler& scheduler, BeaconNode& bn,
                             std::map<PubKey, eth::ExecutionAddress> fee_recipients, eth::ExecutionAddress fallback)
    : scheduler_(scheduler), bn_(bn), fee_recipients_(std::move(fee_recipients)), fallback_(fallback) {}

const eth::ExecutionAddress& BnPreparation::fee_recipient(const PubKey& pubkey) const {
  auto it = fee_recipients_.find(pubkey);
  return it == fee_recipients_.end() ? fallback_ : it->second;
}

Task<void> BnPreparation::on_epoch_resolved(Epoch epoch) {
  const bool first = !done_.contains(epoch);
  done_.insert(epoch);
  const SlotClock& sc = scheduler_.clock();
  if (first) {
    std::vector<CommitteeSubscription> subs;
    for (Slot s = sc.epoch_start(epoch); s.value < sc.epoch_start(Epoch{epoch.value + 1}).value; s = Slot{s.value + 1}) {
      for (const auto& [pk, def] : scheduler_.definitions(Duty{s, DutyType::kAttester})) {
        subs.push_back(CommitteeSubscription{def.validator_index, def.committee_index, def.committees_at_slot, s, false});
      }
    }
    if (!subs.empty()) {
      const auto n = subs.size();
      if (auto r = co_await bn_.subscribe_committees(std::move(subs)); !r) {
        ++stats_.failures;
        log::warn("beacon node: committee subscriptions of epoch {} failed: {}", epoch.value, r.error().message());
      } else {
        stats_.committee_subscriptions += n;
      }
    }
    std::vector<SyncCommitteeSubscription> sync;
    const std::uint64_t period = sc.config().epochs_per_sync_committee_period;
    const Epoch until{(epoch.value / period + 1) * period};
    for (const auto& [pk, def] : scheduler_.definitions(Duty{sc.epoch_start(epoch), DutyType::kSyncMessage})) {
      sync.push_back(SyncCommitteeSubscription{def.validator_index, def.sync_committee_indices, until});
    }
    if (!sync.empty()) {
      const auto n = sync.size();
      if (auto r = co_await bn_.subscribe_sync_committees(std::move(sync)); !r) {
        ++stats_.failures;
        log::warn("beacon node: sync committee subscriptions of epoch {} failed: {}", epoch.value,
                  r.error().message());
      } else {
        stats_.sync_subscriptions += n;
      }
    }
  }
  std::vector<ProposerPreparation> preps;
  for (const auto& [pk, v] : scheduler_.validators()) {
    if (v.active) preps.push_back(ProposerPreparation{v.index, fee_recipient(pk)});
  }
  if (!preps.empty()) {
    const auto n = preps.size();
    if (auto r = co_await bn_.prepare_proposers(std::move(preps)); !r) {
      ++stats_.failures;
      log::warn("beacon node: proposer preparations (fee recipients) failed: {}", r.error().message());
    } else {
      stats_.proposer_preparations += n;
    }
  }
}

Task<void> BnPreparation::on_aggregators(Slot slot, std::vector<DutyDefinition> aggregators) {
  if (aggregators.empty()) co_return;
  std::vector<CommitteeSubscription> subs;
  for (const auto& def : aggregators)
    subs.push_back(CommitteeSubscription{def.validator_index, def.committee_index, def.committees_at_slot, slot, true});
  const auto n = subs.size();
  if (auto r = co_await bn_.subscribe_committees(std::move(subs)); !r) {
    ++stats_.failures;
    log::warn("beacon node: aggregator subscriptions of slot {} failed: {}", slot.value, r.error().message());
  } else {
    stats_.committee_subscriptions += n;
    stats_.aggregator_subscriptions += n;
  }
}

void BnPreparation::forget_before(Epoch epoch) {
  done_.erase(done_.begin(), done_.lower_bound(epoch));
}

}  // namespace phx::core
