// Beacon simulator at scale: bulk validator lookups, and a cluster placed in a larger simulated validator set.
#include "sim/sim_test_env.hpp"

namespace phx::sim {
namespace {

TEST(BeaconSimScale, BulkValidatorLookupAnswersEveryKnownKeyOnceInSetOrder) {
  Env env;
  BeaconSim sim(env.config(eth::Fork::kFulu), env.clock);
  std::vector<eth::BLSPubkey> ask;
  // Reversed, repeated, and with a key the simulator does not know.
  for (std::size_t i = env.keys.size(); i-- > 0;) ask.push_back(env.keys[i].public_key().to_bytes());
  ask.push_back(env.keys[1].public_key().to_bytes());
  eth::BLSPubkey unknown{};
  unknown[0] = 0xa0;
  ask.push_back(unknown);
  with_client(sim, [&](BeaconNodeClient& client) -> Task<void> {
    auto r = co_await client.validators_by_pubkey("head", ask);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
    if (!r) co_return;
    EXPECT_EQ(r->size(), env.keys.size());
    for (std::size_t i = 0; i < r->size(); ++i) {
      EXPECT_EQ((*r)[i].index, ValidatorIndex{kFirstIndex + i});
      EXPECT_EQ((*r)[i].validator.pubkey, env.keys[i].public_key().to_bytes());
    }
  });
}

TEST(BeaconSimScale, CommitteesPerSlotFollowTheSpec) {
  EXPECT_EQ(committees_per_slot_for(1'000, 32), 1u);
  EXPECT_EQ(committees_per_slot_for(10'000, 32), 2u);
  EXPECT_EQ(committees_per_slot_for(100'000, 32), 24u);
  EXPECT_EQ(committees_per_slot_for(1'000'000, 32), 64u);  // MAX_COMMITTEES_PER_SLOT
}

TEST(BeaconSimScale, StandInsFillCommitteesProposalsAndSyncPositions) {
  Env env;
  auto cfg = env.config(eth::Fork::kElectra);
  cfg.total_validators = 1'000'000;
  cfg.committees_per_slot = committees_per_slot_for(cfg.total_validators, cfg.chain.slots_per_epoch);
  BeaconSim sim(cfg, env.clock);
  const auto& chain = sim.config().chain;

  // Committees have the length of a million-validator chain: 1,000,000 / (32 × 64) members.
  auto duties = sim.attester_duties(Epoch{1}, env.indices());
  ASSERT_EQ(duties.size(), env.keys.size());
  for (const auto& d : duties) {
    EXPECT_EQ(d.committee_length, 1'000'000u / (32u * 64u));
    EXPECT_EQ(d.committees_at_slot, 64u);
    EXPECT_LT(d.validator_committee_index, d.committee_length);
  }

  // Proposers are drawn from the whole set: stand-ins get keys that are no configured key.
  std::uint64_t ours = 0;
  for (std::uint64_t e = 1; e < 4; ++e) {
    for (const auto& p : sim.proposer_duties(Epoch{e})) {
      const bool configured = p.validator_index.value >= kFirstIndex && p.validator_index.value < kFirstIndex + 4;
      if (configured) {
        ++ours;
        EXPECT_EQ(p.pubkey, env.key(p.validator_index).public_key().to_bytes());
      } else {
        EXPECT_NE(p.pubkey[0] & 0x80, 0);
        for (const auto& k : env.keys) EXPECT_NE(p.pubkey, k.public_key().to_bytes());
      }
    }
  }
  EXPECT_EQ(sim.expected_duties(Slot{32}, Slot{128}).proposals, ours);

  // A stand-in's slot cannot be produced (no key signs its RANDAO reveal).
  auto randao = env.keys[0].sign(eth::randao_signing_root(chain, Epoch{1})).to_bytes();
  for (std::uint64_t s = 33; s < 64; ++s) {
    const auto idx = sim.proposer_duties(Epoch{1})[s % 32].validator_index;
    if (idx.value >= kFirstIndex && idx.value < kFirstIndex + 4) continue;
    EXPECT_FALSE(sim.produce_block(Slot{s}, randao, Root{}).has_value());
    break;
  }

  // Sync committee: 512 positions of a million validators; the four configured ones are rarely in it, and the
  // expected sync messages count configured members only.
  auto committee = sim.sync_committee(Epoch{1});
  ASSERT_EQ(committee.size(), eth::preset::kSyncCommitteeSize);
  std::set<ValidatorIndex> configured_members;
  for (auto v : committee)
    if (v.value >= kFirstIndex && v.value < kFirstIndex + 4) configured_members.insert(v);
  EXPECT_EQ(sim.sync_committee_duties(Epoch{1}, env.indices()).size(), configured_members.size());
  EXPECT_EQ(sim.expected_duties(Slot{32}, Slot{33}).sync_messages, configured_members.size());

  // Attestations of configured validators verify and pool with the long committee's bit length.
  std::vector<eth::electra::SingleAttestation> atts;
  for (const auto& d : duties) {
    auto data = sim.attestation_data(d.slot, d.committee_index);
    atts.push_back({d.committee_index, d.validator_index, data,
                    env.key(d.validator_index).sign(eth::attestation_signing_root(chain, data)).to_bytes()});
  }
  for (const auto& r : sim.submit_attestations(std::span<const eth::electra::SingleAttestation>(atts)))
    EXPECT_TRUE(r.has_value());
  auto agg = sim.aggregate_attestation(duties[0].slot, ssz::hash_tree_root(atts[0].data), duties[0].committee_index);
  ASSERT_TRUE(agg.has_value());
  const auto& att = std::get<static_cast<std::size_t>(eth::Fork::kElectra)>(agg->value);
  EXPECT_EQ(att.aggregation_bits.size(), duties[0].committee_length);
  EXPECT_TRUE(att.aggregation_bits.get(duties[0].validator_committee_index));
}

}  // namespace
}  // namespace phx::sim
