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

TEST(SlashingOracle, LivenessIsWhatWasSignedPerEpoch) {
  SlashingOracle o;
  o.record_attestation(ValidatorIndex{7}, vote(2, 3, 1));
  Root r{};
  o.record_block(ValidatorIndex{8}, Slot{5 * 32 + 31}, r);
  EXPECT_TRUE(o.live(ValidatorIndex{7}, Epoch{3}, 32));   // the attestation's target epoch
  EXPECT_FALSE(o.live(ValidatorIndex{7}, Epoch{2}, 32));
  EXPECT_TRUE(o.live(ValidatorIndex{8}, Epoch{5}, 32));   // a block in the epoch's last slot
  EXPECT_FALSE(o.live(ValidatorIndex{8}, Epoch{6}, 32));
  EXPECT_FALSE(o.live(ValidatorIndex{8}, Epoch{4}, 32));
  EXPECT_FALSE(o.live(ValidatorIndex{9}, Epoch{3}, 32));
}

TEST(SlashingOracle, SimulatorServesLivenessAndRefusesBadRequests) {
  Env env;
  BeaconSim sim(env.config(eth::Fork::kDeneb), env.clock);
  const auto duties = sim.attester_duties(Epoch{1}, env.indices());
  ASSERT_FALSE(duties.empty());
  const auto& d = duties.front();
  ASSERT_TRUE(sim.submit(signed_attestation(env, sim, d)).has_value());
  std::vector<std::string> bodies;
  std::vector<unsigned> statuses;
  with_client(sim, [&](BeaconNodeClient& client) -> Task<void> {
    for (const auto& [target, body] : std::vector<std::pair<std::string, std::string>>{
             {"/eth/v1/validator/liveness/1", "[\"" + std::to_string(d.validator_index.value) + "\",\"1\"]"},
             {"/eth/v1/validator/liveness/2", "[\"" + std::to_string(d.validator_index.value) + "\"]"},
             {"/eth/v1/validator/liveness/x", "[]"},
             {"/eth/v1/validator/liveness/1", "{}"},
             {"/eth/v1/validator/liveness/1", "[1]"}}) {
      bapi::http::ClientRequest req;
      req.method = bapi::http::Method::kPost;
      req.target = target;
      req.body = body;
      auto r = co_await client.call(req);
      statuses.push_back(r ? 200u : r.error().status);
      bodies.push_back(r ? r->body : "");
    }
  });
  EXPECT_EQ(statuses, (std::vector<unsigned>{200, 200, 400, 400, 400}));
  const std::string idx = std::to_string(d.validator_index.value);
  EXPECT_EQ(bodies[0], R"({"data":[{"index":")" + idx + R"(","is_live":true},{"index":"1","is_live":false}]})");
  EXPECT_EQ(bodies[1], R"({"data":[{"index":")" + idx + R"(","is_live":false}]})");
}

}  // namespace
}  // namespace phx::sim
