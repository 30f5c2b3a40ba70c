// Offline verification of transcripts and evidence: what passes, and that tampering is caught.
#include "dkg/transcript.hpp"

#include <gtest/gtest.h>

#include "dkg/ceremony_sim_test.hpp"

using namespace phx;
using namespace phx::dkg;
using namespace phx::dkg::test;

namespace {

struct Finished {
  Sim sim{dkg_params(4, 3, 3, 2, 1), 1};
  Bytes transcript;
  Finished() {
    sim.start_all();
    sim.run();
    transcript = sim.node(2).ceremony->transcript();
  }
};

Finished& finished() {
  static Finished f;
  return f;
}

// Applies `edit` to the first transcript envelope of `kind` and re-encodes the transcript.
Bytes edit_transcript(const Bytes& tr, Kind kind, const std::function<void(Decoded&, Bytes&)>& edit) {
  auto t = ssz::deserialize<Transcript>(tr);
  EXPECT_TRUE(t.has_value());
  for (auto& e : t->envelopes) {
    auto d = decode_redacted_envelope(e, nullptr);
    if (!d || d->envelope.kind != static_cast<std::uint8_t>(kind)) continue;
    Bytes b(e.begin(), e.end());
    edit(*d, b);
    e = EnvelopeBytes(b);
    break;
  }
  return ssz::serialize(*t);
}

}  // namespace

TEST(DkgTranscript, VerifiesAndIsSmallerThanTheTraffic) {
  auto& f = finished();
  auto out = verify_transcript(f.sim.params(), f.transcript);
  ASSERT_TRUE(out.has_value()) << out.error();
  EXPECT_TRUE(out->has_done);
  EXPECT_EQ(out->pubkeys.size(), 3u);
  EXPECT_EQ(out->node_signatures.size(), 4u);
  // Every node holds the same transcript.
  for (std::uint32_t i = 0; i < 4; ++i) EXPECT_EQ(f.sim.node(i).ceremony->transcript(), f.transcript);
}

TEST(DkgTranscript, RejectsOtherParameters) {
  auto& f = finished();
  Params p = f.sim.params();
  p.threshold = 2;
  EXPECT_FALSE(verify_transcript(p, f.transcript).has_value());
  p = f.sim.params();
  p.definition_hash[0] ^= 1;
  EXPECT_FALSE(verify_transcript(p, f.transcript).has_value());
}

TEST(DkgTranscript, RejectsAnUnsignedChange) {
  auto& f = finished();
  const Bytes bad = edit_transcript(f.transcript, Kind::kDealChunk, [](Decoded&, Bytes& b) { b[b.size() - 40] ^= 1; });
  auto r = verify_transcript(f.sim.params(), bad);
  ASSERT_FALSE(r.has_value());
}

TEST(DkgTranscript, RejectsAResignedBadLockPartial) {
  auto& f = finished();
  const Bytes bad = edit_transcript(f.transcript, Kind::kLock, [](Decoded& d, Bytes& b) {
    std::get<LockChunk>(d.payload).partials[0] = crypto::bls::G2::generator().to_compressed();
    b = resign(d, d.envelope.sender);
  });
  auto r = verify_transcript(f.sim.params(), bad);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().find("aggregate"), std::string::npos) << r.error();
}

TEST(DkgTranscript, RejectsAResignedVerdictWithOtherRoots) {
  auto& f = finished();
  const Bytes bad = edit_transcript(f.transcript, Kind::kVerdict, [](Decoded& d, Bytes& b) {
    std::get<Verdict>(d.payload).deal_roots[1][0] ^= 1;
    b = resign(d, d.envelope.sender);
  });
  auto r = verify_transcript(f.sim.params(), bad);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().find("other R1"), std::string::npos) << r.error();
}

TEST(DkgTranscript, RejectsAMissingMessageAndGarbage) {
  auto& f = finished();
  auto t = ssz::deserialize<Transcript>(f.transcript);
  ASSERT_TRUE(t.has_value());
  t->envelopes.erase(t->envelopes.begin());
  EXPECT_FALSE(verify_transcript(f.sim.params(), ssz::serialize(*t)).has_value());
  EXPECT_FALSE(verify_transcript(f.sim.params(), Bytes{1, 2, 3}).has_value());
}

TEST(DkgEvidence, TamperedOrForeignEvidenceDoesNotCheck) {
  Sim sim(dkg_params(4, 3, 3, 2, 1), 1);
  sim.set_rewrite(corrupt_chunk(3, [](DealChunk& c, const Root&) { c.validators[0].pok_z[31] ^= 1; }));
  sim.start_all();
  sim.run();
  const auto& f = sim.node(0).failure;
  ASSERT_TRUE(f.has_value());
  ASSERT_EQ(f->code, FailureCode::kBadDeal);
  auto ok = verify_evidence(sim.params(), sim.verifier(), f->evidence);
  ASSERT_TRUE(ok.has_value()) << ok.error();
  EXPECT_EQ(ok->operators.front(), 3u);
  EXPECT_EQ(ok->check, DealCheck::kPok);
  // A flipped byte inside a signed envelope.
  Bytes bad = f->evidence;
  bad[bad.size() - 100] ^= 1;
  EXPECT_FALSE(verify_evidence(sim.params(), sim.verifier(), bad).has_value());
  // Blaming someone else with the same messages.
  auto ev = ssz::deserialize<Evidence>(f->evidence);
  ASSERT_TRUE(ev.has_value());
  ev->culprit = 1;
  EXPECT_FALSE(verify_evidence(sim.params(), sim.verifier(), ssz::serialize(*ev)).has_value());
  // Another ceremony's parameters.
  Params other = sim.params();
  other.validators = 4;
  EXPECT_FALSE(verify_evidence(other, sim.verifier(), f->evidence).has_value());
  EXPECT_FALSE(verify_evidence(sim.params(), sim.verifier(), Bytes{0}).has_value());
}
