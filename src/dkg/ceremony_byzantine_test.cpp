// Byzantine participants: bad shares, bad proofs, invalid points, wrong counts, equivocation, false complaints,
// bad partial signatures, lock mismatch, and the R0 checks. Honest nodes all abort naming the culprit, and
// provable failures carry evidence that re-checks offline.
#include <gtest/gtest.h>

#include "dkg/ceremony_sim_test.hpp"

using namespace phx;
using namespace phx::dkg;
using namespace phx::dkg::test;
using crypto::bls::Fr;

namespace {

constexpr std::uint32_t kN = 4;
const std::vector<std::uint32_t> kAll{0, 1, 2, 3};

Params params() { return dkg_params(kN, 3, 3, 2, 1); }

NetConfig net() {
  NetConfig n;
  n.max_delay_ns = 20'000'000;
  return n;
}

std::vector<std::uint32_t> except(std::uint32_t x) {
  std::vector<std::uint32_t> out;
  for (auto i : kAll) {
    if (i != x) out.push_back(i);
  }
  return out;
}

// Rewrites one kind of message of one node with `mutate` (payload) and re-signs it.
template <class T>
Sim::Rewrite rewrite_payload(std::uint32_t who, Kind kind, std::function<void(T&)> mutate) {
  return [=](std::uint32_t node, std::vector<Outgoing>& msgs) {
    if (node != who) return;
    for (auto& m : msgs) {
      auto d = decode_envelope(m.bytes);
      if (!d || d->envelope.kind != static_cast<std::uint8_t>(kind)) continue;
      mutate(std::get<T>(d->payload));
      m.bytes = resign(*d, who);
    }
  };
}

// The ephemeral secret a participant derived in run 0.
Fr ephemeral(const Params& p, std::uint32_t i) {
  const Seed s = seed_for(i, 0);
  return derive_ephemeral_secret(s, p.definition_hash, derive_nonce(s));
}

void run(Sim& sim) {
  sim.start_all();
  sim.run();
}

}  // namespace

TEST(DkgByzantine, BadShareToOneReceiverIsBlamedOnTheDealer) {
  Sim sim(params(), 1, net());
  constexpr std::uint32_t kDealer = 2, kVictim = 1;
  const Params p = sim.params();
  sim.set_rewrite(corrupt_chunk(kDealer, [p](DealChunk& c, const Root& session) {
    // Decrypt the victim's ciphertext with the keys the test knows, corrupt validator 1's share, re-seal.
    const auto key = share_key(ephemeral(p, kDealer), crypto::bls::G1::generator().mul(ephemeral(p, kVictim)), session,
                               kDealer, kVictim);
    Opened o = open_shares(key, session, kDealer, kVictim, 0, c.ciphertexts[kVictim], c.validators.size());
    ASSERT_EQ(o.error, OpenError::kOk);
    std::vector<Fr> shares;
    for (std::size_t i = 0; i < o.shares.size(); ++i) shares.push_back(o.shares[i]);
    shares[1] = shares[1] + Fr::one();
    c.ciphertexts[kVictim] = Ciphertext(seal_shares(key, session, kDealer, kVictim, 0, shares));
  }));
  run(sim);
  expect_failure(sim, except(kDealer), FailureCode::kBadDeal, kDealer, DealCheck::kFeldman);
  for (auto i : except(kDealer)) EXPECT_EQ(sim.node(i).failure->validator, 1u);
}

TEST(DkgByzantine, BadProofOfKnowledge) {
  Sim sim(params(), 1, net());
  sim.set_rewrite(corrupt_chunk(3, [](DealChunk& c, const Root&) {
    auto z = *Fr::from_bytes_be(c.validators[1].pok_z);
    c.validators[1].pok_z = (z + Fr::one()).to_bytes_be();
  }));
  run(sim);
  expect_failure(sim, except(3), FailureCode::kBadDeal, 3, DealCheck::kPok);
  for (auto i : except(3)) EXPECT_EQ(sim.node(i).failure->validator, 1u);
}

TEST(DkgByzantine, IdentityCommitment) {
  Sim sim(params(), 1, net());
  sim.set_rewrite(corrupt_chunk(0, [](DealChunk& c, const Root&) {
    G1Bytes inf{};
    inf[0] = 0xc0;
    c.validators[0].commitments[1] = inf;
  }));
  run(sim);
  expect_failure(sim, except(0), FailureCode::kBadDeal, 0, DealCheck::kPoint);
}

TEST(DkgByzantine, OffSubgroupCommitment) {
  Sim sim(params(), 1, net());
  // On the curve, not in G1 (ethereum/bls12-381-tests deserialization_fails_not_in_G1).
  const auto off = *from_hex_fixed<48>(
      "8123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
  sim.set_rewrite(corrupt_chunk(1, [off](DealChunk& c, const Root&) { c.validators[1].commitments[2] = off; }));
  run(sim);
  expect_failure(sim, except(1), FailureCode::kBadDeal, 1, DealCheck::kPoint);
}

TEST(DkgByzantine, WrongCommitmentCount) {
  Sim sim(params(), 1, net());
  sim.set_rewrite(corrupt_chunk(2, [](DealChunk& c, const Root&) { c.validators[0].commitments.pop_back(); }));
  run(sim);
  expect_failure(sim, except(2), FailureCode::kBadDeal, 2, DealCheck::kCount);
}

TEST(DkgByzantine, CommitmentsOtherThanAnnouncedInR0) {
  Sim sim(params(), 1, net());
  // A valid point, but not the one H_i in R0 committed to (last-mover grinding).
  sim.set_rewrite(corrupt_chunk(2, [](DealChunk& c, const Root&) {
    c.validators[0].commitments[1] = crypto::bls::G1::generator().to_compressed();
  }));
  run(sim);
  expect_failure(sim, except(2), FailureCode::kBadDeal, 2, DealCheck::kCommitments);
}

TEST(DkgByzantine, DealerEquivocatingInR1IsProven) {
  Sim sim(params(), 1, net());
  // Receivers 2 and 3 get a chunk whose ciphertext for receiver 1 differs (they cannot see it); receiver 1
  // gets the original. The R2 roots differ; relayed manifests prove the equivocation.
  sim.set_rewrite(corrupt_chunk(0, [](DealChunk& c, const Root&) { c.ciphertexts[1][0] ^= 1; }, std::set<std::uint32_t>{2, 3},
                                kN));
  run(sim);
  expect_failure(sim, except(0), FailureCode::kEquivocation, 0);
}

TEST(DkgByzantine, ChunkNotListedInTheManifestIsEquivocation) {
  Sim sim(params(), 1, net());
  constexpr std::uint32_t kDealer = 3;
  sim.set_rewrite([](std::uint32_t node, std::vector<Outgoing>& msgs) {
    if (node != kDealer) return;
    for (auto& m : msgs) {
      auto d = decode_envelope(m.bytes);
      if (!d || d->envelope.kind != static_cast<std::uint8_t>(Kind::kDealChunk)) continue;
      std::get<DealChunk>(d->payload).ciphertexts[0][3] ^= 1;  // the manifest is left as it was
      m.bytes = resign(*d, kDealer);
    }
  });
  run(sim);
  expect_failure(sim, except(kDealer), FailureCode::kEquivocation, kDealer);
}

TEST(DkgByzantine, FalseComplaintIsBlamedOnTheComplainer) {
  Sim sim(params(), 1, net());
  constexpr std::uint32_t kLiar = 3;
  const Params p = sim.params();
  sim.set_rewrite(rewrite_payload<Verdict>(kLiar, Kind::kVerdict, [p](Verdict& v) {
    v.complaints.push_back(Complaint{0, 1, static_cast<std::uint8_t>(DealCheck::kFeldman)});
    const auto e = ephemeral(p, kLiar).to_bytes_be();
    v.revealed_key.assign(e.begin(), e.end());
  }));
  run(sim);
  expect_failure(sim, except(kLiar), FailureCode::kFalseComplaint, kLiar);
}

TEST(DkgByzantine, ComplaintWithAWrongRevealedKeyIsFalse) {
  Sim sim(params(), 1, net());
  constexpr std::uint32_t kLiar = 2;
  sim.set_rewrite(rewrite_payload<Verdict>(kLiar, Kind::kVerdict, [](Verdict& v) {
    v.complaints.push_back(Complaint{1, 0, static_cast<std::uint8_t>(DealCheck::kDecrypt)});
    const auto e = Fr::from_u64(12345).to_bytes_be();
    v.revealed_key.assign(e.begin(), e.end());
  }));
  run(sim);
  expect_failure(sim, except(kLiar), FailureCode::kFalseComplaint, kLiar);
}

TEST(DkgByzantine, BadPartialSignatureInR3) {
  Sim sim(params(), 1, net());
  // Participant 0 is among the first t receivers whose partials are recombined.
  sim.set_rewrite(rewrite_payload<SignChunk>(0, Kind::kSign, [](SignChunk& s) {
    if (s.chunk == 1) s.partials[0] = crypto::bls::G2::generator().to_compressed();
  }));
  run(sim);
  expect_failure(sim, except(0), FailureCode::kBadPartial, 0);
  for (auto i : except(0)) EXPECT_EQ(sim.node(i).failure->validator, 2u);
}

TEST(DkgByzantine, InvalidPointAsPartialInR3) {
  Sim sim(params(), 1, net());
  sim.set_rewrite(rewrite_payload<SignChunk>(1, Kind::kSign, [](SignChunk& s) { s.partials[0][5] ^= 0x40; }));
  run(sim);
  expect_failure(sim, except(1), FailureCode::kBadPartial, 1);
}

TEST(DkgByzantine, BadPartialSignatureInR4) {
  Sim sim(params(), 1, net());
  sim.set_rewrite(rewrite_payload<LockChunk>(3, Kind::kLock, [](LockChunk& l) {
    if (l.chunk == 0) l.partials[1] = crypto::bls::G2::generator().to_compressed();
  }));
  run(sim);
  expect_failure(sim, except(3), FailureCode::kBadPartial, 3);
  for (auto i : except(3)) EXPECT_EQ(sim.node(i).failure->validator, 1u);
}

TEST(DkgByzantine, BadNodeSignatureInR4) {
  Sim sim(params(), 1, net());
  sim.set_rewrite(rewrite_payload<LockChunk>(2, Kind::kLock, [](LockChunk& l) { l.node_signature[10] ^= 1; }));
  run(sim);
  expect_failure(sim, except(2), FailureCode::kBadPartial, 2);
}

TEST(DkgByzantine, OtherLockHashIsALockMismatch) {
  Sim sim(params(), 1, net());
  sim.set_rewrite(rewrite_payload<LockChunk>(1, Kind::kLock, [](LockChunk& l) { l.lock_hash[0] ^= 1; }));
  run(sim);
  expect_failure(sim, except(1), FailureCode::kLockMismatch, 1);
}

TEST(DkgByzantine, OtherArtifactsInR5AreALockMismatch) {
  Sim sim(params(), 1, net());
  sim.set_rewrite(rewrite_payload<Done>(2, Kind::kDone, [](Done& d) { d.artifacts[0][0] ^= 1; }));
  run(sim);
  expect_failure(sim, except(2), FailureCode::kLockMismatch, 2);
}

TEST(DkgByzantine, EquivocatingR0WithTheSameNonce) {
  Sim sim(params(), 1, net());
  // Participant 3 sends participant 0 a different (validly signed) R0: the sessions diverge, the probe for
  // R0 views relays the other version, and the two R0s prove the equivocation.
  sim.set_rewrite([](std::uint32_t node, std::vector<Outgoing>& msgs) {
    if (node != 3) return;
    std::vector<Outgoing> out;
    for (auto& m : msgs) {
      auto d = decode_envelope(m.bytes);
      if (!d || d->envelope.kind != static_cast<std::uint8_t>(Kind::kHello) || m.to) {
        out.push_back(m);
        continue;
      }
      std::get<Hello>(d->payload).preflight_detail.push_back('x');
      out.push_back(Outgoing{0, resign(*d, 3)});
      out.push_back(Outgoing{1, m.bytes});
      out.push_back(Outgoing{2, m.bytes});
    }
    msgs = std::move(out);
  });
  run(sim);
  expect_failure(sim, {0, 1, 2}, FailureCode::kEquivocation, 3);
}

TEST(DkgR0, PreflightFailureIsNamed) {
  Sim sim(params(), 1, net());
  sim.local(2).preflight = 1;
  sim.local(2).preflight_detail = "validator_keys/ exists in the data directory";
  run(sim);
  expect_failure(sim, kAll, FailureCode::kPreflight, 2);
  EXPECT_NE(sim.node(0).failure->cause.find("validator_keys/"), std::string::npos);
}

TEST(DkgR0, OtherDefinitionIsNamed) {
  Sim sim(params(), 1, net());
  sim.set_rewrite(rewrite_payload<Hello>(3, Kind::kHello, [](Hello& h) { h.params_hash[0] ^= 1; }));
  run(sim);
  expect_failure(sim, {0, 1, 2}, FailureCode::kDefinition, 3);
}

TEST(DkgR0, OtherVersionIsNamed) {
  Sim sim(params(), 1, net());
  sim.set_rewrite([](std::uint32_t node, std::vector<Outgoing>& msgs) {
    if (node != 1) return;
    for (auto& m : msgs) m.bytes[0] = 2;  // version 2, same envelope layout
  });
  run(sim);
  expect_failure(sim, {0, 2, 3}, FailureCode::kVersion, 1);
}

TEST(DkgTimeouts, MissingParticipantIsAConnectTimeout) {
  Sim sim(params(), 1, net());
  for (std::uint32_t i = 0; i < 3; ++i) sim.start(i);
  sim.run(700 * kSecond);
  for (std::uint32_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(sim.node(i).failure.has_value());
    EXPECT_EQ(sim.node(i).failure->code, FailureCode::kConnectTimeout);
    EXPECT_EQ(sim.node(i).failure->operators, std::vector<std::uint32_t>{3});
  }
}

TEST(DkgTimeouts, SilentParticipantIsARoundTimeout) {
  Sim sim(params(), 1, net());
  bool crashed = false;
  sim.set_observer([&](std::uint32_t node) {
    if (node == 2 && !crashed && sim.node(2).ceremony && sim.node(2).ceremony->round() == Round::kVerdict) {
      crashed = true;
      sim.crash(2);
    }
  });
  sim.start_all();
  sim.run(1000 * kSecond);
  for (auto i : {0u, 1u, 3u}) {
    ASSERT_TRUE(sim.node(i).failure.has_value()) << i;
    EXPECT_EQ(sim.node(i).failure->code, FailureCode::kRoundTimeout) << sim.node(i).failure->cause;
    EXPECT_EQ(sim.node(i).failure->operators, std::vector<std::uint32_t>{2});
  }
}

TEST(DkgReplay, MessagesOfAnotherSessionAreRejected) {
  // Run one ceremony, then replay its R1 messages into a fresh one (other seeds): wrong session, no effect.
  Sim old(params(), 1, net());
  std::vector<Bytes> r1;
  old.set_rewrite([&](std::uint32_t node, std::vector<Outgoing>& msgs) {
    for (const auto& m : msgs) {
      auto d = decode_envelope(m.bytes);
      if (node == 1 && d && round_of(static_cast<Kind>(d->envelope.kind)) == 1) r1.push_back(m.bytes);
    }
  });
  run(old);
  expect_success(old);
  ASSERT_FALSE(r1.empty());
  Sim fresh(params(), 1, net());
  for (std::uint32_t i = 0; i < kN; ++i) fresh.node(i).run = 5;
  std::vector<Reject> rejects;
  fresh.set_observer([&](std::uint32_t node) {
    auto& c = fresh.node(node).ceremony;
    if (node != 2 || !rejects.empty() || !c || c->round() != Round::kDeal) return;
    for (const auto& b : r1) {
      Outbox o = c->on_message(1, b, fresh.now());
      EXPECT_FALSE(o.failure.has_value());
      EXPECT_TRUE(o.journal.empty());
      if (o.rejected) rejects.push_back(*o.rejected);
    }
  });
  run(fresh);
  expect_success(fresh);
  ASSERT_EQ(rejects.size(), r1.size());
  for (auto r : rejects) EXPECT_EQ(r, Reject::kWrongSession);
}
