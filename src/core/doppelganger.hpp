#pragma once
/// Doppelganger protection's decision logic (sans-IO): which of the cluster's validators this node may sign for
/// after a start. Each validator is watched for `watch_epochs` whole epochs (the first starting after the node
/// did); the beacon node's liveness answers (POST /eth/v1/validator/liveness/{epoch}) say whether it was seen
/// attesting or proposing; liveness in an epoch for which at least `min_peers` of the cluster's other nodes sent
/// this node partial signatures of that validator's duties is the cluster's own work and does not count. Any
/// other liveness is a doppelganger: the validator is never signed for by this process. Docs: docs/architecture.md
/// (Doppelganger protection), docs/RELIABILITY.md.
#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "base/ids.hpp"
#include "core/interfaces.hpp"
#include "core/types.hpp"

namespace phx::core {

/// Settings of the watch.
struct DoppelgangerOptions {
  std::uint64_t slots_per_epoch = 32;
  /// Whole epochs each validator is watched (Lighthouse, Teku and Nimbus: 2). At least 1.
  std::uint64_t watch_epochs = 2;
  /// Distinct peers (share indices other than this node's) whose partials of a validator's duties in an epoch
  /// explain its liveness there. At least 1; `doppelganger_min_peers` gives the cluster's value.
  std::uint32_t min_peers = 1;
};

/// min(f + 1, t) with f = n − t, at least 1: enough peers that one of them is honest (a Byzantine minority
/// alone cannot hide a doppelganger), never more than the cluster needs to sign without this node.
std::uint32_t doppelganger_min_peers(std::uint32_t nodes, std::uint32_t threshold);

/// The first epoch that a node started `since_genesis` after genesis (negative: before) watches: the first one
/// that begins at least `margin` after the start (an epoch already under way may hold signatures of this node's
/// previous run, or of its peers that this node did not see). Precondition: slot > 0, slots_per_epoch > 0.
Epoch first_watched_epoch(Duration since_genesis, Duration slot, std::uint64_t slots_per_epoch, Duration margin);

/// Where one validator stands.
enum class DoppelgangerStatus : std::uint8_t {
  kWatching = 0,  ///< not every watched epoch checked yet: nothing is signed
  kSafe = 1,      ///< every watched epoch checked, no doppelganger: signing allowed
  kDetected = 2,  ///< live in an epoch without the cluster's partials: never signed for by this process
};
/// "watching" / "safe" / "detected".
const char* to_string(DoppelgangerStatus s);

/// A validator's status change, returned by DoppelgangerWatch::on_slot.
struct DoppelgangerEvent {
  PubKey pubkey{};
  DoppelgangerStatus status = DoppelgangerStatus::kWatching;  ///< the new status (kSafe or kDetected)
  Epoch epoch{};  ///< kDetected: the epoch of the unexplained liveness; kSafe: the last watched epoch
};

/// The watch. Single-threaded (the io thread); implements the Workflow's SigningGate.
class DoppelgangerWatch final : public SigningGate {
 public:
  /// Watches `validators` over epochs [first, first + watch_epochs). Preconditions: options.watch_epochs ≥ 1,
  /// options.min_peers ≥ 1, options.slots_per_epoch ≥ 1.
  DoppelgangerWatch(const std::vector<PubKey>& validators, Epoch first, DoppelgangerOptions options);

  /// A peer's partial signature of `pubkey` for a duty of `duty_slot`, sent by `share` (not this node's).
  /// Unknown validators are ignored.
  void on_peer_partial(const PubKey& pubkey, Slot duty_slot, ShareIdx share);

  /// The beacon node's liveness answer for `epoch`, asked at `asked_at` (the slot current when the request was
  /// sent). `live`: the validators it calls live; `asked`: every validator asked about (those not in `live`
  /// were not live). An answer asked after `epoch` ended (at the first slot of the next epoch or later) is
  /// final for it. Takes effect at the next on_slot after `asked_at` (the cluster's partials of `asked_at`'s
  /// duties have arrived by then).
  void on_liveness(Epoch epoch, Slot asked_at, const std::vector<PubKey>& asked, const std::vector<PubKey>& live);

  /// Evaluates at slot `now`: liveness asked before `now` without `min_peers` peers' partials for that validator
  /// and epoch → kDetected; a validator whose every watched epoch has a final answer (not live, or live and
  /// explained) → kSafe. Returns the changes.
  std::vector<DoppelgangerEvent> on_slot(Slot now);

  /// The epochs to ask the beacon node about at slot `now`: every watched epoch that has begun and lacks a final
  /// answer for a validator still watched (the current one too, to detect early). Empty once none is watched.
  std::vector<Epoch> epochs_to_ask(Slot now) const;

  /// The validators still watched (asked about in liveness requests).
  std::vector<PubKey> watched() const;

  /// SigningGate: true only for kSafe validators (unknown ones: false).
  bool may_sign(const PubKey& pubkey) const override;

  /// `pubkey`'s status (kWatching for unknown keys).
  DoppelgangerStatus status(const PubKey& pubkey) const;
  /// Validators per status, indexed by DoppelgangerStatus.
  std::array<std::size_t, 3> counts() const;
  /// The watched epochs [first, last].
  Epoch first_epoch() const { return first_; }
  Epoch last_epoch() const { return Epoch{first_.value + options_.watch_epochs - 1}; }

 private:
  struct PerValidator {
    DoppelgangerStatus status = DoppelgangerStatus::kWatching;
    std::map<std::uint64_t, std::set<std::uint64_t>> peers;  ///< epoch → share indices that sent partials
    std::map<std::uint64_t, Slot> live;                      ///< epoch → first slot an answer said live at
    std::map<std::uint64_t, Slot> final_at;                  ///< epoch → slot of its first final answer
  };
  bool explained(const PerValidator& v, std::uint64_t epoch) const;
  bool watched_epoch(std::uint64_t epoch) const;

  Epoch first_;
  DoppelgangerOptions options_;
  std::map<PubKey, PerValidator> validators_;
};

}  // namespace phx::core
