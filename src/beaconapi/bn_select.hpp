#pragma once
/// Choosing among several beacon nodes (issue 17), pure: which BNs may serve duty data (not syncing, not far
/// behind), and which of several answers to use (attestation data by a documented score, blocks by value,
/// aggregates and contributions by participation). The HTTP fan-out that gathers the answers lives in
/// beaconapi/http/client; this file only decides. See docs/architecture.md §Several beacon nodes.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "eth/types.hpp"
#include "ssz/types.hpp"

namespace phx::beaconapi {

/// A BN whose head is more than this many slots behind (its own sync distance, or the best head among the
/// configured BNs) does not serve duty data: an attestation from a head 2 slots old still counts for the
/// source and target votes, one from further behind loses its head vote and risks a stale target.
inline constexpr std::uint64_t kMaxHeadLagSlots = 2;

/// What is known of one BN's sync state (from its last getSyncingStatus answer).
struct BnSyncView {
  bool known = false;  ///< false until the BN has answered getSyncingStatus once
  Slot head_slot{};
  std::uint64_t sync_distance = 0;
  bool is_syncing = false;
};

/// Per BN, whether it may serve duty data: a BN that answered is eligible when it is not syncing, its sync
/// distance is at most `max_lag` and its head slot is at most `max_lag` below the highest head slot among the
/// BNs that answered; a BN never heard from is eligible (no evidence against it). When no BN qualifies, all
/// are eligible (a lagging answer beats none).
std::vector<bool> duty_data_eligible(std::span<const BnSyncView> views, std::uint64_t max_lag = kMaxHeadLagSlots);

/// One BN's attestation data, in arrival order.
struct AttestationAnswer {
  std::size_t endpoint = 0;  ///< index in the configured BN list
  eth::phase0::AttestationData data{};
  Slot bn_head_slot{};  ///< the answering BN's head slot as last seen (0 when unknown)
};

/// The score of one attestation data answer, compared lexicographically (higher wins): target epoch, source
/// epoch, the number of BNs that answered exactly the same data (agreement), the answering BN's head slot.
/// Ties go to the earlier answer. Like Vouch's "best" strategy (higher checkpoints first), with agreement
/// before the head so that one BN cannot outvote the others by claiming a later head.
struct AttestationScore {
  std::uint64_t target_epoch = 0;
  std::uint64_t source_epoch = 0;
  std::size_t votes = 0;
  std::uint64_t head_slot = 0;
  auto operator<=>(const AttestationScore&) const = default;
};

/// Scores every answer (same order as `answers`).
std::vector<AttestationScore> score_attestation_data(std::span<const AttestationAnswer> answers);
/// Index into `answers` of the one to use (the first with the highest score); precondition: non-empty. When all
/// answers agree this is the first (fastest) one.
std::size_t pick_attestation_data(std::span<const AttestationAnswer> answers);

/// One BN's produced block, reduced to what the choice needs.
struct BlockOffer {
  std::size_t endpoint = 0;
  ssz::Uint256 execution_payload_value{};  ///< Wei (produceBlockV3)
  ssz::Uint256 consensus_block_value{};    ///< Wei (produceBlockV3)
};
/// a + b, saturating at 2^256 − 1.
ssz::Uint256 add_saturating(const ssz::Uint256& a, const ssz::Uint256& b);
/// -1, 0, 1 as a <, ==, > b.
int compare(const ssz::Uint256& a, const ssz::Uint256& b);
/// Index into `offers` of the highest execution + consensus value (ties: the earlier offer); precondition:
/// non-empty.
std::size_t pick_block(std::span<const BlockOffer> offers);

/// Index of the largest count (ties: the earlier); precondition: non-empty. For aggregates (attesting bits set)
/// and sync contributions (participation bits set): the most signatures included wins.
std::size_t pick_most(std::span<const std::size_t> counts);

}  // namespace phx::beaconapi
