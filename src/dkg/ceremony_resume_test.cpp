// Crashes at every round boundary: with the journal the node resumes and every node finishes with identical
// outputs; without it (a new R0 with a new nonce) every node fails with E_PEER_RESTARTED_WITHOUT_JOURNAL.
#include <gtest/gtest.h>

#include "dkg/ceremony_sim_test.hpp"

using namespace phx;
using namespace phx::dkg;
using namespace phx::dkg::test;

namespace {

constexpr std::uint32_t kVictim = 1;

class DkgCrashWithJournal : public ::testing::TestWithParam<std::tuple<int, bool>> {};

TEST_P(DkgCrashWithJournal, ResumesAndEveryNodeFinishesIdentically) {
  const auto round = static_cast<Round>(std::get<0>(GetParam()));
  const bool before_send = std::get<1>(GetParam());
  NetConfig net;
  net.max_delay_ns = 50'000'000;
  net.seed = 7 + std::get<0>(GetParam());
  Sim sim(dkg_params(4, 3, 3, 2, 1), 1, net);
  crash_at(sim, kVictim, round, before_send, true);
  sim.start_all();
  sim.run();
  ASSERT_TRUE(sim.node(kVictim).ceremony != nullptr) << "the victim never restarted";
  expect_success(sim);
}

INSTANTIATE_TEST_SUITE_P(Rounds, DkgCrashWithJournal,
                         ::testing::Combine(::testing::Values(0, 1, 2, 3, 4, 5), ::testing::Bool()));

class DkgCrashWithoutJournal : public ::testing::TestWithParam<int> {};

TEST_P(DkgCrashWithoutJournal, EveryNodeFailsNamingTheRestartedNode) {
  const auto round = static_cast<Round>(GetParam());
  NetConfig net;
  net.max_delay_ns = 50'000'000;
  Sim sim(dkg_params(4, 3, 3, 2, 1), 1, net);
  crash_at(sim, kVictim, round, false, false);
  sim.start_all();
  sim.run();
  expect_failure(sim, {0, 1, 2, 3}, FailureCode::kPeerRestartedWithoutJournal, kVictim);
}

INSTANTIATE_TEST_SUITE_P(Rounds, DkgCrashWithoutJournal, ::testing::Values(0, 1, 2, 3, 4));

}  // namespace

TEST(DkgResume, JournalWithoutSeedFailsWithEWrite) {
  Params p = dkg_params(4, 3, 1, 1, 0);
  HashingPlanForTests plan(0);
  K1NodeSigner signer(identity_key(0));
  std::vector<crypto::k1::PublicKey> ids;
  for (const auto& q : p.participants) ids.push_back(q.identity);
  K1NodeVerifier verifier(ids);
  LocalConfig l;
  Ceremony c(p, l, signer, verifier, plan);
  Outbox o = c.resume({}, 0);
  ASSERT_TRUE(o.failure.has_value());
  EXPECT_EQ(o.failure->code, FailureCode::kWrite);
}

TEST(DkgResume, JournalRecordsRoundTripAndRejectMalformed) {
  JournalRecord r{JournalType::kSent, SecretBytes(Bytes{1, 2, 3})};
  const SecretBytes enc = encode_journal_record(r);
  auto d = decode_journal_record(enc.view());
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->type, JournalType::kSent);
  EXPECT_TRUE(ct_equal(d->data.view(), r.data.view()));
  Bytes b(enc.view().begin(), enc.view().end());
  EXPECT_FALSE(decode_journal_record(ByteSpan(b).first(4)).has_value());
  b.push_back(0);
  EXPECT_FALSE(decode_journal_record(b).has_value());
  b.pop_back();
  b[0] = 9;
  EXPECT_FALSE(decode_journal_record(b).has_value());
  JournalRecord seed{JournalType::kSeed, SecretBytes(Bytes(31, 1))};
  EXPECT_FALSE(decode_journal_record(encode_journal_record(seed).view()).has_value());
}
