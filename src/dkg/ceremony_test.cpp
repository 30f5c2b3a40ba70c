// Whole-ceremony simulations: happy paths for n ∈ {4, 7, 10, 13, 16} over a lossy, duplicating, reordering
// network, and the ceremony's handling of malformed or misdirected input.
#include "dkg/ceremony.hpp"

#include <gtest/gtest.h>

#include "dkg/ceremony_sim_test.hpp"

using namespace phx;
using namespace phx::dkg;
using namespace phx::dkg::test;

namespace {

std::uint32_t default_threshold(std::uint32_t n) { return (2 * n + 2) / 3; }

}  // namespace

TEST(DkgCeremony, FourNodesFinishWithIdenticalOutputs) {
  Sim sim(dkg_params(4, 3, 5, 2, 2), 2);
  sim.start_all();
  sim.run();
  expect_success(sim);
}

TEST(DkgCeremony, SingleChunkAndNoSigningRoots) {
  Sim sim(dkg_params(4, 3, 3, 1000, 0), 0);
  sim.start_all();
  sim.run();
  expect_success(sim);
}

class DkgCeremonySizes : public ::testing::TestWithParam<std::uint32_t> {};

TEST_P(DkgCeremonySizes, FinishOverALossyDuplicatingReorderingNetwork) {
  const std::uint32_t n = GetParam();
  NetConfig net;
  net.drop = 0.1;
  net.duplicate = 0.1;
  net.min_delay_ns = 1'000'000;
  net.max_delay_ns = 300'000'000;  // up to 300 ms: rounds overlap, early messages are buffered
  net.seed = n;
  Sim sim(dkg_params(n, default_threshold(n), 3, 2, 1), 1, net);
  sim.start_all();
  sim.run();
  expect_success(sim);
  EXPECT_GT(sim.dropped(), 0u);  // recovered by retransmission requests
  EXPECT_GT(sim.duplicated(), 0u);
}

INSTANTIATE_TEST_SUITE_P(N, DkgCeremonySizes, ::testing::Values(4u, 7u, 10u, 13u, 16u));

TEST(DkgCeremony, DelayedStartIsBufferedNotBlamed) {
  // One node starts 100 s late (well within the connect timeout): the others' R0 and R1 wait for it.
  Sim sim(dkg_params(4, 3, 2, 1, 1), 1);
  for (std::uint32_t i = 0; i < 3; ++i) sim.start(i);
  sim.run(100 * kSecond);
  sim.start(3);
  sim.run();
  expect_success(sim);
}

namespace {

// A started 4-node ceremony at node 0 plus the envelopes a peer would send, for input-handling tests.
struct Bench {
  Params p = dkg_params(4, 3, 2, 1, 1);
  HashingPlanForTests plan{1};
  K1NodeSigner signer{identity_key(0)};
  std::unique_ptr<K1NodeVerifier> verifier;
  std::unique_ptr<Ceremony> c;
  Bytes peer_hello;
  Bench() {
    std::vector<crypto::k1::PublicKey> ids;
    for (const auto& q : p.participants) ids.push_back(q.identity);
    verifier = std::make_unique<K1NodeVerifier>(ids);
    LocalConfig l;
    l.self = 0;
    c = std::make_unique<Ceremony>(p, l, signer, *verifier, plan);
    c->start(seed_for(0, 0), 0);
    // Participant 1's R0, produced by its own ceremony.
    K1NodeSigner s1(identity_key(1));
    LocalConfig l1;
    l1.self = 1;
    Ceremony c1(p, l1, s1, *verifier, plan);
    Outbox o = c1.start(seed_for(1, 0), 0);
    peer_hello = o.messages.at(0).bytes;
  }
};

}  // namespace

TEST(DkgCeremonyInput, GarbageIsRejectedNotFatal) {
  Bench b;
  Outbox o = b.c->on_message(1, Bytes{1, 2, 3}, 1);
  ASSERT_TRUE(o.rejected.has_value());
  EXPECT_EQ(*o.rejected, Reject::kDecode);
  EXPECT_FALSE(o.failure.has_value());
  EXPECT_FALSE(b.c->failed());
}

TEST(DkgCeremonyInput, DuplicatesAreNoOps) {
  Bench b;
  Outbox first = b.c->on_message(1, b.peer_hello, 1);
  EXPECT_FALSE(first.rejected.has_value());
  ASSERT_EQ(first.journal.size(), 1u);  // the accepted R0 is journaled
  Outbox again = b.c->on_message(2, b.peer_hello, 2);  // also when relayed by another peer
  ASSERT_TRUE(again.rejected.has_value());
  EXPECT_EQ(*again.rejected, Reject::kDuplicate);
  EXPECT_TRUE(again.journal.empty());
  EXPECT_TRUE(again.messages.empty());
}

TEST(DkgCeremonyInput, ForgedSignatureIsRejected) {
  Bench b;
  auto d = decode_envelope(b.peer_hello);
  ASSERT_TRUE(d.has_value());
  d->envelope.signature[10] ^= 1;
  Outbox o = b.c->on_message(1, encode_envelope(d->envelope), 1);
  ASSERT_TRUE(o.rejected.has_value());
  EXPECT_EQ(*o.rejected, Reject::kBadSignature);
  // Signed by another participant's key while claiming sender 1.
  Bytes forged = resign(*d, 2);
  o = b.c->on_message(1, forged, 1);
  ASSERT_TRUE(o.rejected.has_value());
  EXPECT_EQ(*o.rejected, Reject::kBadSignature);
}

TEST(DkgCeremonyInput, UnknownSenderIsRejected) {
  Bench b;
  auto d = decode_envelope(b.peer_hello);
  d->envelope.sender = 9;
  Outbox o = b.c->on_message(1, resign(*d, 1), 1);
  ASSERT_TRUE(o.rejected.has_value());
  EXPECT_EQ(*o.rejected, Reject::kUnknownSender);
}

TEST(DkgCeremonyInput, AnotherVersionFailsWithEVersion) {
  Bench b;
  Bytes v2 = b.peer_hello;
  v2[0] = 2;
  Outbox o = b.c->on_message(1, v2, 1);
  ASSERT_TRUE(o.failure.has_value());
  EXPECT_EQ(o.failure->code, FailureCode::kVersion);
  EXPECT_EQ(o.failure->operators, std::vector<std::uint32_t>{1});
}

TEST(DkgCeremonyInput, OversizedAndEarlyRelayedMessagesAreNotBuffered) {
  Bench b;
  DealManifest m;
  for (int i = 0; i < 1000; ++i) m.chunk_roots.push_back(Root{});
  Envelope e;
  e.kind = static_cast<std::uint8_t>(Kind::kDealManifest);
  e.sender = 1;
  e.session.fill(7);
  e.payload = ssz::ByteList<kMaxPayloadBytes>(ssz::serialize(m));
  Outbox o = b.c->on_message(1, encode_envelope(e), 1);
  ASSERT_TRUE(o.rejected.has_value());
  EXPECT_EQ(*o.rejected, Reject::kTooLarge);
  // A legitimately sized early message relayed by someone else than its signer (before the session exists).
  DealManifest small;
  small.chunk_roots.push_back(Root{});
  e.payload = ssz::ByteList<kMaxPayloadBytes>(ssz::serialize(small));
  o = b.c->on_message(2, encode_envelope(e), 1);
  ASSERT_TRUE(o.rejected.has_value());
  EXPECT_EQ(*o.rejected, Reject::kBufferFull);
  o = b.c->on_message(1, encode_envelope(e), 1);  // from its signer: buffered until the session is known
  EXPECT_FALSE(o.rejected.has_value());
}

// A chunk index beyond the ceremony's chunks is refused before anything is buffered or checked.
TEST(DkgCeremonyInput, AChunkIndexOutOfRangeIsRejected) {
  Bench b;
  for (const std::uint32_t chunk : {b.p.chunks(), b.p.chunks() + 1000, 0xffffffffu}) {
    DealChunk c;
    c.chunk = chunk;
    SignChunk sc;
    sc.chunk = chunk;
    for (auto [kind, payload] : {std::pair{Kind::kDealChunk, ssz::serialize(c)}, std::pair{Kind::kSign, ssz::serialize(sc)}}) {
      Envelope e;
      e.kind = static_cast<std::uint8_t>(kind);
      e.sender = 1;
      e.session = b.p.definition_hash;
      e.payload = ssz::ByteList<kMaxPayloadBytes>(payload);
      Outbox o = b.c->on_message(1, encode_envelope(e), 1);
      ASSERT_TRUE(o.rejected.has_value()) << chunk;
      EXPECT_EQ(*o.rejected, Reject::kBadPart) << chunk;
      EXPECT_FALSE(o.failure.has_value());
    }
  }
  EXPECT_FALSE(b.c->failed());
}

// Before start() and after the ceremony has ended (here: failed), messages are refused as kStopped and change
// nothing; only requests for earlier messages would still be answered.
TEST(DkgCeremonyInput, MessagesBeforeStartOrAfterTheEndAreStopped) {
  Bench b;
  LocalConfig l;
  l.self = 2;
  K1NodeSigner s2(identity_key(2));
  Ceremony idle(b.p, l, s2, *b.verifier, b.plan);
  Outbox o = idle.on_message(1, b.peer_hello, 1);
  ASSERT_TRUE(o.rejected.has_value());
  EXPECT_EQ(*o.rejected, Reject::kStopped);
  EXPECT_TRUE(o.journal.empty());
  Bytes v2 = b.peer_hello;
  v2[0] = 2;
  ASSERT_TRUE(b.c->on_message(1, v2, 1).failure.has_value());  // another protocol version: the ceremony fails
  ASSERT_TRUE(b.c->failed());
  o = b.c->on_message(1, b.peer_hello, 2);
  ASSERT_TRUE(o.rejected.has_value());
  EXPECT_EQ(*o.rejected, Reject::kStopped);
  EXPECT_TRUE(o.journal.empty());
  EXPECT_TRUE(o.messages.empty());
}
