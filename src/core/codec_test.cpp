// Wire encodings of the duty workflow: round trips for every kind and fork, canonical bytes, and refusal of
// malformed peer bytes with the reason.
#include "core/codec.hpp"

#include <gtest/gtest.h>

#include "crypto/bls/bls.hpp"
#include "ssz/merkle.hpp"

namespace phx::core {
namespace {

namespace bls = crypto::bls;

PubKey pk(std::uint8_t b) {
  PubKey p{};
  p[0] = b;
  return p;
}

eth::phase0::AttestationData att(std::uint64_t slot) {
  eth::phase0::AttestationData d{};
  d.slot = Slot{slot};
  d.index = 3;
  d.beacon_block_root[1] = 9;
  d.target.epoch = Epoch{slot / 32};
  return d;
}

/// The error of a decoding result, kOk when it decoded (never calls error() on a value).
template <class R>
std::error_code err(const R& r) {
  return r.has_value() ? std::error_code(CodecError::kOk) : r.error();
}

bls::Signature sig(std::uint8_t seed) {
  ByteArray<32> ikm{};
  ikm.fill(seed);
  auto sk = bls::SecretKey::keygen(ikm);
  Root r{};
  r[0] = seed;
  return sk->sign(r);
}

TEST(CoreCodec, DutyRoundTripsAndRejectsBadBytes) {
  const Duty d{Slot{123456789}, DutyType::kSyncContribution, 3};
  const Bytes b = encode_duty(d);
  ASSERT_EQ(b.size(), 10u);
  EXPECT_EQ(*decode_duty(b), d);
  Bytes bad = b;
  bad[8] = 0;
  EXPECT_EQ(err(decode_duty(bad)), CodecError::kBadDutyType);
  bad[8] = kDutyTypeCount + 1;
  EXPECT_EQ(err(decode_duty(bad)), CodecError::kBadDutyType);
  EXPECT_EQ(err(decode_duty(ByteSpan(b).first(8))), CodecError::kTruncated);
  EXPECT_EQ(err(decode_duty(ByteSpan(b).first(9))), CodecError::kTruncated);
  Bytes longer = b;
  longer.push_back(0);
  EXPECT_EQ(err(decode_duty(longer)), CodecError::kTrailing);
}

TEST(CoreCodec, UnsignedSetsOfEveryKindRoundTripCanonically) {
  std::vector<std::pair<DutyType, UnsignedDataSet>> cases;
  cases.push_back({DutyType::kAttester, {{pk(1), AttesterData{att(64), 3}}, {pk(2), AttesterData{att(64), 5}}}});
  eth::altair::BeaconBlock ab{};
  ab.slot = Slot{7};
  ab.body.graffiti[0] = 1;
  eth::deneb::BlockContents dc{};
  dc.block.slot = Slot{8};
  dc.kzg_proofs.push_back({});
  cases.push_back({DutyType::kProposer,
                   {{pk(1), ProposalData{eth::VersionedProducedBlock::make<eth::Fork::kAltair>(ab)}}}});
  cases.push_back({DutyType::kProposer,
                   {{pk(4), ProposalData{eth::VersionedProducedBlock::make<eth::Fork::kDeneb>(dc)}}}});
  eth::fulu::BlindedBeaconBlock fb{};
  fb.slot = Slot{9};
  cases.push_back({DutyType::kBuilderProposer,
                   {{pk(1), BlindedProposalData{eth::VersionedBlindedBeaconBlock::make<eth::Fork::kFulu>(fb)}}}});
  eth::phase0::Attestation pa{};
  pa.data = att(10);
  pa.aggregation_bits = ssz::Bitlist<2048>(5);
  pa.aggregation_bits.set(2, true);
  eth::electra::Attestation ea{};
  ea.data = att(11);
  ea.committee_bits.set(1, true);
  cases.push_back({DutyType::kAggregator,
                   {{pk(1), AggregatedAttestationData{eth::VersionedAttestation::make<eth::Fork::kCapella>(pa)}},
                    {pk(2), AggregatedAttestationData{eth::VersionedAttestation::make<eth::Fork::kElectra>(ea)}}}});
  SyncBlockRootData sr{};
  sr.beacon_block_root[31] = 4;
  cases.push_back({DutyType::kSyncMessage, {{pk(3), sr}}});
  SyncContributionData sc{};
  sc.contribution.slot = Slot{12};
  sc.contribution.subcommittee_index = 2;
  cases.push_back({DutyType::kSyncContribution, {{pk(3), sc}}});
  for (const auto& [type, set] : cases) {
    const Bytes b = encode_unsigned_set(set);
    auto back = decode_unsigned_set(type, b);
    ASSERT_TRUE(back.has_value()) << to_string(type) << ": " << back.error().message();
    EXPECT_EQ(*back, set);
    EXPECT_EQ(encode_unsigned_set(*back), b);
    EXPECT_EQ(hash_of(*back), hash_of(set));
    // The same bytes under another duty type are refused.
    const DutyType other = type == DutyType::kAttester ? DutyType::kSyncMessage : DutyType::kAttester;
    EXPECT_EQ(err(decode_unsigned_set(other, b)), CodecError::kBadKind);
    // Every truncation is refused, never a crash.
    for (std::size_t n = 0; n < b.size(); n += 1 + b.size() / 64)
      EXPECT_FALSE(decode_unsigned_set(type, ByteSpan(b).first(n)).has_value());
  }
}

TEST(CoreCodec, UnsignedSetRejectsMalformedPeerBytes) {
  const UnsignedDataSet set{{pk(1), AttesterData{att(64), 3}}, {pk(2), AttesterData{att(64), 3}}};
  const Bytes b = encode_unsigned_set(set);
  // Swap the two pubkeys' first byte: no longer ascending.
  Bytes swapped = b;
  const std::size_t entry = 48 + 2 + 4 + 8 + 128;  // pubkey, kind, fork, length, payload
  swapped[4] = 2;
  swapped[4 + entry] = 1;
  EXPECT_EQ(err(decode_unsigned_set(DutyType::kAttester, swapped)), CodecError::kNotCanonical);
  Bytes dup = b;
  dup[4 + entry] = 1;
  EXPECT_EQ(err(decode_unsigned_set(DutyType::kAttester, dup)), CodecError::kNotCanonical);
  Bytes kind = b;
  kind[4 + 48] = 17;
  EXPECT_EQ(err(decode_unsigned_set(DutyType::kAttester, kind)), CodecError::kBadKind);
  Bytes fork = b;
  fork[4 + 48 + 1] = 1;
  EXPECT_EQ(err(decode_unsigned_set(DutyType::kAttester, fork)), CodecError::kBadFork);
  Bytes trailing = b;
  trailing.push_back(0);
  EXPECT_EQ(err(decode_unsigned_set(DutyType::kAttester, trailing)), CodecError::kTrailing);
  Bytes many = b;
  many[3] = 0xff;
  EXPECT_EQ(err(decode_unsigned_set(DutyType::kAttester, many)), CodecError::kTooMany);
  CodecLimits small;
  small.max_item_bytes = 100;
  EXPECT_EQ(err(decode_unsigned_set(DutyType::kAttester, b, small)), CodecError::kTooLarge);
  // A blinded block claimed for phase0 (no such family) is refused.
  eth::bellatrix::BlindedBeaconBlock bb{};
  const UnsignedDataSet blinded{
      {pk(1), BlindedProposalData{eth::VersionedBlindedBeaconBlock::make<eth::Fork::kBellatrix>(bb)}}};
  Bytes bl = encode_unsigned_set(blinded);
  bl[4 + 48 + 1] = 0;
  EXPECT_FALSE(decode_unsigned_set(DutyType::kBuilderProposer, bl).has_value());
}

TEST(CoreCodec, PartialBatchesRoundTripAndRejectBadSignaturesAndShares) {
  const Duty duty{Slot{100}, DutyType::kRandao};
  std::vector<std::pair<PubKey, ParSignedData>> batch;
  batch.push_back({pk(9), ParSignedData{SignedData{RandaoMessage{Epoch{3}}, sig(1)}, ShareIdx{2}}});
  batch.push_back({pk(4), ParSignedData{SignedData{RandaoMessage{Epoch{3}}, sig(2)}, ShareIdx{2}}});
  const Bytes b = encode_partials(duty, batch);
  auto back = decode_partials(b);
  ASSERT_TRUE(back.has_value()) << back.error().message();
  EXPECT_EQ(back->first, duty);
  ASSERT_EQ(back->second.size(), 2u);
  EXPECT_EQ(back->second[0].first, pk(4));  // canonical order
  EXPECT_TRUE(back->second[0].second.data.signature == sig(2));
  EXPECT_TRUE(same_message(back->second[1].second.data.message, SignedMessage{RandaoMessage{Epoch{3}}}));
  // Every message kind round trips.
  std::vector<std::pair<Duty, SignedMessage>> kinds = {
      {{Slot{1}, DutyType::kAttester}, att(1)},
      {{Slot{1}, DutyType::kProposer},
       eth::VersionedBeaconBlock::make<eth::Fork::kPhase0>(eth::phase0::BeaconBlock{})},
      {{Slot{1}, DutyType::kBuilderProposer},
       eth::VersionedBlindedBeaconBlock::make<eth::Fork::kDeneb>(eth::deneb::BlindedBeaconBlock{})},
      {{Slot{1}, DutyType::kPrepareAggregator}, SelectionProofMessage{Slot{1}}},
      {{Slot{1}, DutyType::kAggregator},
       eth::VersionedAggregateAndProof::make<eth::Fork::kElectra>(eth::electra::AggregateAndProof{})},
      {{Slot{1}, DutyType::kSyncMessage}, SyncMessage{Slot{1}, Root{}}},
      {{Slot{1}, DutyType::kPrepareSyncContribution}, eth::altair::SyncAggregatorSelectionData{}},
      {{Slot{1}, DutyType::kSyncContribution}, eth::altair::ContributionAndProof{}},
      {{Slot{1}, DutyType::kBuilderRegistration}, eth::phase0::ValidatorRegistrationV1{}},
      {{Slot{1}, DutyType::kExit}, ExitMessage{eth::phase0::VoluntaryExit{Epoch{5}, ValidatorIndex{6}}, Epoch{7}}},
  };
  for (const auto& [d, m] : kinds) {
    std::vector<std::pair<PubKey, ParSignedData>> one{{pk(1), ParSignedData{SignedData{m, sig(3)}, ShareIdx{1}}}};
    auto r = decode_partials(encode_partials(d, one));
    ASSERT_TRUE(r.has_value()) << to_string(d) << ": " << r.error().message();
    EXPECT_TRUE(same_message(r->second[0].second.data.message, m)) << to_string(d);
  }
  // Bad signature bytes, share 0, kind of another duty.
  Bytes bad_sig = b;
  bad_sig[10 + 4 + 48 + 4] ^= 0x40;  // set the infinity flag on a non-zero point: not an encoding
  EXPECT_EQ(err(decode_partials(bad_sig)), CodecError::kBadSignature);
  Bytes zero_share = b;
  std::fill(zero_share.begin() + 10 + 4 + 48, zero_share.begin() + 10 + 4 + 52, 0);
  EXPECT_EQ(err(decode_partials(zero_share)), CodecError::kBadShare);
  Bytes wrong_duty = b;
  wrong_duty[8] = static_cast<std::uint8_t>(DutyType::kAttester);
  EXPECT_EQ(err(decode_partials(wrong_duty)), CodecError::kBadKind);
}

}  // namespace
}  // namespace phx::core
