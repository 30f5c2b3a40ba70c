// Unit tests of the pure rules: every rule and every reason, in both surround directions.
#include "slashing/rules.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace phx::slashing {
namespace {

Root root(std::uint8_t b) {
  Root r{};
  r[31] = b;
  return r;
}

std::error_code err(SlashingError e) {
  return make_error_code(e);
}

Result<Verdict> block(const std::vector<BlockRecord>& hist, std::uint64_t slot, const Root& r) {
  return check_block({hist, min_slot(hist)}, Slot{slot}, r);
}

Result<Verdict> att(const std::vector<AttestationRecord>& hist, std::uint64_t s, std::uint64_t t,
                    const Root& r) {
  std::optional<Epoch> ms, mt;
  for (const auto& a : hist) {
    if (!ms || a.source < *ms) ms = a.source;
    if (!mt || a.target < *mt) mt = a.target;
  }
  return check_attestation({hist, ms, mt}, Epoch{s}, Epoch{t}, r);
}

TEST(SlashingRules, EmptyHistoryAllowsAnyBlock) {
  auto v = block({}, 0, root(1));
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, Verdict::kNew);
}

TEST(SlashingRules, DoubleProposalIsRefused) {
  std::vector<BlockRecord> h{{Slot{10}, root(1)}};
  EXPECT_EQ(block(h, 10, root(2)).error(), err(SlashingError::kDoubleProposal));
}

TEST(SlashingRules, IdenticalBlockIsARepeat) {
  std::vector<BlockRecord> h{{Slot{10}, root(1)}, {Slot{11}, root(3)}};
  auto v = block(h, 10, root(1));
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, Verdict::kRepeat);
}

TEST(SlashingRules, BlockWithUnknownRecordedRootIsADoubleProposal) {
  std::vector<BlockRecord> h{{Slot{10}, std::nullopt}};
  EXPECT_EQ(block(h, 10, root(1)).error(), err(SlashingError::kDoubleProposal));
  // An explicit zero root is a value: re-signing it is a repeat (EIP-3076 complete strategy).
  std::vector<BlockRecord> z{{Slot{10}, Root{}}};
  ASSERT_TRUE(block(z, 10, Root{}));
  EXPECT_EQ(*block(z, 10, Root{}), Verdict::kRepeat);
}

TEST(SlashingRules, ConflictingRecordsAtSlotRefuseEvenAMatchingRoot) {
  std::vector<BlockRecord> h{{Slot{10}, root(1)}, {Slot{10}, root(2)}};
  EXPECT_EQ(block(h, 10, root(1)).error(), err(SlashingError::kDoubleProposal));
}

TEST(SlashingRules, BlockBelowWatermarkIsRefused) {
  std::vector<BlockRecord> h{{Slot{10}, root(1)}, {Slot{20}, root(2)}};
  EXPECT_EQ(block(h, 9, root(5)).error(), err(SlashingError::kBelowSlotWatermark));
  auto between = block(h, 15, root(5));  // complete strategy: a gap above the watermark is fine
  ASSERT_TRUE(between);
  EXPECT_EQ(*between, Verdict::kNew);
}

TEST(SlashingRules, SourceAfterTargetIsRefused) {
  EXPECT_EQ(att({}, 5, 4, root(1)).error(), err(SlashingError::kSourceAfterTarget));
  EXPECT_TRUE(att({}, 4, 4, root(1)));
}

TEST(SlashingRules, DoubleVoteIsRefused) {
  std::vector<AttestationRecord> h{{Epoch{2}, Epoch{3}, root(1)}};
  EXPECT_EQ(att(h, 2, 3, root(2)).error(), err(SlashingError::kDoubleVote));
  EXPECT_EQ(att(h, 1, 3, root(1)).error(), err(SlashingError::kDoubleVote));  // same root, other source
}

TEST(SlashingRules, IdenticalAttestationIsARepeat) {
  std::vector<AttestationRecord> h{{Epoch{2}, Epoch{3}, root(1)}};
  auto v = att(h, 2, 3, root(1));
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, Verdict::kRepeat);
}

TEST(SlashingRules, SurroundingVoteIsRefused) {
  std::vector<AttestationRecord> h{{Epoch{3}, Epoch{4}, root(1)}, {Epoch{1}, Epoch{2}, root(9)}};
  EXPECT_EQ(att(h, 2, 5, root(2)).error(), err(SlashingError::kSurroundingVote));
}

TEST(SlashingRules, SurroundedVoteIsRefused) {
  std::vector<AttestationRecord> h{{Epoch{2}, Epoch{10}, root(1)}};
  EXPECT_EQ(att(h, 3, 9, root(2)).error(), err(SlashingError::kSurroundedVote));
}

TEST(SlashingRules, AttestationBelowWatermarksIsRefused) {
  std::vector<AttestationRecord> h{{Epoch{10}, Epoch{20}, root(1)}};
  EXPECT_EQ(att(h, 9, 21, root(2)).error(), err(SlashingError::kSurroundingVote));
  // Watermarks without the records (as after pruning or from an import): source below / target at-or-below.
  std::vector<AttestationRecord> none;
  EXPECT_EQ(check_attestation({none, Epoch{10}, Epoch{20}}, Epoch{9}, Epoch{25}, root(2)).error(),
            err(SlashingError::kBelowSourceWatermark));
  EXPECT_EQ(check_attestation({none, Epoch{10}, Epoch{20}}, Epoch{10}, Epoch{20}, root(2)).error(),
            err(SlashingError::kBelowTargetWatermark));
  auto ok = check_attestation({none, Epoch{10}, Epoch{20}}, Epoch{10}, Epoch{21}, root(2));
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, Verdict::kNew);
}

TEST(SlashingRules, NonSurroundingNeighboursAreSafe) {
  std::vector<AttestationRecord> h{{Epoch{2}, Epoch{3}, root(1)}, {Epoch{3}, Epoch{4}, root(2)}};
  EXPECT_TRUE(att(h, 4, 5, root(3)));
  EXPECT_TRUE(att(h, 3, 5, root(3)));  // same source, later target: not a surround
}

TEST(SlashingRules, EveryReasonHasAMessage) {
  for (int i = 0; i <= static_cast<int>(SlashingError::kUnsupportedVersion); ++i)
    EXPECT_STRNE(to_string(static_cast<SlashingError>(i)), "unknown slashing error");
  EXPECT_NE(make_error_code(SlashingError::kDoubleVote).message().find("double vote"), std::string::npos);
}

}  // namespace
}  // namespace phx::slashing
