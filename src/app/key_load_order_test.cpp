// The start-up keystore order (key_load_order.hpp): duties first, re-prioritized as duties arrive.
#include "app/key_load_order.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace phx::app {
namespace {

std::vector<std::size_t> drain(KeyLoadOrder& o) {
  std::vector<std::size_t> out;
  while (auto i = o.pop()) out.push_back(*i);
  return out;
}

TEST(KeyLoadOrder, WithoutDutiesIsFileOrder) {
  KeyLoadOrder o(4);
  EXPECT_EQ(o.pending(), 4u);
  EXPECT_EQ(drain(o), (std::vector<std::size_t>{0, 1, 2, 3}));
  EXPECT_EQ(o.pending(), 0u);
  EXPECT_FALSE(o.pop());
}

TEST(KeyLoadOrder, ProposersThenSyncAndAttestersBySlotThenTheRest) {
  KeyLoadOrder o(8);
  o.on_duty(5, KeyNeed::kAttester, Slot{3});
  o.on_duty(2, KeyNeed::kAttester, Slot{1});
  o.on_duty(7, KeyNeed::kProposer, Slot{30});
  o.on_duty(6, KeyNeed::kSync, Slot{1});  // the epoch's first slot: before slot 1's attester
  o.on_duty(4, KeyNeed::kProposer, Slot{9});
  EXPECT_EQ(drain(o), (std::vector<std::size_t>{4, 7, 6, 2, 5, 0, 1, 3}));
}

TEST(KeyLoadOrder, AnEarlierDutyMovesAKeyUpALaterOneDoesNot) {
  KeyLoadOrder o(5);
  o.on_duty(3, KeyNeed::kAttester, Slot{40});
  o.on_duty(1, KeyNeed::kAttester, Slot{35});
  o.on_duty(3, KeyNeed::kAttester, Slot{33});  // the next epoch resolved earlier duties for key 3
  o.on_duty(1, KeyNeed::kAttester, Slot{70});  // later: key 1 keeps slot 35
  o.on_duty(4, KeyNeed::kAttester, Slot{34});
  o.on_duty(4, KeyNeed::kProposer, Slot{60});  // a proposal outranks any attestation
  EXPECT_EQ(drain(o), (std::vector<std::size_t>{4, 3, 1, 0, 2}));
}

TEST(KeyLoadOrder, DutiesOfKeysAlreadyHandedOutOrOutOfRangeAreIgnored) {
  KeyLoadOrder o(3);
  ASSERT_EQ(o.pop(), std::optional<std::size_t>{0});
  o.on_duty(0, KeyNeed::kProposer, Slot{1});   // already decrypting: not queued again
  o.on_duty(99, KeyNeed::kProposer, Slot{1});  // no such keystore
  o.on_duty(2, KeyNeed::kAttester, Slot{5});   // re-prioritized while the queue is being drained
  EXPECT_EQ(o.pending(), 2u);
  EXPECT_EQ(drain(o), (std::vector<std::size_t>{2, 1}));
}

// A node that decrypts more slowly than its duties come: keys whose attestation or proposal slot has passed go
// back behind the upcoming ones (and come up again with a later duty); sync-committee members stay.
TEST(KeyLoadOrder, KeysWhoseDutyHasPassedGoBackBehindTheUpcomingOnes) {
  KeyLoadOrder o(7);
  o.on_duty(0, KeyNeed::kAttester, Slot{10});
  o.on_duty(1, KeyNeed::kAttester, Slot{11});
  o.on_duty(2, KeyNeed::kProposer, Slot{10});
  o.on_duty(3, KeyNeed::kSync, Slot{0});
  o.on_duty(4, KeyNeed::kAttester, Slot{12});
  o.on_duty(5, KeyNeed::kAttester, Slot{13});
  // At slot 12: the proposal at 10 and the attestations at 10 and 11 are over.
  EXPECT_EQ(o.pop(Slot{12}), std::optional<std::size_t>{3});  // sync member: still signing
  EXPECT_EQ(o.pop(Slot{12}), std::optional<std::size_t>{4});
  EXPECT_EQ(o.pending(), 5u);
  // Key 0 attests again at slot 40 (next epoch's duties): up again, behind key 5.
  o.on_duty(0, KeyNeed::kAttester, Slot{40});
  EXPECT_EQ(o.pop(Slot{12}), std::optional<std::size_t>{5});
  EXPECT_EQ(o.pop(Slot{12}), std::optional<std::size_t>{0});
  // The rest in file order: 1 and 2 (overdue) among 6 (no duty).
  std::vector<std::size_t> rest;
  while (auto i = o.pop(Slot{12})) rest.push_back(*i);
  EXPECT_EQ(rest, (std::vector<std::size_t>{1, 2, 6}));
}

}  // namespace
}  // namespace phx::app
