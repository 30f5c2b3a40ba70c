// Wire-format tests: round trips, strict decoding, bounds, transcript redaction keeping the signed root.
#include "dkg/messages.hpp"

#include <gtest/gtest.h>

#include "crypto/bls/g1.hpp"

using namespace phx;
using namespace phx::dkg;

namespace {

DealChunk sample_chunk() {
  DealChunk c;
  c.chunk = 3;
  for (int v = 0; v < 2; ++v) {
    ValidatorDeal vd;
    for (int k = 0; k < 3; ++k) vd.commitments.push_back(crypto::bls::G1::generator().to_compressed());
    vd.pok_r = crypto::bls::G1::generator().to_compressed();
    vd.pok_z[31] = 7;
    c.validators.push_back(vd);
  }
  for (int r = 0; r < 4; ++r) c.ciphertexts.push_back(Ciphertext(Bytes(2 * 32 + 16, static_cast<std::uint8_t>(r))));
  return c;
}

Bytes envelope_of(const Payload& p, std::uint32_t sender = 1) {
  Envelope e;
  e.kind = static_cast<std::uint8_t>(kind_of(p));
  e.sender = sender;
  e.session.fill(9);
  e.payload = ssz::ByteList<kMaxPayloadBytes>(encode_payload(p));
  e.signature.fill(1);
  return encode_envelope(e);
}

}  // namespace

TEST(DkgMessages, EveryKindRoundTrips) {
  Hello h;
  h.nonce.fill(1);
  h.preflight_detail.assign({'o', 'k'});
  DealManifest m;
  m.chunk_roots.push_back(Root{});
  m.commitment_roots.push_back(Root{});
  Verdict v;
  v.deal_roots.push_back(Root{});
  v.complaints.push_back(Complaint{1, 2, 4});
  SignChunk s;
  s.partials.push_back(G2Bytes{});
  LockChunk l;
  l.chunk = 2;
  Done d;
  d.artifacts.push_back(Root{});
  Request r;
  r.wanted.push_back(MessageSlot{0x11, 2, kAllParts});
  Evidence ev;
  ev.code = 7;
  ev.envelopes.push_back(EnvelopeBytes(Bytes{1, 2}));
  for (const Payload& p : std::vector<Payload>{h, m, sample_chunk(), v, s, l, d, r, ev}) {
    const Bytes b = envelope_of(p);
    auto dec = decode_envelope(b);
    ASSERT_TRUE(dec.has_value()) << to_string(kind_of(p));
    EXPECT_EQ(dec->payload, p);
    EXPECT_EQ(dec->payload_root, payload_root(p));
    EXPECT_EQ(encode_envelope(dec->envelope), b);  // canonical
  }
}

TEST(DkgMessages, SlotsNameChunks) {
  auto d = decode_envelope(envelope_of(sample_chunk(), 2));
  ASSERT_TRUE(d.has_value());
  const MessageSlot s = slot_of(*d);
  EXPECT_EQ(s.kind, 0x11);
  EXPECT_EQ(s.sender, 2u);
  EXPECT_EQ(s.part, 3u);
}

TEST(DkgMessages, DecodersAreStrict) {
  const Bytes b = envelope_of(sample_chunk());
  // Shorter than the fixed part.
  EXPECT_EQ(decode_envelope(ByteSpan(b).first(100)).error(), DecodeError::kSsz);
  EXPECT_FALSE(decode_envelope(Bytes{}).has_value());
  // The payload offset (after version 2, kind 1, sender 4, session 32) pointing past the end.
  Bytes bad = b;
  bad[39] = 0xff;
  bad[40] = 0xff;
  EXPECT_EQ(decode_envelope(bad).error(), DecodeError::kSsz);
  // A payload offset into the fixed part.
  bad = b;
  bad[39] = 4;
  bad[40] = bad[41] = bad[42] = 0;
  EXPECT_EQ(decode_envelope(bad).error(), DecodeError::kSsz);
  // Trailing bytes land in the last variable field (SSZ cannot tell), which changes the payload root, so the
  // sender's signature no longer matches: the ceremony rejects it as a bad signature.
  Bytes longer = b;
  longer.push_back(0);
  auto d1 = decode_envelope(b), d2 = decode_envelope(longer);
  ASSERT_TRUE(d1.has_value());
  if (d2) {
    EXPECT_NE(d1->payload_root, d2->payload_root);
  }
  // Unknown kind.
  Envelope e;
  e.kind = 0x12;
  EXPECT_EQ(decode_envelope(encode_envelope(e)).error(), DecodeError::kBadKind);
  // Another version with the same layout.
  e.kind = 0;
  e.version = 2;
  EXPECT_EQ(decode_envelope(encode_envelope(e)).error(), DecodeError::kBadVersion);
  // More commitments than kMaxOperators.
  DealChunk c = sample_chunk();
  for (int i = 0; i < 70; ++i) c.validators[0].commitments.push_back(G1Bytes{});
  EXPECT_EQ(decode_envelope(envelope_of(c)).error(), DecodeError::kSsz);
  // A payload that is not a Hello under the Hello kind.
  Envelope h;
  h.kind = 0;
  h.payload = ssz::ByteList<kMaxPayloadBytes>(Bytes{1, 2, 3});
  EXPECT_EQ(decode_envelope(encode_envelope(h)).error(), DecodeError::kSsz);
}

TEST(DkgMessages, RedactionKeepsThePayloadRoot) {
  const DealChunk c = sample_chunk();
  auto d = decode_envelope(envelope_of(c));
  ASSERT_TRUE(d.has_value());
  const Bytes red = redact_envelope(*d);
  EXPECT_LT(red.size(), envelope_of(c).size());
  ssz::List<Root, kMaxOperators> roots;
  auto r = decode_redacted_envelope(red, &roots);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->payload_root, d->payload_root);  // the dealer's signature still verifies
  ASSERT_EQ(roots.size(), c.ciphertexts.size());
  EXPECT_EQ(roots[1], ssz::hash_tree_root(c.ciphertexts[1]));
  EXPECT_EQ(std::get<DealChunk>(r->payload).validators, c.validators);
  EXPECT_EQ(r->envelope.signature, d->envelope.signature);
}

TEST(DkgMessages, SigningDigestBindsEveryField) {
  Root s{}, root{};
  const Root base = signing_digest(s, Kind::kVerdict, 1, root);
  Root s2 = s;
  s2[0] = 1;
  Root root2 = root;
  root2[31] = 1;
  EXPECT_NE(base, signing_digest(s2, Kind::kVerdict, 1, root));
  EXPECT_NE(base, signing_digest(s, Kind::kSign, 1, root));
  EXPECT_NE(base, signing_digest(s, Kind::kVerdict, 2, root));
  EXPECT_NE(base, signing_digest(s, Kind::kVerdict, 1, root2));
}
