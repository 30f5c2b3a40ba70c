// Tests of doppelganger protection's decision logic (core::DoppelgangerWatch): fresh starts, restarts inside a
// running cluster, doppelgangers beside the cluster, timing of the answers, Byzantine peers.
#include "core/doppelganger.hpp"

#include <gtest/gtest.h>

namespace phx::core {
namespace {

constexpr std::uint64_t kSpe = 8;  // slots per epoch in these tests

PubKey key(std::uint8_t b) {
  PubKey pk{};
  pk[0] = b;
  return pk;
}

DoppelgangerOptions opts(std::uint32_t min_peers = 2) {
  DoppelgangerOptions o;
  o.slots_per_epoch = kSpe;
  o.min_peers = min_peers;
  return o;
}

Slot slot(std::uint64_t epoch, std::uint64_t in_epoch = 0) { return Slot{epoch * kSpe + in_epoch}; }

/// Feeds final "not live" answers for every watched epoch of `w` at the first slot after each.
void answer_quiet(DoppelgangerWatch& w, const std::vector<PubKey>& keys) {
  for (auto e = w.first_epoch().value; e <= w.last_epoch().value; ++e) w.on_liveness(Epoch{e}, slot(e + 1), keys, {});
}

TEST(DoppelgangerMinPeers, IsFPlusOneCappedByThresholdAndAtLeastOne) {
  EXPECT_EQ(doppelganger_min_peers(4, 3), 2u);   // f = 1
  EXPECT_EQ(doppelganger_min_peers(7, 5), 3u);   // f = 2
  EXPECT_EQ(doppelganger_min_peers(3, 2), 2u);   // f = 1, t = 2
  EXPECT_EQ(doppelganger_min_peers(10, 7), 4u);  // f = 3
  EXPECT_EQ(doppelganger_min_peers(1, 1), 1u);   // a single node: no peers, never explained
  EXPECT_EQ(doppelganger_min_peers(4, 4), 1u);   // f = 0
}

TEST(DoppelgangerFirstEpoch, SkipsTheEpochUnderWayAtStart) {
  using std::chrono::seconds;
  // Before genesis (a fresh devnet): epoch 0 is watched from its first slot.
  EXPECT_EQ(first_watched_epoch(seconds(-10), seconds(1), kSpe, seconds(2)), Epoch{0});
  // Started during epoch 0 (slot 3): epoch 0 may hold the previous run's signatures; epoch 1 is first.
  EXPECT_EQ(first_watched_epoch(seconds(3), seconds(1), kSpe, seconds(2)), Epoch{1});
  // Started one slot before epoch 1 begins: the margin (links not up yet) pushes it to epoch 2.
  EXPECT_EQ(first_watched_epoch(seconds(7), seconds(1), kSpe, seconds(2)), Epoch{2});
  // Exactly at an epoch boundary minus the margin.
  EXPECT_EQ(first_watched_epoch(seconds(6), seconds(1), kSpe, seconds(2)), Epoch{1});
}

TEST(DoppelgangerWatch, SignsNothingWhileWatchingAndAllowsAfterTwoQuietEpochs) {
  const std::vector<PubKey> keys{key(1), key(2)};
  DoppelgangerWatch w(keys, Epoch{1}, opts());
  EXPECT_FALSE(w.may_sign(key(1)));
  EXPECT_EQ(w.epochs_to_ask(slot(0, 5)), std::vector<Epoch>{});  // nothing watched has begun
  EXPECT_EQ(w.epochs_to_ask(slot(1, 2)), std::vector<Epoch>{Epoch{1}});
  // Epoch 1 final and quiet; epoch 2 only asked mid-epoch (not final): still watching.
  w.on_liveness(Epoch{1}, slot(2, 0), keys, {});
  w.on_liveness(Epoch{2}, slot(2, 4), keys, {});
  EXPECT_TRUE(w.on_slot(slot(2, 5)).empty());
  EXPECT_FALSE(w.may_sign(key(1)));
  EXPECT_EQ(w.epochs_to_ask(slot(2, 5)), std::vector<Epoch>{Epoch{2}});
  // Epoch 2's final answer takes effect at the next slot.
  w.on_liveness(Epoch{2}, slot(3, 0), keys, {});
  EXPECT_TRUE(w.on_slot(slot(3, 0)).empty());
  auto ev = w.on_slot(slot(3, 1));
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].status, DoppelgangerStatus::kSafe);
  EXPECT_TRUE(w.may_sign(key(1)));
  EXPECT_TRUE(w.may_sign(key(2)));
  EXPECT_FALSE(w.may_sign(key(9)));  // not a cluster validator
  EXPECT_TRUE(w.watched().empty());
  EXPECT_TRUE(w.epochs_to_ask(slot(3, 2)).empty());
}

TEST(DoppelgangerWatch, FreshClusterWithLivenessIsADoppelganger) {
  // All nodes start together: no peer signs, so any liveness is someone else.
  const std::vector<PubKey> keys{key(1), key(2)};
  DoppelgangerWatch w(keys, Epoch{0}, opts());
  w.on_liveness(Epoch{0}, slot(0, 1), keys, {key(2)});
  auto ev = w.on_slot(slot(0, 2));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].pubkey, key(2));
  EXPECT_EQ(ev[0].status, DoppelgangerStatus::kDetected);
  EXPECT_EQ(ev[0].epoch, Epoch{0});
  EXPECT_EQ(w.status(key(2)), DoppelgangerStatus::kDetected);
  // The other one becomes safe; the detected one never does, whatever comes later.
  answer_quiet(w, keys);
  for (std::uint32_t s = 0; s < 4; ++s) w.on_peer_partial(key(2), slot(0, 1), ShareIdx{s + 2});
  (void)w.on_slot(slot(2, 1));
  EXPECT_TRUE(w.may_sign(key(1)));
  EXPECT_FALSE(w.may_sign(key(2)));
  EXPECT_EQ(w.counts()[static_cast<std::size_t>(DoppelgangerStatus::kDetected)], 1u);
  EXPECT_EQ(w.counts()[static_cast<std::size_t>(DoppelgangerStatus::kSafe)], 1u);
}

TEST(DoppelgangerWatch, RestartInARunningClusterIsExplainedByThePeersPartials) {
  // Node restarted: its peers keep attesting for both validators in every watched epoch.
  const std::vector<PubKey> keys{key(1), key(2)};
  DoppelgangerWatch w(keys, Epoch{1}, opts(2));
  for (std::uint64_t e = 1; e <= 2; ++e)
    for (const auto& k : keys)
      for (std::uint32_t share : {1, 3, 4}) w.on_peer_partial(k, slot(e, 3), ShareIdx{share});
  for (std::uint64_t e = 1; e <= 2; ++e) {
    w.on_liveness(Epoch{e}, slot(e, 5), keys, keys);  // mid-epoch: live (the cluster's attestations)
    EXPECT_TRUE(w.on_slot(slot(e, 6)).empty());
    w.on_liveness(Epoch{e}, slot(e + 1), keys, keys);  // final: live
  }
  auto ev = w.on_slot(slot(3, 1));
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].status, DoppelgangerStatus::kSafe);
  EXPECT_EQ(ev[1].status, DoppelgangerStatus::kSafe);
}

TEST(DoppelgangerWatch, LivenessInAnEpochWithoutThePeersPartialsIsDetectedEvenWhenAnotherWasExplained) {
  const std::vector<PubKey> keys{key(1)};
  DoppelgangerWatch w(keys, Epoch{1}, opts(2));
  // Epoch 1: the cluster signed (explained). Epoch 2: the cluster did not (e.g. it lost quorum), yet key 1 is live.
  w.on_peer_partial(key(1), slot(1, 2), ShareIdx{1});
  w.on_peer_partial(key(1), slot(1, 2), ShareIdx{3});
  w.on_liveness(Epoch{1}, slot(2, 0), keys, keys);
  EXPECT_TRUE(w.on_slot(slot(2, 1)).empty());
  w.on_liveness(Epoch{2}, slot(2, 6), keys, keys);
  auto ev = w.on_slot(slot(2, 7));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].status, DoppelgangerStatus::kDetected);
  EXPECT_EQ(ev[0].epoch, Epoch{2});
}

TEST(DoppelgangerWatch, FewerPeersThanRequiredDoNotExplain) {
  // One Byzantine peer alone (min_peers 2) cannot hide a doppelganger by sending partials.
  const std::vector<PubKey> keys{key(1)};
  DoppelgangerWatch w(keys, Epoch{0}, opts(2));
  w.on_peer_partial(key(1), slot(0, 1), ShareIdx{4});
  w.on_peer_partial(key(1), slot(0, 2), ShareIdx{4});  // the same peer again
  w.on_liveness(Epoch{0}, slot(0, 3), keys, keys);
  auto ev = w.on_slot(slot(0, 4));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].status, DoppelgangerStatus::kDetected);
}

TEST(DoppelgangerWatch, PartialsOfAnotherEpochOrValidatorDoNotExplain) {
  const std::vector<PubKey> keys{key(1), key(2)};
  DoppelgangerWatch w(keys, Epoch{1}, opts(2));
  for (std::uint32_t share : {1, 3}) {
    w.on_peer_partial(key(1), slot(2, 0), ShareIdx{share});  // epoch 2, not 1
    w.on_peer_partial(key(2), slot(1, 0), ShareIdx{share});  // the other validator
    w.on_peer_partial(key(7), slot(1, 0), ShareIdx{share});  // not a cluster validator: ignored
  }
  w.on_liveness(Epoch{1}, slot(1, 4), keys, {key(1)});
  auto ev = w.on_slot(slot(1, 5));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].pubkey, key(1));
  EXPECT_EQ(ev[0].status, DoppelgangerStatus::kDetected);
}

TEST(DoppelgangerWatch, LivenessIsJudgedOnlyAfterThePeersHadASlotToDeliver) {
  // The peers' partials of the slot the answer was asked at may still be on the way: no verdict that slot.
  const std::vector<PubKey> keys{key(1)};
  DoppelgangerWatch w(keys, Epoch{0}, opts(2));
  w.on_liveness(Epoch{0}, slot(0, 3), keys, keys);
  EXPECT_TRUE(w.on_slot(slot(0, 3)).empty());
  w.on_peer_partial(key(1), slot(0, 3), ShareIdx{2});
  w.on_peer_partial(key(1), slot(0, 3), ShareIdx{3});
  EXPECT_TRUE(w.on_slot(slot(0, 4)).empty());  // explained in time
  EXPECT_EQ(w.status(key(1)), DoppelgangerStatus::kWatching);
}

TEST(DoppelgangerWatch, AnswersOutsideTheWatchedEpochsAndAfterAVerdictAreIgnored) {
  const std::vector<PubKey> keys{key(1)};
  DoppelgangerWatch w(keys, Epoch{1}, opts());
  w.on_liveness(Epoch{0}, slot(1, 0), keys, keys);  // the epoch under way at start: its liveness may be ours
  w.on_liveness(Epoch{3}, slot(3, 1), keys, keys);  // after the watch
  EXPECT_TRUE(w.on_slot(slot(3, 2)).empty());
  answer_quiet(w, keys);
  auto ev = w.on_slot(slot(3, 3));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].status, DoppelgangerStatus::kSafe);
  w.on_liveness(Epoch{2}, slot(3, 3), keys, keys);  // too late: already safe
  EXPECT_TRUE(w.on_slot(slot(3, 5)).empty());
  EXPECT_TRUE(w.may_sign(key(1)));
}

TEST(DoppelgangerWatch, AValidatorNeverAnsweredForStaysWatched) {
  // A BN that never answers (endpoint missing, errors): fail closed.
  const std::vector<PubKey> keys{key(1), key(2)};
  DoppelgangerWatch w(keys, Epoch{0}, opts());
  for (std::uint64_t e = 0; e < 2; ++e) w.on_liveness(Epoch{e}, slot(e + 1), {key(1)}, {});
  (void)w.on_slot(slot(5));
  EXPECT_TRUE(w.may_sign(key(1)));
  EXPECT_FALSE(w.may_sign(key(2)));
  EXPECT_EQ(w.watched(), std::vector<PubKey>{key(2)});
  EXPECT_EQ(w.epochs_to_ask(slot(5)), (std::vector<Epoch>{Epoch{0}, Epoch{1}}));
}

TEST(DoppelgangerWatch, OneWatchedEpochIsEnoughWhenConfigured) {
  DoppelgangerOptions o = opts();
  o.watch_epochs = 1;
  DoppelgangerWatch w({key(1)}, Epoch{4}, o);
  EXPECT_EQ(w.last_epoch(), Epoch{4});
  w.on_liveness(Epoch{4}, slot(5), {key(1)}, {});
  EXPECT_EQ(w.on_slot(slot(5, 1)).size(), 1u);
  EXPECT_TRUE(w.may_sign(key(1)));
}

}  // namespace
}  // namespace phx::core
