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

}  // namespace
}  // namespace phx::app
