// Scheduler and workflow reactions to the BN's head events: a changed dependent root (late last block of an
// epoch, reorg), the next epoch's proposers learnt at the epoch's last slot, early attestation on the head, a
// head from the future; and the window of peers' partials (own share index, duties over an epoch ahead).
// 4 workflows over the test doubles with virtual time (12 s slots, 32-slot epochs).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
#include <gtest/gtest.h>

#include "core/workflow_doubles_test.hpp"

namespace phx::core {
namespace {

using testing::Harness;
using testing::TestKeys;

constexpr std::uint64_t kGenesis = 1'700'000'000;

const TestKeys& keys4() {
  static const TestKeys k = testing::make_keys(4, 3, 4);
  return k;
}

eth::ChainConfig config_with(eth::Fork last) {
  Root gvr{};
  gvr[0] = 0x79;
  return eth::devnet_config(last, kGenesis, gvr);
}

Root root_of(std::uint8_t tag) {
  Root r{};
  r[0] = 0x5a;
  r[1] = tag;
  return r;
}

/// The head event a BN would send for a block at `slot` with root `block`, given its current chain view.
HeadEvent head_at(const testing::BeaconNodeDouble& bn, Slot slot, Root block) {
  const auto e = static_cast<std::int64_t>(slot.value / 32);
  return HeadEvent{slot, block, bn.end_root(e - 2), bn.end_root(e - 1)};
}

/// True when `n` reported `d` done; a proposal counts as either kind (full or builder block).
bool succeeded(const Harness::Node& n, Duty d) {
  for (const auto& r : n.results) {
    Duty got = r.report.duty;
    if (got.type == DutyType::kBuilderProposer) got.type = DutyType::kProposer;
    if (got == d && r.report.success) return true;
  }
  return false;
}

constexpr std::chrono::milliseconds kMs{1};

std::string failures_of(const Harness::Node& n) {
  std::string out;
  for (const auto& r : n.results)
    if (!r.report.success) out += to_string(r.report.duty) + ": " + r.report.reason + "\n";
  return out;
}

// The BN's answer for epoch 1, asked for during epoch 0, is a guess; the block at epoch 0's last slot changes
// it so that a cluster validator proposes at epoch 1's FIRST slot. The head event for that block makes every
// node ask again before slot 32 starts, and the proposal is made (no slot-start BN call needed).
TEST(SchedulerHead, LastSlotHeadSchedulesFirstSlotProposalOfNextEpoch) {
  Harness h(config_with(eth::Fork::kDeneb), keys4(), {1, 2, 3, 4});
  h.start();
  h.run_until(h.slot_start(Slot{31}) + 500 * kMs);
  for (auto& n : h.nodes()) {
    ASSERT_TRUE(n->workflow->scheduler().resolved(Epoch{1}));
    EXPECT_TRUE(n->workflow->scheduler().proposers_provisional(Epoch{1}));
    EXPECT_TRUE(n->workflow->scheduler().definitions(Duty{Slot{32}, DutyType::kProposer}).empty());
  }
  // The block of slot 31 arrives: with it the proposer shuffling of epoch 1 (validator 0 now at slot 32).
  const Root block31 = root_of(31);
  h.bn().end_of_epoch_root[0] = block31;
  h.bn().proposer_shift[1] = 30;
  const auto calls_before = h.bn().proposer_calls[1];
  for (auto& n : h.nodes()) n->workflow->on_head(head_at(h.bn(), Slot{31}, block31));
  h.run_until(h.slot_start(Slot{32}) - kMs);
  EXPECT_EQ(h.bn().proposer_calls[1], calls_before + 4);  // one refresh per node, before the slot
  for (auto& n : h.nodes()) {
    EXPECT_FALSE(n->workflow->scheduler().proposers_provisional(Epoch{1}));
    EXPECT_EQ(n->workflow->scheduler().definitions(Duty{Slot{32}, DutyType::kProposer}).size(), 1u);
    EXPECT_EQ(n->workflow->metrics().duty_refreshes, 1u);
  }
  h.run_until(h.slot_start(Slot{33}));
  EXPECT_EQ(h.bn().proposer_calls[1], calls_before + 4);  // final proposers: no slot-start refresh
  for (auto& n : h.nodes()) EXPECT_TRUE(succeeded(*n, Duty{Slot{32}, DutyType::kProposer})) << failures_of(*n);
  EXPECT_GE(h.bn().stats.accepted[DutyType::kProposer] + h.bn().stats.accepted[DutyType::kBuilderProposer], 1u);
}

// Without head events (a BN that does not stream them) the epoch-start refresh still finds the change.
TEST(SchedulerHead, WithoutEventsTheEpochStartRefreshStillFindsTheChange) {
  Harness h(config_with(eth::Fork::kDeneb), keys4(), {1, 2, 3, 4});
  h.start();
  h.run_until(h.slot_start(Slot{31}) + 500 * kMs);
  h.bn().end_of_epoch_root[0] = root_of(31);
  h.bn().proposer_shift[1] = 30;
  h.run_until(h.slot_start(Slot{33}));
  for (auto& n : h.nodes()) {
    EXPECT_FALSE(n->workflow->scheduler().proposers_provisional(Epoch{1}));
    EXPECT_TRUE(succeeded(*n, Duty{Slot{32}, DutyType::kProposer})) << failures_of(*n);
    EXPECT_EQ(n->workflow->metrics().head_events, 0u);
  }
}

// A reorg replaces the last block of epoch 0 while epoch 1 runs: the head events after it carry a new
// current_duty_dependent_root, so epoch 1's proposers and epoch 2's attester duties (resolved ahead) are asked
// for again, once; an unchanged head asks for nothing.
TEST(SchedulerHead, ReorgOfDependentBlockRefreshesDutiesOnce) {
  Harness h(config_with(eth::Fork::kDeneb), keys4(), {1, 2, 3, 4});
  h.start();
  h.run_until(h.slot_start(Slot{40}) + 100 * kMs);
  Scheduler const& sched = h.nodes()[0]->workflow->scheduler();
  ASSERT_TRUE(sched.resolved(Epoch{2}));
  // Same chain: nothing to do.
  EXPECT_TRUE(sched.on_head(head_at(h.bn(), Slot{40}, root_of(40))).empty());

  const auto att_before = h.bn().attester_calls[2];
  const auto prop1_before = h.bn().proposer_calls[1];
  const auto prop2_before = h.bn().proposer_calls[2];
  h.bn().end_of_epoch_root[0] = root_of(0xee);  // the reorg
  h.bn().proposer_shift[1] = 1;
  const HeadEvent after = head_at(h.bn(), Slot{41}, root_of(41));
  const HeadPlan plan = sched.on_head(after);
  ASSERT_EQ(plan.proposers.size(), 1u);
  EXPECT_EQ(plan.proposers[0].first, Epoch{1});
  EXPECT_EQ(plan.proposers[0].second, root_of(0xee));
  ASSERT_EQ(plan.resolve.size(), 1u);
  EXPECT_EQ(plan.resolve[0].first, Epoch{2});  // attesters of 2 depend on the end of epoch 0

  h.nodes()[0]->workflow->on_head(after);
  h.nodes()[0]->workflow->on_head(after);  // a second event while the lookups run: not asked twice
  h.run_until(h.slot_start(Slot{41}) + 200 * kMs);
  EXPECT_EQ(h.bn().proposer_calls[1], prop1_before + 1);  // epoch 1's proposers asked again
  EXPECT_EQ(h.bn().proposer_calls[2], prop2_before + 1);  // epoch 2 resolved again in full
  EXPECT_EQ(h.bn().attester_calls[2], att_before + 1);
  EXPECT_TRUE(sched.on_head(after).empty());  // now in line with the chain
  // Epoch 1's proposers moved by one slot: validator 0 proposes at 35 instead of 34.
  EXPECT_EQ(sched.definitions(Duty{Slot{35}, DutyType::kProposer}).size(), 1u);
  EXPECT_TRUE(sched.definitions(Duty{Slot{34}, DutyType::kProposer}).empty());
}

// A head event for a slot more than one ahead of the clock (a faulty or lying BN) is ignored: no duty lookup for
// an epoch without a chain, counted; a head of the next slot (clock skew) is still taken.
TEST(SchedulerHead, HeadFromTheFutureIsIgnoredAndCounted) {
  Harness h(config_with(eth::Fork::kDeneb), keys4(), {1, 2, 3, 4});
  h.start();
  h.run_until(h.slot_start(Slot{40}) + 100 * kMs);
  auto& node = *h.nodes()[0];
  const auto att_before = h.bn().attester_calls;
  const auto prop_before = h.bn().proposer_calls;
  const auto refreshes = node.workflow->metrics().duty_refreshes;
  // Slot 40 + 32·5: its dependent roots differ from anything resolved, so a taken head would ask again.
  h.bn().end_of_epoch_root[5] = root_of(0xfe);
  node.workflow->on_head(head_at(h.bn(), Slot{200}, root_of(200)));
  h.run_until(h.slot_start(Slot{40}) + 300 * kMs);
  EXPECT_EQ(node.workflow->metrics().future_heads, 1u);
  EXPECT_EQ(node.workflow->metrics().head_events, 1u);
  EXPECT_EQ(node.workflow->metrics().duty_refreshes, refreshes);
  EXPECT_EQ(h.bn().attester_calls, att_before);
  EXPECT_EQ(h.bn().proposer_calls, prop_before);
  // The next slot's head (this node's clock a little behind) is taken.
  node.workflow->on_head(head_at(h.bn(), Slot{41}, root_of(41)));
  EXPECT_EQ(node.workflow->metrics().future_heads, 1u);
  EXPECT_EQ(node.workflow->metrics().head_events, 2u);
}

// The head for the current slot starts its attestation at once (before 1/3 of the slot); a head for an
// earlier slot, or one after 1/3, starts nothing early.
TEST(SchedulerHead, HeadOfTheSlotStartsAttestationEarly) {
  Harness h(config_with(eth::Fork::kDeneb), keys4(), {1, 2, 3, 4});
  h.start();
  // Validator 0's attester slot in epoch 1 is 32 + (3 + 1) = 36 (BeaconNodeDouble::attester_slot).
  const Slot s{36};
  h.run_until(h.slot_start(s) + 300 * kMs);
  for (auto& n : h.nodes()) n->workflow->on_head(head_at(h.bn(), Slot{35}, root_of(35)));  // late, old slot
  for (auto& n : h.nodes()) EXPECT_EQ(n->workflow->metrics().early_triggers, 0u);
  for (auto& n : h.nodes()) n->workflow->on_head(head_at(h.bn(), s, root_of(36)));
  h.run_until(h.slot_start(s) + 2000 * kMs);  // 1/3 of the slot is at 4 s
  for (auto& n : h.nodes()) {
    EXPECT_GE(n->workflow->metrics().early_triggers, 1u);
    EXPECT_TRUE(succeeded(*n, Duty{s, DutyType::kAttester})) << failures_of(*n);
  }
  // After 1/3: the tick already started the duties, a head starts nothing more.
  const Slot t{37};
  h.run_until(h.slot_start(t) + 5000 * kMs);
  const auto early = h.nodes()[0]->workflow->metrics().early_triggers;
  h.nodes()[0]->workflow->on_head(head_at(h.bn(), t, root_of(37)));
  EXPECT_EQ(h.nodes()[0]->workflow->metrics().early_triggers, early);
}

// Fulu: the proposer lookahead fixes the next epoch's proposers at this epoch's start, so the ahead answer is
// final and epoch 1's proposers depend on the end of epoch −1 (genesis), not on slot 31's block.
TEST(SchedulerHead, FuluLookaheadProposersAreFinalAhead) {
  Harness h(config_with(eth::Fork::kFulu), keys4(), {1, 2, 3, 4});
  h.start();
  h.run_until(h.slot_start(Slot{31}) + 500 * kMs);
  const Scheduler& sched = h.nodes()[0]->workflow->scheduler();
  ASSERT_TRUE(sched.resolved(Epoch{1}));
  EXPECT_FALSE(sched.proposers_provisional(Epoch{1}));
  h.bn().end_of_epoch_root[0] = root_of(31);
  const HeadPlan plan = sched.on_head(head_at(h.bn(), Slot{31}, root_of(31)));
  EXPECT_TRUE(plan.proposers.empty());
  EXPECT_TRUE(plan.resolve.empty());
}

// What a peer can make this node hold: a partial claiming this node's own share index, or for a duty more than
// an epoch ahead of the clock, is refused before the partial-signature store; one inside the window is kept.
TEST(WorkflowInput, PeersPartialsForOurOwnShareOrOverAnEpochAheadAreRefused) {
  Harness h(config_with(eth::Fork::kDeneb), keys4(), {1});
  h.start();
  h.run_until(h.slot_start(Slot{40}) + 100 * kMs);
  auto& node = *h.nodes()[0];
  const auto& m = node.workflow->metrics();
  const auto rejected = m.partials_rejected;
  const auto received = m.partials_received;
  ByteArray<32> ikm{};
  ikm.fill(5);
  Root msg{};
  const auto signature = crypto::bls::SecretKey::keygen(ikm)->sign(msg);
  const PubKey pk = keys4().validators[0].pubkey;
  auto randao = [&](std::uint64_t slot, std::uint32_t share) {
    return ParSignedData{SignedData{RandaoMessage{Epoch{slot / 32}}, signature}, ShareIdx{share}};
  };
  node.parsigex->inject(Duty{Slot{41}, DutyType::kRandao}, pk, randao(41, 1));           // our own share
  node.parsigex->inject(Duty{Slot{40 + 33}, DutyType::kRandao}, pk, randao(40 + 33, 2));  // 33 slots ahead
  EXPECT_EQ(m.partials_rejected, rejected + 2);
  EXPECT_EQ(m.partials_received, received);
  node.parsigex->inject(Duty{Slot{40 + 32}, DutyType::kRandao}, pk, randao(40 + 32, 2));  // an epoch ahead: kept
  EXPECT_EQ(m.partials_rejected, rejected + 2);
  EXPECT_EQ(m.partials_received, received + 1);
}

// A BN answering attestation data for another slot than asked: the fetch fails (nothing of another slot is ever
// agreed on or signed), the duty reports it, and no attestation reaches the BN.
TEST(WorkflowInput, AttestationDataOfAnotherSlotFailsTheFetch) {
  Harness h(config_with(eth::Fork::kDeneb), keys4(), {1, 2, 3, 4});
  h.bn().attestation_slot_shift = 1;
  h.start();
  h.run_until(h.slot_start(Slot{8}));
  std::size_t attester_results = 0;
  for (const auto& r : h.nodes()[0]->results) {
    if (r.report.duty.type != DutyType::kAttester) continue;
    ++attester_results;
    EXPECT_FALSE(r.report.success);
    EXPECT_EQ(r.report.failed_step, std::optional<Step>(Step::kFetched));
  }
  EXPECT_GT(attester_results, 0u);
  EXPECT_EQ(h.bn().stats.accepted[DutyType::kAttester], 0u);
  for (auto& n : h.nodes()) EXPECT_GT(n->workflow->metrics().beacon_errors, 0u);
}

}  // namespace
}  // namespace phx::core
