// Doppelganger protection of a running node: liveness requests each slot, verdicts logged and counted.
#include "app/doppelganger.hpp"

#include <map>

#include "base/bytes.hpp"
#include "base/log.hpp"

namespace phx::app {

namespace {

core::DoppelgangerWatch make_watch(const eth::ChainConfig& chain, const Clock& clock,
                                   const std::vector<core::PubKey>& validators, std::uint32_t min_peers) {
  const Duration slot = std::chrono::seconds(chain.seconds_per_slot);
  const TimePoint genesis{std::chrono::seconds(chain.genesis_time)};
  const auto since = std::chrono::duration_cast<Duration>(clock.now() - genesis);
  core::DoppelgangerOptions o;
  o.slots_per_epoch = chain.slots_per_epoch;
  o.min_peers = min_peers;
  const Epoch first = core::first_watched_epoch(since, slot, chain.slots_per_epoch, 2 * slot);
  return core::DoppelgangerWatch(validators, first, o);
}

}  // namespace

DoppelgangerDriver::DoppelgangerDriver(BeaconNodeAdapter& bn, const eth::ChainConfig& chain, const Clock& clock,
                                       const std::vector<core::PubKey>& validators, std::uint32_t min_peers)
    : bn_(bn),
      chain_(chain),
      clock_(clock),
      watch_(make_watch(chain, clock, validators, min_peers)),
      min_peers_(min_peers) {
  log::info("doppelganger protection: signing nothing for {} validators until epochs {}-{} show none of them live "
            "without this cluster's partial signatures (opt out: --doppelganger-protection=false)",
            validators.size(), watch_.first_epoch().value, watch_.last_epoch().value);
}

void DoppelgangerDriver::report(const core::DoppelgangerEvent& e) {
  if (e.status == core::DoppelgangerStatus::kDetected) {
    log::error("doppelganger detected: validator {} was live in epoch {} without this cluster's partial "
               "signatures: another signer uses its key. This node will not sign for it; stop the other signer, "
               "make sure it is gone, then restart this node",
               to_hex(e.pubkey), e.epoch.value);
  }
}

runtime::Task<void> DoppelgangerDriver::tick(Slot now) {
  for (const auto& e : watch_.on_slot(now)) report(e);
  const auto counts = watch_.counts();
  const auto safe = counts[static_cast<std::size_t>(core::DoppelgangerStatus::kSafe)];
  if (safe > safe_logged_) {
    log::info("doppelganger watch: {} validators safe after epochs {}-{} ({} watching, {} detected); signing for them",
              safe - safe_logged_, watch_.first_epoch().value, watch_.last_epoch().value,
              counts[static_cast<std::size_t>(core::DoppelgangerStatus::kWatching)],
              counts[static_cast<std::size_t>(core::DoppelgangerStatus::kDetected)]);
    safe_logged_ = safe;
  }
  const auto epochs = watch_.epochs_to_ask(now);
  if (epochs.empty()) co_return;
  const auto watched = watch_.watched();
  auto refs = co_await bn_.validators(watched);
  if (!refs) {
    ++stats_.liveness_errors;
    co_return;  // asked again next slot
  }
  // A validator the BN does not know has not attested or proposed: asked about, never live.
  std::map<std::uint64_t, core::PubKey> by_index;
  std::vector<ValidatorIndex> indices;
  for (const auto& r : *refs) {
    by_index[r.index.value] = r.pubkey;
    indices.push_back(r.index);
  }
  for (const auto epoch : epochs) {
    auto answer = co_await bn_.liveness(epoch, indices);
    if (!answer) {
      if (stats_.liveness_errors++ % chain_.slots_per_epoch == 0)
        log::error("doppelganger watch: the beacon node's liveness endpoint failed ({}); nothing is signed until "
                   "it answers (a beacon node without POST /eth/v1/validator/liveness/{{epoch}}: run with "
                   "--doppelganger-protection=false)",
                   answer.error().message());
      co_return;
    }
    ++stats_.liveness_calls;
    std::vector<core::PubKey> live;
    for (const auto& [idx, is_live] : *answer)
      if (is_live)
        if (auto it = by_index.find(idx.value); it != by_index.end()) live.push_back(it->second);
    if (auto& seen = live_logged_[epoch.value]; live.size() > seen) {
      log::info("doppelganger watch: epoch {}: {} of {} watched validators live (counted only without {} of this "
                "cluster's peers signing for them)",
                epoch.value, live.size(), watched.size(), min_peers_);
      seen = live.size();
    }
    // The answer covers the BN's view at its arrival: the slot of that moment is when it was "asked".
    watch_.on_liveness(epoch, Slot{std::max(current_slot().value, now.value)}, watched, live);
  }
}

Slot DoppelgangerDriver::current_slot() const {
  const auto since = std::chrono::duration_cast<Duration>(clock_.now() - TimePoint{std::chrono::seconds(chain_.genesis_time)});
  const Duration slot = std::chrono::seconds(chain_.seconds_per_slot);
  return Slot{static_cast<std::uint64_t>(std::max<Duration::rep>(0, since.count()) / slot.count())};
}

runtime::Task<void> DoppelgangerDriver::run() {
  const Duration slot = std::chrono::seconds(chain_.seconds_per_slot);
  const TimePoint genesis{std::chrono::seconds(chain_.genesis_time)};
  while (!watch_.watched().empty()) {
    // The middle of the next slot: the slot's attestations (made at 1/3) have reached the beacon node.
    const auto now = clock_.now();
    TimePoint next = genesis + slot / 2;
    if (now >= next) next += ((now - next) / slot + 1) * slot;
    co_await runtime::sleep_for(std::chrono::duration_cast<Duration>(next - now));
    co_await tick(current_slot());
  }
  const auto counts = watch_.counts();
  log::info("doppelganger watch over: {} validators safe, {} detected",
            counts[static_cast<std::size_t>(core::DoppelgangerStatus::kSafe)],
            counts[static_cast<std::size_t>(core::DoppelgangerStatus::kDetected)]);
}

}  // namespace phx::app
