// Unit tests of the duty workflow core, with real BLS keys split by crypto/threshold (4 operators, t = 3).
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <set>
#include <unordered_set>

#include "core/aggsigdb.hpp"
#include "core/deadliner.hpp"
#include "core/dutydb.hpp"
#include "core/interfaces.hpp"
#include "core/parsigdb.hpp"
#include "core/sigagg.hpp"
#include "core/tracker.hpp"
#include "core/types.hpp"
#include "core/view_check.hpp"
#include "ssz/merkle.hpp"

namespace phx::core {
namespace {

namespace bls = crypto::bls;
namespace threshold = crypto::threshold;
using std::chrono::seconds;

constexpr std::uint32_t kN = 4;
constexpr std::uint32_t kT = 3;

/// One test validator: its DV key and the operators' key shares.
struct TestValidator {
  PubKey pubkey{};
  std::vector<threshold::KeyShare> shares;
};

struct TestCluster {
  std::vector<TestValidator> validators;
  KeyBook book;
};

TestCluster make_cluster(std::size_t count) {
  std::vector<TestValidator> vals;
  std::vector<LockValidator> lock;
  for (std::size_t i = 0; i < count; ++i) {
    const bls::SecretKey sk = bls::SecretKey::from_scalar(bls::Fr::random());
    auto split = threshold::split(sk, kT, kN);
    EXPECT_TRUE(split.has_value());
    LockValidator lv;
    const auto pk = sk.public_key().to_bytes();
    lv.distributed_public_key.assign(pk.begin(), pk.end());
    for (const auto& s : split->shares) {
      const auto b = s.secret.public_key().to_bytes();
      lv.public_shares.emplace_back(b.begin(), b.end());
    }
    lock.push_back(std::move(lv));
    vals.push_back(TestValidator{pk, std::move(split->shares)});
  }
  auto book = KeyBook::from_lock(lock, kT);
  EXPECT_TRUE(book.has_value());
  return TestCluster{std::move(vals), std::move(*book)};
}

eth::ChainConfig test_config() {
  eth::ChainConfig c = eth::mainnet_config();
  c.genesis_time = 1'000'000;
  return c;
}

eth::phase0::AttestationData att_data(Slot slot, std::uint64_t salt) {
  eth::phase0::AttestationData d{};
  d.slot = slot;
  d.index = 0;
  d.beacon_block_root[0] = static_cast<std::uint8_t>(salt);
  d.beacon_block_root[1] = static_cast<std::uint8_t>(salt >> 8);
  d.source.epoch = Epoch{slot.value / 32 - 1};
  d.target.epoch = Epoch{slot.value / 32};
  return d;
}

ParSignedData partial(const eth::ChainConfig& cfg, const TestValidator& v, std::uint32_t share_idx,
                      const SignedMessage& msg) {
  const Root root = signing_root(cfg, msg);
  return ParSignedData{SignedData{msg, v.shares[share_idx - 1].secret.sign(root)}, ShareIdx{share_idx}};
}

/// A partial that decodes fine but is wrong: signed by the share over another message.
ParSignedData bad_partial(const eth::ChainConfig& cfg, const TestValidator& v, std::uint32_t share_idx,
                          const SignedMessage& msg) {
  ParSignedData p = partial(cfg, v, share_idx, msg);
  const Root other = signing_root(cfg, SignedMessage{RandaoMessage{Epoch{999}}});
  p.data.signature = v.shares[share_idx - 1].secret.sign(other);
  return p;
}

class CoreFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cluster_ = new TestCluster(make_cluster(3)); }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  void SetUp() override { clock_.set(deadliner_.slot_start(kSlot)); }

  static constexpr Slot kSlot{6400};
  static TestCluster* cluster_;
  eth::ChainConfig cfg_ = test_config();
  ManualClock clock_;
  Deadliner deadliner_{cfg_, clock_};
};
TestCluster* CoreFixture::cluster_ = nullptr;

// ---------------------------------------------------------------- types

TEST(CoreTypes, DutiesOrderBySlotThenTypeAndHashDistinctly) {
  const Duty a{Slot{5}, DutyType::kAttester};
  const Duty b{Slot{5}, DutyType::kAggregator};
  const Duty c{Slot{6}, DutyType::kProposer};
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_EQ(to_string(b), "aggregator/5");
  std::unordered_set<Duty> set{a, b, c, a};
  EXPECT_EQ(set.size(), 3u);
  EXPECT_TRUE(is_valid_duty_type(1));
  EXPECT_TRUE(is_valid_duty_type(kDutyTypeCount));
  EXPECT_FALSE(is_valid_duty_type(0));
  EXPECT_FALSE(is_valid_duty_type(kDutyTypeCount + 1));
}

TEST(CoreTypes, SigningRootsAreTheEthHelpers) {
  const eth::ChainConfig cfg = test_config();
  const auto d = att_data(Slot{6400}, 7);
  EXPECT_EQ(signing_root(cfg, SignedMessage{d}), eth::attestation_signing_root(cfg, d));
  EXPECT_EQ(signing_root(cfg, SignedMessage{RandaoMessage{Epoch{3}}}),
            eth::randao_signing_root(cfg, Epoch{3}));
  EXPECT_EQ(signing_root(cfg, SignedMessage{SelectionProofMessage{Slot{9}}}),
            eth::selection_proof_signing_root(cfg, Slot{9}));
  EXPECT_EQ(hash_tree_root(SignedMessage{d}), ssz::hash_tree_root(d));
  EXPECT_EQ(duty_type_of(SignedMessage{d}), DutyType::kAttester);
  EXPECT_EQ(duty_type_of(SignedMessage{ExitMessage{}}), DutyType::kExit);
  EXPECT_EQ(duty_type_of(UnsignedData{SyncBlockRootData{}}), DutyType::kSyncMessage);
  EXPECT_NE(signing_root(cfg, SignedMessage{d}), signing_root(cfg, SignedMessage{att_data(Slot{6400}, 8)}));
}

TEST(CoreTypes, UnsignedDataGivesTheRootTheValidatorSigns) {
  const eth::ChainConfig cfg = test_config();
  const Slot slot{6400};
  const auto d = att_data(slot, 7);
  auto r = signing_root(cfg, Duty{slot, DutyType::kAttester}, UnsignedData{AttesterData{d, 5}});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, signing_root(cfg, SignedMessage{d}));
  eth::electra::BlockContents contents{};
  contents.block.slot = slot;
  const ProposalData p{eth::VersionedProducedBlock::make<eth::Fork::kElectra>(contents)};
  EXPECT_EQ(*signing_root(cfg, Duty{slot, DutyType::kProposer}, UnsignedData{p}),
            eth::block_signing_root(cfg, contents.block));
  EXPECT_EQ(hash_tree_root(UnsignedData{p}), ssz::hash_tree_root(contents.block));
  EXPECT_EQ(block_of(p.block), eth::VersionedBeaconBlock::make<eth::Fork::kElectra>(contents.block));
  EXPECT_EQ(signing_root(cfg, SignedMessage{block_of(p.block)}), eth::block_signing_root(cfg, contents.block));
  EXPECT_EQ(slot_of(p.block), slot);
  eth::altair::BeaconBlock altair_block{};
  altair_block.slot = slot;
  const ProposalData pa{eth::VersionedProducedBlock::make<eth::Fork::kAltair>(altair_block)};
  EXPECT_EQ(*signing_root(cfg, Duty{slot, DutyType::kProposer}, UnsignedData{pa}),
            eth::block_signing_root(cfg, altair_block));
  SyncBlockRootData sr{};
  sr.beacon_block_root[3] = 1;
  EXPECT_EQ(*signing_root(cfg, Duty{slot, DutyType::kSyncMessage}, UnsignedData{sr}),
            signing_root(cfg, SignedMessage{SyncMessage{slot, sr.beacon_block_root}}));
  EXPECT_EQ(
      signing_root(cfg, Duty{slot, DutyType::kAggregator}, UnsignedData{AggregatedAttestationData{}}).error(),
      CoreError::kNotDirectlySigned);
  EXPECT_EQ(signing_root(cfg, Duty{slot, DutyType::kProposer}, UnsignedData{AttesterData{d, 5}}).error(),
            CoreError::kWrongDataType);
  EXPECT_EQ(hash_tree_root(UnsignedData{AttesterData{d, 5}}), ssz::hash_tree_root(d));
}

TEST(CoreViewCheck, OnlySourceAndTargetOfSharedValidatorsCount) {
  PubKey a{}, b{}, c{};
  a[0] = 1;
  b[0] = 2;
  c[0] = 3;
  AttesterData d;
  d.data.slot = Slot{40};
  d.data.source = eth::phase0::Checkpoint{Epoch{0}, Root{}};
  d.data.target = eth::phase0::Checkpoint{Epoch{1}, Root{}};
  d.data.target.root[0] = 0xaa;
  UnsignedDataSet own{{a, d}, {b, d}};
  UnsignedDataSet proposed = own;
  EXPECT_EQ(attestation_view_differs(proposed, own), std::nullopt);
  std::get<AttesterData>(proposed[a]).data.beacon_block_root[0] = 7;  // another head: fine
  proposed[c] = d;                                                    // a validator we have no data for: ignored
  EXPECT_EQ(attestation_view_differs(proposed, own), std::nullopt);
  std::get<AttesterData>(proposed[b]).data.target.root[0] = 0xbb;  // a minority fork's target
  auto why = attestation_view_differs(proposed, own);
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("target epoch 1 root 0xbb"), std::string::npos) << *why;
  EXPECT_NE(why->find("own beacon node: epoch 1 root 0xaa"), std::string::npos) << *why;
  proposed = own;
  std::get<AttesterData>(proposed[a]).data.source.epoch = Epoch{1};
  ASSERT_TRUE(attestation_view_differs(proposed, own).has_value());
}

TEST(CoreTypes, UnsignedSetHashBindsCommitteeIndex) {
  UnsignedDataSet a{{PubKey{1}, AttesterData{att_data(Slot{1}, 1), 4}}};
  UnsignedDataSet b{{PubKey{1}, AttesterData{att_data(Slot{1}, 1), 5}}};
  EXPECT_NE(hash_of(a), hash_of(b));
  EXPECT_EQ(hash_of(a), hash_of(UnsignedDataSet(a)));
}

TEST_F(CoreFixture, KeyBookIndexesSharesFromTheLock) {
  const KeyBook& book = cluster_->book;
  EXPECT_EQ(book.size(), 3u);
  EXPECT_EQ(book.share_count(), kN);
  EXPECT_EQ(book.threshold(), kT);
  const TestValidator& v = cluster_->validators[1];
  auto ps = book.pubshare(v.pubkey, ShareIdx{2});
  ASSERT_TRUE(ps.has_value());
  EXPECT_TRUE(*ps == v.shares[1].secret.public_key());
  auto ref = book.by_pubshare(ps->to_bytes());
  ASSERT_TRUE(ref.has_value());
  EXPECT_EQ(ref->pubkey, v.pubkey);
  EXPECT_EQ(ref->share_idx, ShareIdx{2});
  EXPECT_EQ(book.pubshare(v.pubkey, ShareIdx{0}).error(), CoreError::kUnknownShare);
  EXPECT_EQ(book.pubshare(v.pubkey, ShareIdx{5}).error(), CoreError::kUnknownShare);
  EXPECT_EQ(book.pubshare(PubKey{}, ShareIdx{1}).error(), CoreError::kUnknownPubkey);
}

TEST_F(CoreFixture, KeyBookRejectsBadLocks) {
  auto lock_of = [](const TestValidator& v) {
    LockValidator lv;
    lv.distributed_public_key.assign(v.pubkey.begin(), v.pubkey.end());
    for (const auto& s : v.shares) {
      const auto b = s.secret.public_key().to_bytes();
      lv.public_shares.emplace_back(b.begin(), b.end());
    }
    return lv;
  };
  std::vector<LockValidator> lock{lock_of(cluster_->validators[0])};
  ASSERT_TRUE(KeyBook::from_lock(lock, kT).has_value());
  EXPECT_EQ(KeyBook::from_lock(lock, 0).error(), CoreError::kBadShareSet);
  EXPECT_EQ(KeyBook::from_lock(lock, kN + 1).error(), CoreError::kBadShareSet);
  EXPECT_EQ(KeyBook::from_lock({}, kT).error(), CoreError::kEmpty);

  auto swapped = lock;  // a share of another validator: does not recombine to this key
  swapped[0].public_shares[3] = lock_of(cluster_->validators[1]).public_shares[3];
  EXPECT_EQ(KeyBook::from_lock(swapped, kT).error(), CoreError::kBadShareSet);

  auto garbage = lock;
  garbage[0].public_shares[1] = Bytes(48, 0xff);
  EXPECT_EQ(KeyBook::from_lock(garbage, kT).error(), CoreError::kBadPubkey);
  auto short_key = lock;
  short_key[0].distributed_public_key.resize(47);
  EXPECT_EQ(KeyBook::from_lock(short_key, kT).error(), CoreError::kBadPubkey);

  auto dup = lock;
  dup.push_back(lock[0]);
  EXPECT_EQ(KeyBook::from_lock(dup, kT).error(), CoreError::kConflict);
  auto uneven = lock;
  uneven.push_back(lock_of(cluster_->validators[1]));
  uneven[1].public_shares.pop_back();
  EXPECT_EQ(KeyBook::from_lock(uneven, kT).error(), CoreError::kBadShareSet);
}

// ---------------------------------------------------------------- deadliner

TEST_F(CoreFixture, DeadlinerDeadlinesFollowSlotAndType) {
  const TimePoint start = deadliner_.slot_start(kSlot);
  EXPECT_EQ(start, TimePoint{} + seconds(1'000'000 + 6400 * 12));
  EXPECT_EQ(deadliner_.deadline({kSlot, DutyType::kProposer}), start + seconds(12 + 4));
  EXPECT_EQ(deadliner_.deadline({kSlot, DutyType::kAttester}), start + seconds(24 + 4));
  // 6400 is the first slot of epoch 200: exits expire at the end of epoch 201.
  EXPECT_EQ(deadliner_.deadline({kSlot, DutyType::kExit}), deadliner_.slot_start(Slot{202 * 32}));
  EXPECT_EQ(deadliner_.deadline({Slot{6431}, DutyType::kExit}), deadliner_.slot_start(Slot{202 * 32}));
}

TEST_F(CoreFixture, DeadlinerExpiresDutiesInDeadlineOrder) {
  const Duty att{kSlot, DutyType::kAttester};
  const Duty prop{kSlot, DutyType::kProposer};
  const Duty next_prop{Slot{kSlot.value + 1}, DutyType::kProposer};
  EXPECT_TRUE(deadliner_.add(att));
  EXPECT_TRUE(deadliner_.add(next_prop));
  EXPECT_TRUE(deadliner_.add(prop));
  EXPECT_TRUE(deadliner_.add(prop));  // twice is harmless
  EXPECT_EQ(deadliner_.pending(), 3u);
  EXPECT_EQ(deadliner_.next_deadline(), deadliner_.deadline(prop));
  EXPECT_TRUE(deadliner_.on_tick().empty());

  clock_.advance(seconds(16));  // proposer deadline exactly
  EXPECT_EQ(deadliner_.on_tick(), std::vector<Duty>{prop});
  clock_.advance(seconds(100));
  // Equal deadlines (both at start + 28 s) come out in duty order.
  EXPECT_EQ(deadliner_.on_tick(), (std::vector<Duty>{att, next_prop}));
  EXPECT_EQ(deadliner_.pending(), 0u);
  EXPECT_FALSE(deadliner_.next_deadline().has_value());
  // A duty whose deadline already passed when it arrives is refused.
  EXPECT_FALSE(deadliner_.add(prop));
  EXPECT_TRUE(deadliner_.expired(prop));
  EXPECT_EQ(deadliner_.pending(), 0u);
}

// ---------------------------------------------------------------- dutydb

TEST_F(CoreFixture, DutyDbAnswersQueriesAndRefusesConflictingDecision) {
  DutyDB db(deadliner_);
  const Duty duty{kSlot, DutyType::kAttester};
  const PubKey pk0 = cluster_->validators[0].pubkey;
  const PubKey pk1 = cluster_->validators[1].pubkey;
  const auto d = att_data(kSlot, 1);
  ASSERT_TRUE(db.store(duty, {{pk0, AttesterData{d, 3}}, {pk1, AttesterData{d, 3}}}).has_value());
  EXPECT_EQ(db.size(), 2u);
  ASSERT_TRUE(db.attestation_data(kSlot, 3).has_value());
  EXPECT_EQ(*db.attestation_data(kSlot, 3), d);
  EXPECT_EQ(db.attestation_data(kSlot, 4).error(), CoreError::kNotFound);
  EXPECT_EQ(db.attestation_data(Slot{kSlot.value + 1}, 3).error(), CoreError::kNotFound);

  // Same decision again: fine. A different one for the same duty and pubkey: refused, nothing overwritten.
  EXPECT_TRUE(db.store(duty, {{pk0, AttesterData{d, 3}}}).has_value());
  const auto other = att_data(kSlot, 2);
  EXPECT_EQ(db.store(duty, {{pk0, AttesterData{other, 3}}}).error(), CoreError::kConflict);
  // A new pubkey whose data contradicts the committee's stored data: also refused, atomically.
  const PubKey pk2 = cluster_->validators[2].pubkey;
  EXPECT_EQ(db.store(duty, {{pk2, AttesterData{other, 3}}}).error(), CoreError::kConflict);
  EXPECT_EQ(db.unsigned_data(duty, pk2).error(), CoreError::kNotFound);
  EXPECT_EQ(std::get<AttesterData>(*db.unsigned_data(duty, pk0)).data, d);
  // Data of the wrong kind for the duty.
  EXPECT_EQ(db.store(duty, {{pk2, SyncBlockRootData{}}}).error(), CoreError::kWrongDataType);
  EXPECT_EQ(db.store(duty, {}).error(), CoreError::kEmpty);
}

TEST_F(CoreFixture, DutyDbServesBlocksAggregatesAndContributions) {
  DutyDB db(deadliner_);
  const PubKey pk = cluster_->validators[0].pubkey;
  eth::electra::BlockContents contents{};
  contents.block.slot = kSlot;
  contents.block.proposer_index = ValidatorIndex{42};
  const ProposalData prop{eth::VersionedProducedBlock::make<eth::Fork::kElectra>(contents)};
  ASSERT_TRUE(db.store({kSlot, DutyType::kProposer}, {{pk, prop}}).has_value());
  ASSERT_TRUE(db.block(kSlot).has_value());
  EXPECT_EQ(std::get<static_cast<std::size_t>(eth::Fork::kElectra)>(db.block(kSlot)->value).block.proposer_index,
            ValidatorIndex{42});
  EXPECT_EQ(db.blinded_block(kSlot).error(), CoreError::kNotFound);

  eth::electra::Attestation att{};
  att.data = att_data(kSlot, 9);
  att.committee_bits.set(3, true);
  const AggregatedAttestationData agg{eth::VersionedAttestation::make<eth::Fork::kElectra>(att)};
  ASSERT_TRUE(db.store({kSlot, DutyType::kAggregator}, {{pk, agg}}).has_value());
  EXPECT_TRUE(db.aggregate_attestation(kSlot, ssz::hash_tree_root(att_data(kSlot, 9))).has_value());
  EXPECT_TRUE(db.aggregate_attestation(kSlot, ssz::hash_tree_root(att_data(kSlot, 9)), 3).has_value());
  EXPECT_EQ(db.aggregate_attestation(kSlot, ssz::hash_tree_root(att_data(kSlot, 9)), 2).error(),
            CoreError::kNotFound);
  EXPECT_EQ(db.aggregate_attestation(kSlot, ssz::hash_tree_root(att_data(kSlot, 8))).error(),
            CoreError::kNotFound);

  SyncContributionData sc{};
  sc.contribution.slot = kSlot;
  sc.contribution.subcommittee_index = 2;
  sc.contribution.beacon_block_root[0] = 7;
  // A contribution of subcommittee 2 belongs to duty (slot, sync_contribution, 2) only.
  EXPECT_FALSE(db.store({kSlot, DutyType::kSyncContribution, 1}, {{pk, sc}}).has_value());
  ASSERT_TRUE(db.store({kSlot, DutyType::kSyncContribution, 2}, {{pk, sc}}).has_value());
  EXPECT_TRUE(db.sync_contribution(kSlot, 2, sc.contribution.beacon_block_root).has_value());
  EXPECT_EQ(db.sync_contribution(kSlot, 1, sc.contribution.beacon_block_root).error(), CoreError::kNotFound);
}

TEST_F(CoreFixture, DutyDbEvictsExpiredDutiesAndRefusesLateDecisions) {
  DutyDB db(deadliner_);
  const Duty duty{kSlot, DutyType::kAttester};
  const PubKey pk = cluster_->validators[0].pubkey;
  ASSERT_TRUE(deadliner_.add(duty));
  ASSERT_TRUE(db.store(duty, {{pk, AttesterData{att_data(kSlot, 1), 0}}}).has_value());
  clock_.advance(seconds(28));
  for (const Duty& d : deadliner_.on_tick()) db.evict(d);
  EXPECT_EQ(db.size(), 0u);
  EXPECT_EQ(db.duty_count(), 0u);
  EXPECT_EQ(db.attestation_data(kSlot, 0).error(), CoreError::kNotFound);
  EXPECT_EQ(db.store(duty, {{pk, AttesterData{att_data(kSlot, 2), 0}}}).error(), CoreError::kExpired);
  // Even if the clock were set back, an evicted duty is not re-opened.
  clock_.set(deadliner_.slot_start(kSlot));
  EXPECT_EQ(db.store(duty, {{pk, AttesterData{att_data(kSlot, 2), 0}}}).error(), CoreError::kExpired);
}

// ---------------------------------------------------------------- parsigdb

TEST_F(CoreFixture, ParSigDbEmitsOnlyWhenThresholdPartialsShareTheSigningRoot) {
  ParSigDB db(cfg_, cluster_->book, deadliner_);
  const Duty duty{kSlot, DutyType::kAttester};
  const TestValidator& v = cluster_->validators[0];
  const SignedMessage a{att_data(kSlot, 1)};
  const SignedMessage b{att_data(kSlot, 2)};

  auto r1 = db.store(duty, v.pubkey, partial(cfg_, v, 1, a));
  ASSERT_TRUE(r1.has_value());
  EXPECT_EQ(r1->outcome, ParSigOutcome::kStored);
  auto r2 = db.store(duty, v.pubkey, partial(cfg_, v, 2, b));  // another root
  ASSERT_TRUE(r2.has_value());
  EXPECT_EQ(r2->outcome, ParSigOutcome::kStored);
  auto r3 = db.store(duty, v.pubkey, partial(cfg_, v, 3, a));
  ASSERT_TRUE(r3.has_value());
  EXPECT_EQ(r3->outcome, ParSigOutcome::kStored);  // 3 partials, but only 2 over root a
  EXPECT_FALSE(r3->ready.has_value());

  auto r4 = db.store(duty, v.pubkey, partial(cfg_, v, 4, a));
  ASSERT_TRUE(r4.has_value());
  ASSERT_EQ(r4->outcome, ParSigOutcome::kThresholdReached);
  ASSERT_TRUE(r4->ready.has_value());
  const ThresholdSet& set = *r4->ready;
  EXPECT_EQ(set.signing_root, signing_root(cfg_, a));
  EXPECT_TRUE(set.message == a);
  ASSERT_EQ(set.partials.size(), 3u);
  EXPECT_EQ(set.partials[0].idx, ShareIdx{1});
  EXPECT_EQ(set.partials[1].idx, ShareIdx{3});
  EXPECT_EQ(set.partials[2].idx, ShareIdx{4});
  EXPECT_EQ(db.size(), 4u);
}

TEST_F(CoreFixture, ParSigDbDedupesAndRejectsEquivocation) {
  ParSigDB db(cfg_, cluster_->book, deadliner_);
  const Duty duty{kSlot, DutyType::kAttester};
  const TestValidator& v = cluster_->validators[1];
  const SignedMessage a{att_data(kSlot, 1)};
  const auto p = partial(cfg_, v, 2, a);
  ASSERT_TRUE(db.store(duty, v.pubkey, p).has_value());
  auto dup = db.store(duty, v.pubkey, p);
  ASSERT_TRUE(dup.has_value());
  EXPECT_EQ(dup->outcome, ParSigOutcome::kDuplicate);
  EXPECT_EQ(db.size(), 1u);

  // Share 2 now signs different data: rejected and recorded with both roots.
  auto eq = db.store(duty, v.pubkey, partial(cfg_, v, 2, SignedMessage{att_data(kSlot, 5)}));
  ASSERT_FALSE(eq.has_value());
  EXPECT_EQ(eq.error(), CoreError::kEquivocation);
  // Same root, different signature: also an equivocation.
  auto eq2 = db.store(duty, v.pubkey, bad_partial(cfg_, v, 2, a));
  EXPECT_EQ(eq2.error(), CoreError::kEquivocation);
  ASSERT_EQ(db.equivocations().size(), 2u);
  EXPECT_EQ(db.equivocations()[0].share_idx, ShareIdx{2});
  EXPECT_EQ(db.equivocations()[0].pubkey, v.pubkey);
  EXPECT_EQ(db.equivocations()[0].first_root, signing_root(cfg_, a));
  EXPECT_EQ(db.equivocations()[0].second_root, signing_root(cfg_, SignedMessage{att_data(kSlot, 5)}));
  EXPECT_EQ(db.size(), 1u);  // the first partial is kept

  // The same share index on another validator is independent.
  EXPECT_TRUE(db.store(duty, cluster_->validators[2].pubkey,
                       partial(cfg_, cluster_->validators[2], 2, SignedMessage{att_data(kSlot, 5)}))
                  .has_value());
  db.evict(duty);
  EXPECT_EQ(db.size(), 0u);
  EXPECT_TRUE(db.equivocations().empty());
}

TEST_F(CoreFixture, ParSigDbRejectsUntrustedGarbage) {
  ParSigDB db(cfg_, cluster_->book, deadliner_);
  const Duty duty{kSlot, DutyType::kAttester};
  const TestValidator& v = cluster_->validators[0];
  const SignedMessage a{att_data(kSlot, 1)};
  auto p = partial(cfg_, v, 1, a);
  p.share_idx = ShareIdx{0};
  EXPECT_EQ(db.store(duty, v.pubkey, p).error(), CoreError::kUnknownShare);
  p.share_idx = ShareIdx{kN + 1};
  EXPECT_EQ(db.store(duty, v.pubkey, p).error(), CoreError::kUnknownShare);
  EXPECT_EQ(db.store(duty, PubKey{}, partial(cfg_, v, 1, a)).error(), CoreError::kUnknownPubkey);
  EXPECT_EQ(db.store({kSlot, DutyType::kRandao}, v.pubkey, partial(cfg_, v, 1, a)).error(),
            CoreError::kWrongDataType);
  clock_.advance(seconds(28));  // attester deadline: a late partial is refused
  EXPECT_EQ(db.store(duty, v.pubkey, partial(cfg_, v, 1, a)).error(), CoreError::kExpired);
  EXPECT_EQ(db.size(), 0u);
}

TEST_F(CoreFixture, ParSigDbStopsEmittingOnceAggregatedAndSkipsExcludedShares) {
  ParSigDB db(cfg_, cluster_->book, deadliner_);
  const Duty duty{kSlot, DutyType::kRandao};
  const TestValidator& v = cluster_->validators[0];
  const SignedMessage m{RandaoMessage{Epoch{200}}};
  ASSERT_TRUE(db.store(duty, v.pubkey, partial(cfg_, v, 1, m)).has_value());
  ASSERT_TRUE(db.store(duty, v.pubkey, partial(cfg_, v, 2, m)).has_value());
  db.exclude(duty, v.pubkey, ShareIdx{2});
  auto r3 = db.store(duty, v.pubkey, partial(cfg_, v, 3, m));
  EXPECT_EQ(r3->outcome, ParSigOutcome::kStored);  // share 2 excluded: only 2 usable
  auto r4 = db.store(duty, v.pubkey, partial(cfg_, v, 4, m));
  ASSERT_EQ(r4->outcome, ParSigOutcome::kThresholdReached);
  ASSERT_EQ(r4->ready->partials.size(), 3u);
  for (const auto& ps : r4->ready->partials) EXPECT_NE(ps.idx, ShareIdx{2});
  EXPECT_EQ(db.shares_present(duty, v.pubkey).size(), 4u);

  db.mark_aggregated(duty, cluster_->validators[1].pubkey);  // unrelated: no effect
  const TestValidator& w = cluster_->validators[1];
  for (std::uint32_t i = 1; i <= 2; ++i)
    ASSERT_TRUE(db.store(duty, w.pubkey, partial(cfg_, w, i, m)).has_value());
  db.mark_aggregated(duty, w.pubkey);
  auto late = db.store(duty, w.pubkey, partial(cfg_, w, 3, m));
  ASSERT_TRUE(late.has_value());
  EXPECT_EQ(late->outcome, ParSigOutcome::kStored);
  EXPECT_FALSE(late->ready.has_value());
}

// ---------------------------------------------------------------- sigagg

ThresholdSet make_set(const eth::ChainConfig& cfg, const TestValidator& v, const Duty& duty,
                      const SignedMessage& msg, std::vector<std::uint32_t> good,
                      std::vector<std::uint32_t> bad) {
  ThresholdSet s{duty, v.pubkey, signing_root(cfg, msg), msg, {}};
  std::vector<std::uint32_t> all = good;
  all.insert(all.end(), bad.begin(), bad.end());
  std::sort(all.begin(), all.end());
  for (std::uint32_t i : all) {
    const bool is_bad = std::find(bad.begin(), bad.end(), i) != bad.end();
    const auto p = is_bad ? bad_partial(cfg, v, i, msg) : partial(cfg, v, i, msg);
    s.partials.push_back({p.share_idx, p.data.signature});
  }
  return s;
}

TEST_F(CoreFixture, SigAggOptimisticPathVerifiesAgainstTheDvKey) {
  SigAgg agg(cluster_->book);
  const Duty duty{kSlot, DutyType::kAttester};
  const SignedMessage m{att_data(kSlot, 1)};
  std::vector<ThresholdSet> sets;
  for (const auto& v : cluster_->validators) sets.push_back(make_set(cfg_, v, duty, m, {1, 2, 4}, {}));
  auto out = agg.aggregate(sets);
  ASSERT_EQ(out.size(), 3u);
  for (std::size_t i = 0; i < out.size(); ++i) {
    ASSERT_TRUE(out[i].aggregate.has_value()) << out[i].aggregate.error().message();
    EXPECT_TRUE(out[i].blamed.empty());
    EXPECT_TRUE(bls::verify(cluster_->book.find(out[i].pubkey)->key, signing_root(cfg_, m),
                            out[i].aggregate->signature));
    EXPECT_TRUE(out[i].aggregate->message == m);
  }
  EXPECT_EQ(agg.stats().batch_checks, 1u);  // one batch check for the whole duty
  EXPECT_EQ(agg.stats().fallback_sets, 0u);
}

TEST_F(CoreFixture, SigAggFindsBadPartialAndRecombinesFromTheGoodOnes) {
  SigAgg agg(cluster_->book);
  const Duty duty{kSlot, DutyType::kAttester};
  const SignedMessage m{att_data(kSlot, 1)};
  std::vector<ThresholdSet> sets;
  sets.push_back(make_set(cfg_, cluster_->validators[0], duty, m, {1, 3, 4}, {}));
  sets.push_back(make_set(cfg_, cluster_->validators[1], duty, m, {1, 3, 4}, {2}));  // bad share 2 of 4
  sets.push_back(make_set(cfg_, cluster_->validators[2], duty, m, {2, 3, 4}, {}));
  auto out = agg.aggregate(sets);
  ASSERT_EQ(out.size(), 3u);
  for (const auto& o : out) ASSERT_TRUE(o.aggregate.has_value()) << o.aggregate.error().message();
  EXPECT_TRUE(out[0].blamed.empty());
  EXPECT_EQ(out[1].blamed, std::vector<ShareIdx>{ShareIdx{2}});
  EXPECT_TRUE(out[2].blamed.empty());
  EXPECT_TRUE(bls::verify(cluster_->validators[1].shares[0].secret.public_key(), signing_root(cfg_, m),
                          sets[1].partials[0].partial_sig));
  EXPECT_TRUE(bls::verify(cluster_->book.find(sets[1].pubkey)->key, signing_root(cfg_, m),
                          out[1].aggregate->signature));
  EXPECT_EQ(agg.stats().fallback_sets, 1u);
}

TEST_F(CoreFixture, SigAggOnTwoThreadsGivesTheSameOutcomes) {
  SigAgg agg(cluster_->book, threshold::default_lagrange_cache(), 2);
  const Duty duty{kSlot, DutyType::kAttester};
  const SignedMessage m{att_data(kSlot, 3)};
  const SignedMessage m2{att_data(kSlot, 4)};  // a second committee's root: the multi-root batch path
  std::vector<ThresholdSet> sets;
  for (std::size_t i = 0; i < 40; ++i) {
    const TestValidator& v = cluster_->validators[i % 3];
    const SignedMessage& msg = i % 2 == 0 ? m : m2;
    sets.push_back(i == 17 ? make_set(cfg_, v, duty, msg, {2, 3, 4}, {1})
                           : make_set(cfg_, v, duty, msg, {1, 2, 3}, {}));
  }
  auto out = agg.aggregate(sets);
  ASSERT_EQ(out.size(), 40u);
  for (std::size_t i = 0; i < 40; ++i) {
    ASSERT_TRUE(out[i].aggregate.has_value()) << i;
    EXPECT_TRUE(bls::verify(cluster_->book.find(sets[i].pubkey)->key, sets[i].signing_root,
                            out[i].aggregate->signature));
    EXPECT_EQ(out[i].blamed.size(), i == 17 ? 1u : 0u);
  }
  EXPECT_EQ(agg.stats().fallback_sets, 1u);
  // Two roots: two group checks, then bisection inside the failing group only (20 sets → 5 halvings ±1).
  EXPECT_GE(agg.stats().batch_checks, 2u + 5u);
  EXPECT_LE(agg.stats().batch_checks, 2u + 2u * 5u);
}

TEST_F(CoreFixture, SigAggVerifiesSuspectSharesFirstAndSkipsTheRepair) {
  const Duty duty{kSlot, DutyType::kAttester};
  const SignedMessage m{att_data(kSlot, 1)};
  std::vector<ThresholdSet> sets;
  for (const auto& v : cluster_->validators) sets.push_back(make_set(cfg_, v, duty, m, {1, 3, 4}, {2}));
  // Share 2, bad in every set, is a suspect: its partials are checked and dropped before recombination.
  SigAgg agg(cluster_->book);
  auto out = agg.aggregate(sets, std::set<ShareIdx>{ShareIdx{2}});
  ASSERT_EQ(out.size(), 3u);
  for (const auto& o : out) {
    ASSERT_TRUE(o.aggregate.has_value()) << o.aggregate.error().message();
    EXPECT_EQ(o.blamed, std::vector<ShareIdx>{ShareIdx{2}});
    EXPECT_TRUE(bls::verify(cluster_->book.find(o.pubkey)->key, signing_root(cfg_, m), o.aggregate->signature));
  }
  EXPECT_EQ(agg.stats().suspect_checks, 3u);
  EXPECT_EQ(agg.stats().suspect_dropped, 3u);
  EXPECT_EQ(agg.stats().fallback_sets, 0u);  // no failed batch, no repair
  // The same sets without the hint take the repair path for every validator.
  SigAgg plain(cluster_->book);
  auto again = plain.aggregate(sets);
  for (const auto& o : again) EXPECT_EQ(o.blamed, std::vector<ShareIdx>{ShareIdx{2}});
  EXPECT_EQ(plain.stats().fallback_sets, 3u);
  // An honest suspect costs one batch check and loses nothing.
  std::vector<ThresholdSet> honest;
  for (const auto& v : cluster_->validators) honest.push_back(make_set(cfg_, v, duty, m, {1, 2, 3}, {}));
  SigAgg cautious(cluster_->book);
  auto ok = cautious.aggregate(honest, std::set<ShareIdx>{ShareIdx{2}});
  for (const auto& o : ok) {
    EXPECT_TRUE(o.aggregate.has_value());
    EXPECT_TRUE(o.blamed.empty());
  }
  EXPECT_EQ(cautious.stats().suspect_dropped, 0u);
  EXPECT_EQ(cautious.stats().fallback_sets, 0u);
}

TEST_F(CoreFixture, SigAggFailsWithBlameWhenTooFewGoodPartialsRemain) {
  SigAgg agg(cluster_->book);
  const Duty duty{kSlot, DutyType::kRandao};
  const SignedMessage m{RandaoMessage{Epoch{200}}};
  std::vector<ThresholdSet> sets{make_set(cfg_, cluster_->validators[0], duty, m, {1, 4}, {2, 3})};
  auto out = agg.aggregate(sets);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_FALSE(out[0].aggregate.has_value());
  EXPECT_EQ(out[0].aggregate.error(), CoreError::kNotEnoughPartials);
  EXPECT_EQ(out[0].blamed, (std::vector<ShareIdx>{ShareIdx{2}, ShareIdx{3}}));
}

TEST_F(CoreFixture, SigAggRefusesMalformedSets) {
  SigAgg agg(cluster_->book);
  const Duty duty{kSlot, DutyType::kRandao};
  const SignedMessage m{RandaoMessage{Epoch{200}}};
  std::vector<ThresholdSet> sets;
  sets.push_back(make_set(cfg_, cluster_->validators[0], duty, m, {1, 2}, {}));  // too few
  sets.push_back(make_set(cfg_, cluster_->validators[0], duty, m, {1, 2, 3}, {}));
  sets.back().pubkey = PubKey{};  // unknown validator
  sets.push_back(make_set(cfg_, cluster_->validators[0], duty, m, {1, 2, 3}, {}));
  sets.back().partials[2].idx = ShareIdx{9};  // unknown share
  sets.push_back(make_set(cfg_, cluster_->validators[0], duty, m, {1, 2, 3}, {}));
  sets.back().partials[2].idx = ShareIdx{1};  // duplicate index
  auto out = agg.aggregate(sets);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].aggregate.error(), CoreError::kNotEnoughPartials);
  EXPECT_EQ(out[1].aggregate.error(), CoreError::kUnknownPubkey);
  EXPECT_EQ(out[2].aggregate.error(), CoreError::kUnknownShare);
  EXPECT_EQ(out[3].aggregate.error(), CoreError::kBadSignature);
}

// ---------------------------------------------------------------- aggsigdb

TEST_F(CoreFixture, AggSigDbHoldsAtMostOneAggregate) {
  AggSigDB db(deadliner_);
  const Duty duty{kSlot, DutyType::kPrepareAggregator};
  const TestValidator& v = cluster_->validators[0];
  const SignedMessage m{SelectionProofMessage{kSlot}};
  SigAgg agg(cluster_->book);
  std::vector<ThresholdSet> sets{make_set(cfg_, v, duty, m, {1, 2, 3}, {})};
  auto out = agg.aggregate(sets);
  ASSERT_TRUE(out[0].aggregate.has_value());
  auto first = db.store(duty, v.pubkey, *out[0].aggregate);
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(*first);
  auto again = db.store(duty, v.pubkey, *out[0].aggregate);
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE(*again);
  SignedData other = *out[0].aggregate;
  other.signature = v.shares[0].secret.sign(signing_root(cfg_, m));
  EXPECT_EQ(db.store(duty, v.pubkey, other).error(), CoreError::kConflict);
  ASSERT_TRUE(db.get(duty, v.pubkey).has_value());
  EXPECT_TRUE(db.get(duty, v.pubkey)->signature == out[0].aggregate->signature);
  EXPECT_EQ(db.store({kSlot, DutyType::kAttester}, v.pubkey, other).error(), CoreError::kWrongDataType);
  EXPECT_EQ(db.get({kSlot, DutyType::kRandao}, v.pubkey).error(), CoreError::kNotFound);
  db.evict(duty);
  EXPECT_EQ(db.size(), 0u);
}

// ---------------------------------------------------------------- tracker

TEST(CoreTracker, ReportsSuccessAndTheReasonOfFailures) {
  Tracker t(kN);
  const Duty ok{Slot{1}, DutyType::kAttester};
  t.on_step(ok, Step::kFetched);
  t.on_step(ok, Step::kBroadcast);
  t.on_step(ok, Step::kDecided);  // out-of-order events never move back
  auto r = t.on_expired(ok);
  EXPECT_TRUE(r.success);
  EXPECT_FALSE(r.failed_step.has_value());
  EXPECT_TRUE(r.reason.empty());

  const Duty stuck{Slot{2}, DutyType::kAttester};
  t.on_step(stuck, Step::kDecided);
  t.on_partial(stuck, ShareIdx{1});
  t.on_partial(stuck, ShareIdx{3});
  t.on_blame(stuck, ShareIdx{3});
  r = t.on_expired(stuck);
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.last_step, Step::kDecided);
  EXPECT_EQ(r.failed_step, Step::kPartialsIn);
  EXPECT_EQ(r.reason, "expired");
  EXPECT_EQ(r.missing, (std::vector<ShareIdx>{ShareIdx{2}, ShareIdx{4}}));
  EXPECT_EQ(r.blamed, std::vector<ShareIdx>{ShareIdx{3}});

  const Duty no_bn{Slot{3}, DutyType::kProposer};
  t.on_step(no_bn, Step::kScheduled);
  r = t.on_failure(no_bn, Reason::kFetchBnError, "beacon node timeout");
  EXPECT_EQ(r.failed_step, Step::kFetched);
  EXPECT_EQ(r.reason, "beacon node timeout");
  EXPECT_TRUE(r.missing.empty());  // before consensus nobody owes a partial
  EXPECT_EQ(t.size(), 0u);
  EXPECT_STREQ(to_string(Step::kPartialsIn), "partials_in");
}

// ---------------------------------------------------------------- the pieces together

TEST_F(CoreFixture, PartialsFlowThroughParSigDbSigAggAndAggSigDbWithBlame) {
  ParSigDB parsigs(cfg_, cluster_->book, deadliner_);
  SigAgg agg(cluster_->book);
  AggSigDB aggs(deadliner_);
  Tracker tracker(kN);
  const Duty duty{kSlot, DutyType::kAttester};
  ASSERT_TRUE(deadliner_.add(duty));
  tracker.on_step(duty, Step::kDecided);
  const SignedMessage m{att_data(kSlot, 1)};
  const TestValidator& v = cluster_->validators[2];

  // Share 1 sends a bad partial first; shares 2 and 3 good: threshold reached, aggregate fails, 1 blamed.
  std::optional<ThresholdSet> ready;
  for (std::uint32_t i = 1; i <= 3; ++i) {
    auto p = i == 1 ? bad_partial(cfg_, v, i, m) : partial(cfg_, v, i, m);
    auto r = parsigs.store(duty, v.pubkey, p);
    ASSERT_TRUE(r.has_value());
    tracker.on_partial(duty, p.share_idx);
    if (r->ready) ready = r->ready;
  }
  ASSERT_TRUE(ready.has_value());
  auto out = agg.aggregate(std::span(&*ready, 1));
  ASSERT_FALSE(out[0].aggregate.has_value());
  ASSERT_EQ(out[0].blamed, std::vector<ShareIdx>{ShareIdx{1}});
  for (ShareIdx b : out[0].blamed) {
    parsigs.exclude(duty, v.pubkey, b);
    tracker.on_blame(duty, b);
  }
  // The 4th share arrives: a new set without share 1 is emitted and aggregates.
  auto r4 = parsigs.store(duty, v.pubkey, partial(cfg_, v, 4, m));
  ASSERT_TRUE(r4.has_value() && r4->ready.has_value());
  out = agg.aggregate(std::span(&*r4->ready, 1));
  ASSERT_TRUE(out[0].aggregate.has_value());
  parsigs.mark_aggregated(duty, v.pubkey);
  ASSERT_TRUE(aggs.store(duty, v.pubkey, *out[0].aggregate).has_value());
  tracker.on_step(duty, Step::kAggregated);

  clock_.advance(seconds(60));
  for (const Duty& d : deadliner_.on_tick()) {
    parsigs.evict(d);
    aggs.evict(d);
    const DutyReport rep = tracker.on_expired(d);
    EXPECT_EQ(rep.failed_step, Step::kBroadcast);
    EXPECT_EQ(rep.blamed, std::vector<ShareIdx>{ShareIdx{1}});
  }
  EXPECT_EQ(parsigs.size(), 0u);
  EXPECT_EQ(aggs.size(), 0u);
}

// ---------------------------------------------------------------- ports with test doubles

/// Test double: a beacon node that proposes one AttestationData per slot and records submissions (a plain
/// synchronous double; the async BeaconNode port is exercised by workflow_test).
class FakeBeaconNode {
 public:
  explicit FakeBeaconNode(std::uint64_t salt) : salt_(salt) {}
  Result<UnsignedDataSet> fetch(const Duty& duty, std::span<const DutyDefinition> defs) {
    UnsignedDataSet set;
    for (const auto& d : defs)
      set.emplace(d.pubkey, AttesterData{att_data(duty.slot, salt_), d.committee_index});
    return set;
  }
  Result<void> submit(const Duty& duty, const PubKey& pubkey, const SignedData& aggregate) {
    submitted.push_back({duty, pubkey, aggregate.signature});
    return {};
  }
  struct Submission {
    Duty duty;
    PubKey pubkey;
    bls::Signature signature;
  };
  std::vector<Submission> submitted;

 private:
  std::uint64_t salt_;
};

/// Test double: consensus that decides the first proposal of each duty and tells every subscriber.
class FakeConsensus final : public Consensus {
 public:
  Result<void> propose(const Duty& duty, const UnsignedDataSet& value) override {
    if (decided_.contains(duty)) return {};
    decided_.insert(duty);
    for (auto& fn : subs_) fn(duty, value);
    return {};
  }
  void subscribe_decided(DecidedFn fn) override { subs_.push_back(std::move(fn)); }

 private:
  std::set<Duty> decided_;
  std::vector<DecidedFn> subs_;
};

/// Test double: an in-memory bus; each node's endpoint delivers to every other endpoint.
class FakeBus {
 public:
  class Endpoint final : public ParSigExchange {
   public:
    Endpoint(FakeBus& bus, std::size_t id) : bus_(bus), id_(id) {}
    Result<void> broadcast(const Duty& duty,
                           std::span<const std::pair<PubKey, ParSignedData>> partials) override {
      for (auto* e : bus_.endpoints_)
        if (e->id_ != id_)
          for (const auto& [pk, p] : partials)
            for (auto& fn : e->subs_) fn(duty, pk, p);
      return {};
    }
    void subscribe_received(ReceivedFn fn) override { subs_.push_back(std::move(fn)); }

   private:
    FakeBus& bus_;
    std::size_t id_;
    std::vector<ReceivedFn> subs_;
  };
  Endpoint& join(std::size_t id) {
    owned_.push_back(std::make_unique<Endpoint>(*this, id));
    endpoints_.push_back(owned_.back().get());
    return *owned_.back();
  }

 private:
  std::vector<std::unique_ptr<Endpoint>> owned_;
  std::vector<Endpoint*> endpoints_;
};

/// Test double: slashing guard refusing a second, different attestation for one target epoch.
class FakeSlashingGuard final : public SlashingGuard {
 public:
  Result<void> check_and_record(const PubKey& pubkey, const SignedMessage& message) override {
    const auto* a = std::get_if<eth::phase0::AttestationData>(&message);
    if (a == nullptr) return {};
    auto [it, inserted] = seen_.emplace(std::pair{pubkey, a->target.epoch.value}, ssz::hash_tree_root(*a));
    if (!inserted && it->second != ssz::hash_tree_root(*a)) return fail(CoreError::kConflict);
    return {};
  }

 private:
  std::map<std::pair<PubKey, std::uint64_t>, Root> seen_;
};

/// Test double: embedded signer for one operator's share index; `corrupt` makes it sign garbage.
class FakeSigner final : public Signer {
 public:
  FakeSigner(const eth::ChainConfig& cfg, const TestCluster& c, std::uint32_t share_idx, SlashingGuard& guard,
             bool corrupt)
      : cfg_(cfg), c_(c), share_idx_(share_idx), guard_(guard), corrupt_(corrupt) {}
  Result<ParSignedData> sign(const Duty&, const PubKey& pubkey, const SignedMessage& message) override {
    if (auto ok = guard_.check_and_record(pubkey, message); !ok) return std::unexpected(ok.error());
    for (const auto& v : c_.validators)
      if (v.pubkey == pubkey)
        return corrupt_ ? bad_partial(cfg_, v, share_idx_, message) : partial(cfg_, v, share_idx_, message);
    return fail(CoreError::kUnknownPubkey);
  }

 private:
  const eth::ChainConfig& cfg_;
  const TestCluster& c_;
  std::uint32_t share_idx_;
  SlashingGuard& guard_;
  bool corrupt_;
};

/// One operator's core wired through the ports, Charon Wire() style.
struct TestNode {
  TestNode(std::uint32_t share_idx, const eth::ChainConfig& cfg, const TestCluster& c, const Deadliner& dl,
           FakeBus& bus, FakeConsensus& cons, bool corrupt)
      : bn(share_idx),
        signer(cfg, c, share_idx, guard, corrupt),
        dutydb(dl),
        parsigdb(cfg, c.book, dl),
        sigagg(c.book),
        aggsigdb(dl),
        tracker(kN),
        exchange(bus.join(share_idx)) {
    cons.subscribe_decided([this](const Duty& duty, const UnsignedDataSet& set) { on_decided(duty, set); });
    exchange.subscribe_received(
        [this](const Duty& duty, const PubKey& pk, const ParSignedData& p) { on_partial(duty, pk, p); });
  }
  void on_decided(const Duty& duty, const UnsignedDataSet& set) {
    tracker.on_step(duty, Step::kDecided);
    ASSERT_TRUE(dutydb.store(duty, set).has_value());
    std::vector<std::pair<PubKey, ParSignedData>> mine;
    for (const auto& [pk, u] : set) {
      // The VC would fetch attestation_data(slot, committee) from the validator API and sign it.
      auto data = dutydb.attestation_data(duty.slot, std::get<AttesterData>(u).committee_index);
      ASSERT_TRUE(data.has_value());
      auto p = signer.sign(duty, pk, SignedMessage{*data});
      ASSERT_TRUE(p.has_value());
      mine.emplace_back(pk, *p);
    }
    for (const auto& [pk, p] : mine) on_partial(duty, pk, p);
    ASSERT_TRUE(exchange.broadcast(duty, mine).has_value());
  }
  void on_partial(const Duty& duty, const PubKey& pk, const ParSignedData& p) {
    auto r = parsigdb.store(duty, pk, p);
    if (!r) return;
    tracker.on_partial(duty, p.share_idx);
    if (!r->ready) return;
    auto out = sigagg.aggregate(std::span(&*r->ready, 1));
    for (ShareIdx b : out[0].blamed) {
      parsigdb.exclude(duty, pk, b);
      tracker.on_blame(duty, b);
    }
    if (!out[0].aggregate) return;
    parsigdb.mark_aggregated(duty, pk);
    if (auto st = aggsigdb.store(duty, pk, *out[0].aggregate); st && *st) {
      tracker.on_step(duty, Step::kAggregated);
      ASSERT_TRUE(bn.submit(duty, pk, *out[0].aggregate).has_value());
    }
  }

  FakeBeaconNode bn;
  FakeSlashingGuard guard;
  FakeSigner signer;
  DutyDB dutydb;
  ParSigDB parsigdb;
  SigAgg sigagg;
  AggSigDB aggsigdb;
  Tracker tracker;
  ParSigExchange& exchange;
};

TEST_F(CoreFixture, FourNodesThroughThePortsSubmitVerifiedAggregatesDespiteAByzantineShare) {
  FakeBus bus;
  FakeConsensus consensus;
  std::vector<std::unique_ptr<TestNode>> nodes;
  for (std::uint32_t i = 1; i <= kN; ++i)  // share 1 signs garbage, and its partials arrive first
    nodes.push_back(std::make_unique<TestNode>(i, cfg_, *cluster_, deadliner_, bus, consensus, i == 1));
  const Duty duty{kSlot, DutyType::kAttester};
  ASSERT_TRUE(deadliner_.add(duty));
  std::vector<DutyDefinition> defs;
  for (std::size_t v = 0; v < cluster_->validators.size(); ++v)
    defs.push_back(DutyDefinition{cluster_->validators[v].pubkey, ValidatorIndex{v}, v % 2, 8, 1, v, {}});
  // Every node fetches (different BN answers) and proposes; the first proposal is decided.
  for (auto& n : nodes) {
    auto fetched = n->bn.fetch(duty, defs);
    ASSERT_TRUE(fetched.has_value());
    n->tracker.on_step(duty, Step::kFetched);
    ASSERT_TRUE(consensus.propose(duty, *fetched).has_value());
  }
  const Root decided_root = signing_root(cfg_, SignedMessage{att_data(kSlot, 1)});  // node 1's BN answer
  for (auto& n : nodes) {
    ASSERT_EQ(n->bn.submitted.size(), cluster_->validators.size());
    for (const auto& sub : n->bn.submitted)
      EXPECT_TRUE(bls::verify(cluster_->book.find(sub.pubkey)->key, decided_root, sub.signature));
    EXPECT_EQ(n->aggsigdb.size(), cluster_->validators.size());
  }
  // Nodes 2–4 received share 1's garbage among their first three partials and blamed it.
  for (std::size_t i = 1; i < nodes.size(); ++i) {
    clock_.set(deadliner_.deadline(duty));
    const DutyReport rep = nodes[i]->tracker.on_expired(duty);
    EXPECT_EQ(rep.blamed, std::vector<ShareIdx>{ShareIdx{1}}) << "node " << i + 1;
    EXPECT_EQ(rep.failed_step, Step::kBroadcast);
    EXPECT_TRUE(rep.missing.empty());
  }
  // A second, different decision for the same duty would be refused by every node's dutydb.
  clock_.set(deadliner_.slot_start(kSlot));
  const UnsignedDataSet conflicting{{defs[0].pubkey, AttesterData{att_data(kSlot, 2), 0}}};
  for (auto& n : nodes) EXPECT_EQ(n->dutydb.store(duty, conflicting).error(), CoreError::kConflict);
}

}  // namespace
}  // namespace phx::core
