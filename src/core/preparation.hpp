#pragma once
/// BnPreparation: in embedded mode the node is the validator client, so it tells its beacon node what a VC
/// would (consensus-specs phase0/altair validator.md, Beacon API validator endpoints):
/// - per resolved epoch: committee subnet subscriptions for the epoch's attesters (is_aggregator false), sync
///   committee subnet subscriptions for members (until the end of the sync period), and proposer preparations
///   (the lock's fee recipient of every known validator) — so the BN builds the cluster's payloads with the
///   operator's fee recipient instead of its default;
/// - per slot, once the cluster's combined selection proofs are known: subscriptions with is_aggregator true
///   for the slot's aggregators, before the attestations go out at 1/3 of the slot (a BN such as Lodestar pools
///   API-submitted attestations for aggregation only on subnets with an aggregator subscription).
/// Failures are logged and counted; they never fail a duty (the BN may still have what it needs from gossip).
/// Runs on the io thread.
#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "core/interfaces.hpp"
#include "core/scheduler.hpp"

namespace phx::core {

/// What BnPreparation sent (metrics and tests).
struct PreparationStats {
  std::uint64_t committee_subscriptions = 0;  ///< entries sent (both kinds)
  std::uint64_t aggregator_subscriptions = 0; ///< entries with is_aggregator true
  std::uint64_t sync_subscriptions = 0;       ///< entries sent
  std::uint64_t proposer_preparations = 0;    ///< entries sent
  std::uint64_t failures = 0;                 ///< BN calls that failed
};

class BnPreparation {
 public:
  /// `scheduler` and `bn` are not owned. `fee_recipients`: per DV key; validators not in it use `fallback`.
  BnPreparation(const Scheduler& scheduler, BeaconNode& bn, std::map<PubKey, eth::ExecutionAddress> fee_recipients,
                eth::ExecutionAddress fallback);

  /// Sends `epoch`'s subscriptions and the proposer preparations (once per epoch; later calls for the same
  /// epoch only resend the proposer preparations if the first call failed).
  Task<void> on_epoch_resolved(Epoch epoch);
  /// Marks the aggregators among `defs` (slot attesters) by their combined selection proofs.
  Task<void> on_aggregators(Slot slot, std::vector<DutyDefinition> aggregators);
  /// Forgets epochs before `epoch`.
  void forget_before(Epoch epoch);
  const PreparationStats& stats() const { return stats_; }

  /// The fee recipient for `pubkey`.
  const eth::ExecutionAddress& fee_recipient(const PubKey& pubkey) const;

 private:
  const Scheduler& scheduler_;
  BeaconNode& bn_;
  std::map<PubKey, eth::ExecutionAddress> fee_recipients_;
  eth::ExecutionAddress fallback_;
  std::set<Epoch> done_;  // epochs whose subscriptions went out
  PreparationStats stats_;
};

}  // namespace phx::core
