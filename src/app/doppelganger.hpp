#pragma once
/// Doppelganger protection of a running node (`phalanx run`, on unless --doppelganger-protection=false): drives
/// core::DoppelgangerWatch with the beacon node's liveness answers (POST /eth/v1/validator/liveness/{epoch}, asked
/// at the middle of every slot for the watched epochs that have begun) and the peers' partial signatures, logs
/// every verdict (an error per validator found live elsewhere) and exports the per-status counts. The watch is
/// the Workflow's SigningGate. Docs: docs/architecture.md (Doppelganger protection).
#include <cstdint>
#include <map>
#include <vector>

#include "app/bn_adapter.hpp"
#include "base/clock.hpp"
#include "core/doppelganger.hpp"
#include "eth/fork.hpp"

namespace phx::app {

/// Counters of the driver (metrics).
struct DoppelgangerStats {
  std::uint64_t liveness_calls = 0;   ///< liveness requests answered
  std::uint64_t liveness_errors = 0;  ///< validator look-ups or liveness requests that failed (retried next slot)
};

/// The driver. Io thread; `bn`, `chain` and `clock` must outlive it.
class DoppelgangerDriver {
 public:
  /// Watches `validators` from the first epoch that begins at least two slots after now (the p2p links are up
  /// by then, so the peers' partials of that epoch are all seen).
  DoppelgangerDriver(BeaconNodeAdapter& bn, const eth::ChainConfig& chain, const Clock& clock,
                     const std::vector<core::PubKey>& validators, std::uint32_t min_peers);

  /// The gate for the Workflow.
  const core::DoppelgangerWatch& watch() const { return watch_; }
  /// A peer's partial signature (wire to ParSigExchange::subscribe_received).
  void on_peer_partial(const core::Duty& duty, const core::PubKey& pubkey, ShareIdx share) {
    watch_.on_peer_partial(pubkey, duty.slot, share);
  }
  /// Runs until no validator is watched any more (spawn it in the node's TaskGroup).
  runtime::Task<void> run();
  /// One evaluation and round of liveness requests at slot `now` (run() calls it at each slot's middle).
  runtime::Task<void> tick(Slot now);
  const DoppelgangerStats& stats() const { return stats_; }

 private:
  void report(const core::DoppelgangerEvent& e);
  Slot current_slot() const;

  BeaconNodeAdapter& bn_;
  const eth::ChainConfig& chain_;
  const Clock& clock_;
  core::DoppelgangerWatch watch_;
  DoppelgangerStats stats_;
  std::uint32_t min_peers_;
  std::uint64_t safe_logged_ = 0;  ///< validators reported safe so far (one summary line per slot)
  std::map<std::uint64_t, std::size_t> live_logged_;  ///< epoch → live validators last logged
};

}  // namespace phx::app
