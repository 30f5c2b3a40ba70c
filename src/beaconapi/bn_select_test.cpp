// Choosing among several beacon nodes: eligibility (syncing / lagging BNs skipped), the attestation data
// score, block value and participation picks.
#include <gtest/gtest.h>

#include "beaconapi/bn_select.hpp"

namespace phx::beaconapi {
namespace {

BnSyncView view(std::uint64_t head, std::uint64_t distance = 0, bool syncing = false) {
  return BnSyncView{true, Slot{head}, distance, syncing};
}

TEST(BnSelect, SyncingOrLaggingBeaconNodesAreNotEligible) {
  const std::vector<BnSyncView> v{view(100), view(100, 40, true), view(97), view(99, 3), view(98), BnSyncView{}};
  const auto e = duty_data_eligible(v);
  EXPECT_EQ(e, (std::vector<bool>{true, false, false, false, true, true}));
}

TEST(BnSelect, WhenNoBeaconNodeQualifiesAllAreUsed) {
  const std::vector<BnSyncView> v{view(10, 50, true), view(12, 60, true)};
  EXPECT_EQ(duty_data_eligible(v), (std::vector<bool>{true, true}));
}

TEST(BnSelect, ASyncingBeaconNodesHighHeadDoesNotExcludeTheOthers) {
  // A syncing BN's head is not the reference (it may report anything while catching up).
  const std::vector<BnSyncView> v{view(500, 0, true), view(100)};
  EXPECT_EQ(duty_data_eligible(v), (std::vector<bool>{false, true}));
}

eth::phase0::AttestationData data(std::uint64_t source, std::uint64_t target, std::uint8_t head) {
  eth::phase0::AttestationData d{};
  d.slot = Slot{64};
  d.source.epoch = Epoch{source};
  d.target.epoch = Epoch{target};
  d.beacon_block_root[0] = head;
  return d;
}

TEST(BnSelect, AgreeingAttestationDataPicksTheFirstAnswer) {
  const std::vector<AttestationAnswer> a{{2, data(1, 2, 7), Slot{64}}, {0, data(1, 2, 7), Slot{64}}};
  EXPECT_EQ(pick_attestation_data(a), 0u);
}

TEST(BnSelect, DisagreeingAttestationDataPicksByTheDocumentedScore) {
  // Higher target epoch wins over everything else.
  {
    const std::vector<AttestationAnswer> a{{0, data(1, 2, 1), Slot{70}}, {1, data(1, 3, 2), Slot{60}}};
    EXPECT_EQ(pick_attestation_data(a), 1u);
  }
  // Same checkpoints: agreement wins over a claimed later head.
  {
    const std::vector<AttestationAnswer> a{
        {0, data(1, 2, 9), Slot{90}}, {1, data(1, 2, 5), Slot{64}}, {2, data(1, 2, 5), Slot{64}}};
    EXPECT_EQ(pick_attestation_data(a), 1u);
    const auto s = score_attestation_data(a);
    EXPECT_EQ(s[0].votes, 1u);
    EXPECT_EQ(s[1].votes, 2u);
  }
  // Same checkpoints and votes: the BN with the higher head.
  {
    const std::vector<AttestationAnswer> a{{0, data(1, 2, 1), Slot{63}}, {1, data(1, 2, 2), Slot{64}}};
    EXPECT_EQ(pick_attestation_data(a), 1u);
  }
  // Higher source epoch when targets tie.
  {
    const std::vector<AttestationAnswer> a{{0, data(0, 2, 1), Slot{64}}, {1, data(1, 2, 2), Slot{64}}};
    EXPECT_EQ(pick_attestation_data(a), 1u);
  }
}

ssz::Uint256 wei(std::uint64_t v) { return ssz::Uint256::from_u64(v); }

TEST(BnSelect, BlockWithTheHighestTotalValueWins) {
  const std::vector<BlockOffer> o{{0, wei(100), wei(5)}, {1, wei(90), wei(20)}, {2, wei(110), wei(0)}};
  EXPECT_EQ(pick_block(o), 1u);  // 110 = 110: the earlier of the two
  const std::vector<BlockOffer> tie{{0, wei(1), wei(1)}, {1, wei(2), wei(0)}};
  EXPECT_EQ(pick_block(tie), 0u);
}

TEST(BnSelect, Uint256ArithmeticCarriesAndSaturates) {
  ssz::Uint256 a = wei(~0ULL);
  auto s = add_saturating(a, wei(1));
  EXPECT_EQ(s.le[8], 1);
  EXPECT_EQ(compare(s, a), 1);
  EXPECT_EQ(compare(a, s), -1);
  EXPECT_EQ(compare(a, a), 0);
  ssz::Uint256 max;
  max.le.fill(0xff);
  EXPECT_EQ(add_saturating(max, wei(5)), max);
  ssz::Uint256 high;
  high.le[31] = 1;
  const std::vector<BlockOffer> o{{0, wei(~0ULL), wei(~0ULL)}, {1, high, wei(0)}};
  EXPECT_EQ(pick_block(o), 1u);
}

TEST(BnSelect, MostParticipationWins) {
  const std::vector<std::size_t> c{3, 7, 7, 1};
  EXPECT_EQ(pick_most(c), 1u);
}

}  // namespace
}  // namespace phx::beaconapi
