// Resharing (issue 15): the same distributed keys with a new operator set or threshold; old dealers' constant
// commitments must equal their old public shares; index rules; old and new shares do not mix.
#include "dkg/reshare.hpp"

#include <gtest/gtest.h>

#include "dkg/ceremony_sim_test.hpp"

using namespace phx;
using namespace phx::dkg;
using namespace phx::dkg::test;
using crypto::bls::Fr;

namespace {

constexpr std::uint32_t kV = 2;

// A finished n-operator DKG (persons 0..n−1): the old lock.
struct OldLock {
  std::uint32_t n, t;
  Sim sim;
  OldLock(std::uint32_t n_, std::uint32_t t_) : n(n_), t(t_), sim(dkg_params(n_, t_, kV, 1, 1), 1) {
    sim.start_all();
    sim.run();
  }
  const CeremonyResult& result(std::uint32_t i) { return *sim.node(i).result; }
  ReshareParams params() {
    ReshareParams r;
    r.old_lock_hash = result(0).lock_hash;
    r.old_threshold = t;
    for (const auto& v : result(0).validators) {
      r.pubkeys.push_back(v.pubkey);
      r.old_pubshares.push_back(v.pubshares);
    }
    return r;
  }
};

OldLock& old_lock() {  // 3 of 4
  static OldLock o(4, 3);
  return o;
}

OldLock& old_lock7() {  // 5 of 7
  static OldLock o(7, 5);
  return o;
}

crypto::k1::PublicKey person(std::uint32_t i) { return identity_key(i).public_key(); }

// The reshare parameters and each participant's old shares, from `old` to `new_ops` (persons) with `dealing_old`
// (old positions); `corrupt_dealer` deals its old share + 1.
Params reshare_params(OldLock& old, const std::vector<std::uint32_t>& new_ops, const std::vector<std::uint32_t>& dealing_old,
                      std::uint32_t new_t, std::vector<SecretScalars>& olds,
                      std::optional<std::uint32_t> corrupt_dealer = std::nullopt) {
  ReshareOperators ops;
  for (std::uint32_t i = 0; i < old.n; ++i) ops.old_operators.push_back(person(i));
  for (auto i : new_ops) ops.new_operators.push_back(person(i));
  ops.dealing_old = dealing_old;
  auto parts = reshare_participants(ops);
  EXPECT_TRUE(parts.has_value());
  Params p;
  p.definition_hash.fill(0xd2);
  p.threshold = new_t;
  p.validators = kV;
  p.chunk_validators = 1;
  p.roots_per_validator = 0;
  p.participants = *parts;
  p.reshare = old.params();
  EXPECT_TRUE(validate(p).has_value()) << validate(p).error();
  olds.clear();
  for (std::uint32_t i = 0; i < p.n(); ++i) {
    SecretScalars s;
    if (p.participants[i].dealer) {
      const std::uint32_t old_pos = p.participants[i].dealer_x - 1;
      s = SecretScalars(kV);
      for (std::uint32_t v = 0; v < kV; ++v) s[v] = old.result(old_pos).secret_shares[v].scalar();
      if (corrupt_dealer && *corrupt_dealer == i) s[0] = s[0] + Fr::one();
    }
    olds.push_back(std::move(s));
  }
  return p;
}

// Runs a reshare of `old` (default: 3 of 4) to `new_ops` (persons) with `dealing_old` (old positions).
std::unique_ptr<Sim> reshare(const std::vector<std::uint32_t>& new_ops, const std::vector<std::uint32_t>& dealing_old,
                             std::uint32_t new_t, std::optional<std::uint32_t> corrupt_dealer = std::nullopt,
                             OldLock* old = nullptr) {
  std::vector<SecretScalars> olds;
  Params p = reshare_params(old ? *old : old_lock(), new_ops, dealing_old, new_t, olds, corrupt_dealer);
  auto sim = std::make_unique<Sim>(p, 0, NetConfig{}, olds.data());
  sim->start_all();
  sim->run();
  return sim;
}

void expect_same_keys(Sim& sim, OldLock& old = old_lock()) {
  expect_success(sim);
  if (::testing::Test::HasFatalFailure()) return;
  for (std::uint32_t v = 0; v < kV; ++v) {
    EXPECT_TRUE(sim.node(0).result->validators[v].pubkey == old.result(0).validators[v].pubkey);
  }
}

}  // namespace

TEST(DkgReshareIndices, RemoveCompactsAddAppendsReplaceKeepsThePosition) {
  ReshareOperators remove{{person(0), person(1), person(2), person(3)}, {person(0), person(1), person(3)}, {0, 1, 3}};
  auto r = reshare_participants(remove);
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[2].share_x, 3u);   // old index 4 compacts to 3
  EXPECT_EQ((*r)[2].dealer_x, 4u);  // and deals its old share 4
  ReshareOperators add{{person(0), person(1), person(2), person(3)},
                       {person(0), person(1), person(2), person(3), person(4)}, {0, 1, 2, 3}};
  r = reshare_participants(add);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ((*r)[4].share_x, 5u);
  EXPECT_FALSE((*r)[4].dealer);
  ReshareOperators replace{{person(0), person(1), person(2), person(3)},
                           {person(0), person(4), person(2), person(3)}, {0, 2, 3}};
  r = reshare_participants(replace);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ((*r)[1].share_x, 2u);  // the new operator takes position 2
  EXPECT_FALSE((*r)[1].dealer);
  ReshareOperators removed_deals{{person(0), person(1), person(2), person(3)}, {person(0), person(1), person(3)},
                                 {0, 1, 2}};
  r = reshare_participants(removed_deals);
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->size(), 4u);  // the removed operator joins as a dealer only
  EXPECT_TRUE((*r)[3].dealer);
  EXPECT_FALSE((*r)[3].receiver);
  EXPECT_EQ((*r)[3].dealer_x, 3u);
  ReshareOperators dup{{person(0), person(0)}, {person(1)}, {0}};
  EXPECT_FALSE(reshare_participants(dup).has_value());
  ReshareOperators out_of_range{{person(0)}, {person(1)}, {3}};
  EXPECT_FALSE(reshare_participants(out_of_range).has_value());
}

TEST(DkgReshare, SameOperatorsLowerThreshold) {
  auto sim = reshare({0, 1, 2, 3}, {0, 1, 2, 3}, 2);
  expect_same_keys(*sim);
}

TEST(DkgReshare, RemoveAnOperator) {
  auto sim = reshare({0, 1, 3}, {0, 1, 3}, 2);
  expect_same_keys(*sim);
}

TEST(DkgReshare, RemovedOperatorDealsButReceivesNothing) {
  auto sim = reshare({0, 1, 3}, {0, 1, 2}, 2);
  expect_same_keys(*sim);
  EXPECT_TRUE(sim->node(3).result->secret_shares.empty());
}

TEST(DkgReshare, AddAnOperator) {
  auto sim = reshare({0, 1, 2, 3, 4}, {0, 1, 2, 3}, 4);
  expect_same_keys(*sim);
}

TEST(DkgReshare, ReplaceAnOperatorWithoutContactingIt) {
  auto sim = reshare({0, 4, 2, 3}, {0, 2, 3}, 3);
  expect_same_keys(*sim);
  // Old and new shares do not mix: two new shares and one old one recombine to another key.
  auto& old = old_lock();
  std::vector<crypto::threshold::KeyShare> mixed;
  for (std::uint32_t i : {0u, 2u}) {
    const auto& r = *sim->node(i).result;
    mixed.push_back({ShareIdx{*r.share_x}, *crypto::bls::SecretKey::from_bytes(r.secret_shares[0].to_bytes().view())});
  }
  mixed.push_back({ShareIdx{4}, *crypto::bls::SecretKey::from_bytes(old.result(3).secret_shares[0].to_bytes().view())});
  auto rec = crypto::threshold::recover_secret(mixed, 3);
  ASSERT_TRUE(rec.has_value());
  EXPECT_FALSE(rec->public_key() == old.result(0).validators[0].pubkey);
}

TEST(DkgReshare, DealerWhoseConstantIsNotItsOldShareIsBlamed) {
  auto sim = reshare({0, 1, 2, 3}, {0, 1, 2, 3}, 3, 1u);
  expect_failure(*sim, {0, 2, 3}, FailureCode::kBadDeal, 1, DealCheck::kOldShare);
}

TEST(DkgReshare, FourToSevenRaisesTheThreshold) {
  auto sim = reshare({0, 1, 2, 3, 4, 5, 6}, {0, 1, 2, 3}, 5);
  expect_same_keys(*sim);
  EXPECT_EQ(*sim->node(6).result->share_x, 7u);
}

TEST(DkgReshare, SevenToFourWithRemovedOperatorsDealing) {
  // Old t = 5 but only 4 stay: one removed operator (old position 5) deals without receiving.
  auto& old = old_lock7();
  auto sim = reshare({0, 2, 4, 6}, {0, 2, 4, 5, 6}, 3, std::nullopt, &old);
  expect_same_keys(*sim, old);
  ASSERT_EQ(sim->params().n(), 5u);
  EXPECT_FALSE(sim->params().participants[4].receiver);
  EXPECT_EQ(*sim->node(3).result->share_x, 4u);  // old operator 6 is now the 4th
}

TEST(DkgReshare, FewerDealersThanTheOldThresholdIsRejectedByValidate) {
  std::vector<SecretScalars> olds;
  Params p = reshare_params(old_lock(), {0, 1, 4}, {0, 1, 2}, 2, olds);
  EXPECT_TRUE(validate(p).has_value());
  p.participants.pop_back();  // drop the third dealer
  p.participants.back().dealer = false;
  EXPECT_FALSE(validate(p).has_value());
}

// A crash of an old operator (dealer) or a joining one (receiver only) at every round boundary, before or after
// sending: it resumes from its journal and every node ends with the same keys as the old lock. (A reshare signs
// nothing in R3: nodes go from R2 to R4.)
class DkgReshareCrash : public ::testing::TestWithParam<std::tuple<int, bool, std::uint32_t>> {};

TEST_P(DkgReshareCrash, ResumesFromTheJournalAndKeepsTheKeys) {
  const auto round = static_cast<Round>(std::get<0>(GetParam()));
  const std::uint32_t victim = std::get<2>(GetParam());
  if (round == Round::kDeal && std::get<1>(GetParam()) && victim == 4)
    GTEST_SKIP() << "a joining operator sends nothing in R1";
  std::vector<SecretScalars> olds;
  Params p = reshare_params(old_lock(), {0, 1, 2, 3, 4}, {0, 1, 2, 3}, 4, olds);
  NetConfig net;
  net.max_delay_ns = 50'000'000;
  net.seed = 11 + std::get<0>(GetParam());
  Sim sim(p, 0, net, olds.data());
  auto crashed = crash_at(sim, victim, round, std::get<1>(GetParam()), true);
  sim.start_all();
  sim.run();
  EXPECT_TRUE(*crashed) << "the victim was never in " << to_string(round);
  ASSERT_TRUE(sim.node(victim).ceremony != nullptr) << "the victim never restarted";
  expect_same_keys(sim);
}

INSTANTIATE_TEST_SUITE_P(Rounds, DkgReshareCrash,
                         ::testing::Combine(::testing::Values(0, 1, 2, 4, 5), ::testing::Bool(),
                                            ::testing::Values(1u, 4u)));

// A kind the sender's role does not send is refused: a removed operator (deals only) sends no signature chunk, an
// added one (receives only) sends no deal.
TEST(DkgReshare, AKindTheSendersRoleDoesNotSendIsRejected) {
  std::vector<SecretScalars> olds;
  // Old 0 … 3 → new 1 … 4: person 0 leaves (deals only), person 4 joins (receives only).
  Params p = reshare_params(old_lock(), {1, 2, 3, 4}, {0, 1, 2}, 3, olds);
  Sim sim(p, 0, NetConfig{}, olds.data());
  std::optional<std::uint32_t> leaving, joining, both;
  for (std::uint32_t i = 0; i < p.n(); ++i) {
    const auto& q = p.participants[i];
    if (q.dealer && !q.receiver) leaving = i;
    if (!q.dealer && q.receiver) joining = i;
    if (q.dealer && q.receiver) both = i;
  }
  ASSERT_TRUE(leaving && joining && both);
  sim.start(*both);
  Ceremony& c = *sim.node(*both).ceremony;
  auto envelope = [&](Kind kind, std::uint32_t sender, Bytes payload) {
    Envelope e;
    e.kind = static_cast<std::uint8_t>(kind);
    e.sender = sender;
    e.session = p.definition_hash;
    e.payload = ssz::ByteList<kMaxPayloadBytes>(payload);
    return encode_envelope(e);
  };
  DealManifest m;
  m.chunk_roots.push_back(Root{});
  Outbox o = c.on_message(*joining, envelope(Kind::kDealManifest, *joining, ssz::serialize(m)), 1);
  ASSERT_TRUE(o.rejected.has_value());
  EXPECT_EQ(*o.rejected, Reject::kRole);
  o = c.on_message(*leaving, envelope(Kind::kSign, *leaving, ssz::serialize(SignChunk{})), 1);
  ASSERT_TRUE(o.rejected.has_value());
  EXPECT_EQ(*o.rejected, Reject::kRole);
  EXPECT_FALSE(c.failed());
}
