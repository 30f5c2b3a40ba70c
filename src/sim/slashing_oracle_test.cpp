// The beacon simulator's slashing oracle: the slashable pairs of the spec and nothing else, also for messages
// the simulator refuses (a validly signed attestation with other data than its own is on record).
#include "sim/slashing_oracle.hpp"

#include "sim/sim_test_env.hpp"

namespace phx::sim {
namespace {

eth::phase0::AttestationData vote(std::uint64_t source, std::uint64_t target, std::uint8_t head) {
  eth::phase0::AttestationData d{};
  d.slot = Slot{target * 32};
  d.beacon_block_root[0] = head;
  d.source.epoch = Epoch{source};
  d.target.epoch = Epoch{target};
  return d;
}

TEST(SlashingOracle, FlagsDoubleAndSurroundVotesAndDoubleProposalsOnly) {
  SlashingOracle o;
  const ValidatorIndex v{7};
  o.record_attestation(v, vote(2, 3, 1));
  o.record_attestation(v, vote(2, 3, 1));  // the same vote again: fine
  o.record_attestation(v, vote(3, 4, 1));  // the next epoch: fine
  o.record_attestation(ValidatorIndex{8}, vote(2, 3, 2));  // another validator: fine
  EXPECT_TRUE(o.offences().empty());
  o.record_attestation(v, vote(2, 3, 9));  // same target, other data
  ASSERT_EQ(o.offences().size(), 1u);
  EXPECT_EQ(o.offences()[0].kind, SlashableOffence::Kind::kDoubleVote);
  EXPECT_EQ(o.offences()[0].validator, v);
  o.record_attestation(v, vote(1, 5, 1));  // surrounds (2,3) [twice: two votes with target 3] and (3,4)
  EXPECT_EQ(o.offences().size(), 4u);
  o.record_attestation(ValidatorIndex{9}, vote(1, 6, 1));
  o.record_attestation(ValidatorIndex{9}, vote(2, 5, 1));  // surrounded by (1,6)
  ASSERT_EQ(o.offences().size(), 5u);
  EXPECT_EQ(o.offences()[4].kind, SlashableOffence::Kind::kSurroundVote);
  EXPECT_EQ(o.offences()[4].validator, ValidatorIndex{9});
  o.record_attestation(ValidatorIndex{9}, vote(2, 7, 1));  // same source as (2,5), later target: not a surround
  o.record_attestation(ValidatorIndex{9}, vote(6, 8, 1));  // after: fine
  EXPECT_EQ(o.offences().size(), 5u);

  Root a{}, b{};
  a[0] = 1;
  b[0] = 2;
  o.record_block(v, Slot{10}, a);
  o.record_block(v, Slot{10}, a);
  o.record_block(v, Slot{11}, b);
  EXPECT_EQ(o.offences().size(), 5u);
  o.record_block(v, Slot{10}, b);
  ASSERT_EQ(o.offences().size(), 6u);
  EXPECT_EQ(o.offences()[5].kind, SlashableOffence::Kind::kDoubleProposal);
  EXPECT_STREQ(to_string(o.offences()[5].kind), "double_proposal");
}

// A validly signed attestation over other data than the simulator's is refused (kWrongData) but on record; the
// right one for the same duty then makes a double vote. A forged signature puts nothing on record.
TEST(SlashingOracle, SimulatorRecordsRefusedButSignedAttestations) {
  Env env;
  BeaconSim sim(env.config(eth::Fork::kDeneb), env.clock);
  const auto& chain = sim.config().chain;
  const auto duties = sim.attester_duties(Epoch{1}, env.indices());
  ASSERT_FALSE(duties.empty());
  const auto& d = duties.front();
  const auto data = sim.attestation_data(d.slot, d.committee_index);
  auto make = [&](const eth::phase0::AttestationData& x, const bls::SecretKey& sk) {
    eth::phase0::Attestation att{};
    att.aggregation_bits = decltype(att.aggregation_bits)(d.committee_length);
    att.aggregation_bits.set(d.validator_committee_index, true);
    att.data = x;
    att.signature = sk.sign(eth::attestation_signing_root(chain, x)).to_bytes();
    return att;
  };
  auto other = data;
  other.beacon_block_root[0] ^= 0xff;
  const auto& other_key = env.key(ValidatorIndex{kFirstIndex + (d.validator_index.value - kFirstIndex + 1) % 4});
  EXPECT_EQ(why(sim.submit(make(other, other_key))), Reject::kWrongData);  // forged: not on record
  EXPECT_TRUE(sim.slashing_oracle().offences().empty());
  EXPECT_EQ(why(sim.submit(make(other, env.key(d.validator_index)))), Reject::kWrongData);
  EXPECT_TRUE(sim.slashing_oracle().offences().empty());
  EXPECT_TRUE(sim.submit(make(data, env.key(d.validator_index))).has_value());
  ASSERT_EQ(sim.slashing_oracle().offences().size(), 1u);
  EXPECT_EQ(sim.slashing_oracle().offences()[0].kind, SlashableOffence::Kind::kDoubleVote);
  EXPECT_EQ(sim.slashing_oracle().offences()[0].validator, d.validator_index);
}

}  // namespace
}  // namespace phx::sim
