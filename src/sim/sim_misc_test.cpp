// Beacon simulator: older endpoint forms, registrations, exits, preparations, subscriptions, malformed input and
// the expected-duty counts, driven through BeaconNodeClient over loopback.
#include "sim/sim_test_env.hpp"

namespace phx::sim {
namespace {
// ---- older beacon nodes (Lodestar 1.5.1 serves only the v1/v2 forms) ----

TEST(BeaconNodeClientFallback, OlderEndpointFormsAreUsedOn404) {
  Env env;
  BeaconSim sim(env.config(eth::Fork::kAltair), env.clock);
  const auto& chain = sim.config().chain;
  // A router with only the older forms, forwarded to the simulator; the v1 aggregate loses its fork header.
  bapi::http::Router old;
  auto forward = [&sim](const bapi::http::Request& req, const bapi::http::PathParams&) -> Task<bapi::http::Response> {
    auto res = co_await sim.router().dispatch(req);
    res.consensus_version.clear();
    co_return res;
  };
  using bapi::http::Method;
  for (const char* path : {"/eth/v1/beacon/genesis", "/eth/v1/config/spec", "/eth/v1/config/fork_schedule",
                           "/eth/v1/beacon/states/{state_id}/validators", "/eth/v2/validator/blocks/{slot}",
                           "/eth/v1/validator/aggregate_attestation"}) {
    old.add(Method::kGet, path, forward);
  }
  for (const char* path : {"/eth/v1/beacon/pool/attestations", "/eth/v1/beacon/blocks",
                           "/eth/v1/validator/aggregate_and_proofs"}) {
    old.add(Method::kPost, path, forward);
  }
  auto duties = sim.attester_duties(Epoch{1}, env.indices());
  const auto d0 = duties.at(0);
  const auto data = sim.attestation_data(d0.slot, d0.committee_index);
  const Slot block_slot{41};
  auto proposer = proposer_of(env, sim, block_slot);
  asio::io_context io;
  auto top = [&]() -> Task<void> {
    Server server(io.get_executor(), old, ServerOptions{});
    EXPECT_TRUE(server.start().has_value());
    BeaconNodeClient client({Endpoint{"127.0.0.1", server.port()}});
    std::vector<eth::BLSPubkey> pubkeys;
    for (const auto& k : env.keys) pubkeys.push_back(k.public_key().to_bytes());
    auto vals = co_await client.validators_by_pubkey("head", pubkeys);
    EXPECT_TRUE(vals && vals->size() == 4u) << (vals ? "" : vals.error().message);
    std::vector<eth::phase0::Attestation> atts;
    for (const auto& d : duties) {
      if (d.slot != d0.slot || d.committee_index != d0.committee_index) continue;
      eth::phase0::Attestation a;
      a.aggregation_bits = ssz::Bitlist<eth::preset::kMaxValidatorsPerCommittee>(d.committee_length);
      a.aggregation_bits.set(d.validator_committee_index, true);
      a.data = data;
      a.signature = env.key(d.validator_index).sign(eth::attestation_signing_root(chain, data)).to_bytes();
      atts.push_back(a);
    }
    auto r = co_await client.submit_attestations(eth::Fork::kAltair, atts);
    EXPECT_TRUE(r.has_value()) << err(r);
    const Root data_root = ssz::hash_tree_root(data);
    auto agg = co_await client.aggregate_attestation(d0.slot, data_root, d0.committee_index);
    EXPECT_TRUE(agg.has_value()) << (agg ? "" : agg.error().message);
    if (!agg) co_return;
    EXPECT_EQ(agg->fork(), eth::Fork::kAltair);  // from the chain config: no header
    const auto& sk = env.key(d0.validator_index);
    eth::phase0::SignedAggregateAndProof item;
    item.message.aggregator_index = d0.validator_index;
    item.message.aggregate = std::get<1>(agg->value);
    item.message.selection_proof = sk.sign(eth::selection_proof_signing_root(chain, d0.slot)).to_bytes();
    item.signature = sk.sign(eth::aggregate_and_proof_signing_root(chain, item.message)).to_bytes();
    std::vector<bapi::VersionedSignedAggregateAndProof> items{
        bapi::VersionedSignedAggregateAndProof::make<eth::Fork::kAltair>(item)};
    auto ra = co_await client.submit_aggregate_and_proofs(eth::Fork::kAltair, items);
    EXPECT_TRUE(ra.has_value()) << err(ra);
    const Root graffiti{};
    auto produced = co_await client.produce_block_v3(block_slot, proposer.randao, graffiti);
    EXPECT_TRUE(produced && !produced->blinded()) << (produced ? "" : produced.error().message);
    if (!produced) co_return;
    auto signed_block = sign_full(std::get<0>(produced->block), env.key(proposer.index), chain);
    auto rb = co_await client.publish_block(signed_block);
    EXPECT_TRUE(rb.has_value()) << err(rb);
    co_await server.stop();
  };
  asio::co_spawn(io, top(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
  EXPECT_GE(sim.attestation_stats().accepted, 1u);
  EXPECT_EQ(sim.attestation_stats().rejected, 0u);
  EXPECT_EQ(sim.stats(SimDuty::kAggregate).accepted, 1u);
  EXPECT_EQ(sim.stats(SimDuty::kProposal).accepted, 1u);
}

// ---- registrations, exits, preparations ----

TEST(BeaconSimMisc, RegistrationsExitsAndPreparations) {
  Env env;
  BeaconSim sim(env.config(eth::Fork::kDeneb), env.clock);
  const auto& chain = sim.config().chain;
  const ValidatorIndex v{kFirstIndex + 1};
  const auto& sk = env.key(v);
  eth::phase0::SignedValidatorRegistrationV1 reg;
  reg.message.fee_recipient[0] = 0xfe;
  reg.message.gas_limit = 30'000'000;
  reg.message.timestamp = kGenesis + 100;
  reg.message.pubkey = sk.public_key().to_bytes();
  reg.signature = sk.sign(eth::registration_signing_root(chain, reg.message)).to_bytes();

  eth::phase0::SignedVoluntaryExit exit;
  exit.message.epoch = Epoch{1};
  exit.message.validator_index = v;
  exit.signature = sk.sign(eth::voluntary_exit_signing_root(chain, exit.message, Epoch{1})).to_bytes();

  // Find a slot that `v` proposes, to see its fee recipient in the payload.
  std::optional<Slot> own;
  for (const auto& d : sim.proposer_duties(Epoch{2})) {
    if (d.validator_index == v) own = d.slot;
  }
  ASSERT_TRUE(own.has_value());
  with_client(sim, [&](BeaconNodeClient& client) -> Task<void> {
    std::vector<eth::phase0::SignedValidatorRegistrationV1> regs{reg};
    auto r1 = co_await client.register_validators(regs);
    EXPECT_TRUE(r1.has_value()) << err(r1);
    std::vector<eth::BLSPubkey> ids;
    ids.push_back(sk.public_key().to_bytes());
    auto before = co_await client.validators_by_pubkey("head", ids);
    EXPECT_TRUE(before && before->size() == 1 && (*before)[0].status == "active_ongoing");
    auto r2 = co_await client.submit_voluntary_exit(exit);
    EXPECT_TRUE(r2.has_value()) << err(r2);
    // The accepted exit initiates the validator's exit: exiting, with exit and withdrawable epochs.
    auto after = co_await client.validators_by_pubkey("head", ids);
    EXPECT_TRUE(after && after->size() == 1);
    if (after && after->size() == 1) {
      EXPECT_EQ((*after)[0].status, "active_exiting");
      EXPECT_NE((*after)[0].validator.exit_epoch, eth::kFarFutureEpoch);
      EXPECT_EQ((*after)[0].validator.withdrawable_epoch.value, (*after)[0].validator.exit_epoch.value + 256);
    }
    bapi::http::ProposerPreparation prep;
    prep.validator_index = v;
    prep.fee_recipient[0] = 0xfe;
    std::vector<bapi::http::ProposerPreparation> preps{prep};
    auto r3 = co_await client.prepare_beacon_proposer(preps);
    EXPECT_TRUE(r3.has_value()) << err(r3);
    prep.validator_index = ValidatorIndex{7};
    std::vector<bapi::http::ProposerPreparation> unknown{prep};
    auto r4 = co_await client.prepare_beacon_proposer(unknown);
    EXPECT_TRUE(!r4 && r4.error().status == 400u);
    // Subnet subscriptions (what a VC or the embedded signer sends): counted per known validator.
    bapi::http::BeaconCommitteeSubscription sub{};
    sub.validator_index = v;
    sub.committees_at_slot = 1;
    sub.slot = Slot{3};
    sub.is_aggregator = true;
    std::vector<bapi::http::BeaconCommitteeSubscription> subs;
    subs.push_back(sub);
    auto r5 = co_await client.beacon_committee_subscriptions(subs);
    EXPECT_TRUE(r5.has_value()) << err(r5);
    bapi::http::SyncCommitteeSubscription ssub{};
    ssub.validator_index = v;
    ssub.sync_committee_indices.push_back(0);
    ssub.sync_committee_indices.push_back(5);
    ssub.until_epoch = Epoch{256};
    std::vector<bapi::http::SyncCommitteeSubscription> ssubs;
    ssubs.push_back(ssub);
    auto r6 = co_await client.sync_committee_subscriptions(ssubs);
    EXPECT_TRUE(r6.has_value()) << err(r6);
    ssubs[0].validator_index = ValidatorIndex{7};
    auto r7 = co_await client.sync_committee_subscriptions(ssubs);
    EXPECT_TRUE(!r7 && r7.error().status == 400u);
  });
  EXPECT_EQ(sim.stats(SimDuty::kCommitteeSubscription).accepted, 1u);
  EXPECT_EQ(sim.stats(SimDuty::kSyncSubscription).accepted, 1u);
  EXPECT_EQ(reason(sim, SimDuty::kSyncSubscription, Reject::kUnknownValidator), 1u);
  EXPECT_EQ(sim.stats(SimDuty::kBuilderRegistration).accepted, 1u);
  EXPECT_EQ(sim.stats(SimDuty::kVoluntaryExit).accepted, 1u);
  EXPECT_EQ(sim.stats(SimDuty::kPrepareProposer).accepted, 1u);
  EXPECT_EQ(reason(sim, SimDuty::kPrepareProposer, Reject::kUnknownValidator), 1u);

  auto randao = sk.sign(eth::randao_signing_root(chain, Epoch{2})).to_bytes();
  auto produced = sim.produce_block(*own, randao, Root{});
  ASSERT_TRUE(produced.has_value());
  const auto& contents = std::get<4>(std::get<0>(produced->block).value);
  EXPECT_EQ(contents.block.body.execution_payload.fee_recipient[0], 0xfe);

  // Registration: builder domain over the current fork version instead of the genesis one; unknown pubkey.
  auto bad_reg = reg;
  bad_reg.signature =
      sk.sign(eth::compute_signing_root_of(reg.message, eth::compute_domain(eth::domain::kApplicationBuilder,
                                                                            chain.version_of(eth::Fork::kDeneb),
                                                                            Root{})))
          .to_bytes();
  EXPECT_EQ(why(sim.submit_registration(bad_reg)), Reject::kBadSignature);
  auto stranger = reg;
  stranger.message.pubkey = test_keys(5)[4].public_key().to_bytes();
  EXPECT_EQ(why(sim.submit_registration(stranger)), Reject::kUnknownValidator);

  // Exit: deneb's own fork version (what EIP-7044 forbids), a future epoch, another key.
  auto pre_7044 = exit;
  pre_7044.signature =
      sk.sign(eth::compute_signing_root_of(exit.message, eth::compute_domain(eth::domain::kVoluntaryExit,
                                                                             chain.version_of(eth::Fork::kDeneb),
                                                                             chain.genesis_validators_root)))
          .to_bytes();
  EXPECT_EQ(why(sim.submit_exit(pre_7044)), Reject::kBadSignature);
  auto future = exit;
  future.message.epoch = Epoch{9};
  future.signature = sk.sign(eth::voluntary_exit_signing_root(chain, future.message, Epoch{1})).to_bytes();
  EXPECT_EQ(why(sim.submit_exit(future)), Reject::kWrongData);
  auto wrong_key = exit;
  wrong_key.signature = env.keys[0].sign(eth::voluntary_exit_signing_root(chain, exit.message, Epoch{1})).to_bytes();
  EXPECT_EQ(why(sim.submit_exit(wrong_key)), Reject::kBadSignature);
}

// ---- malformed input, stats, expected duties ----

TEST(BeaconSimBlocks, TextGraffitiIsAcceptedLikeLodestar) {
  Env env;
  BeaconSim sim(env.config(eth::Fork::kAltair), env.clock);
  auto p = proposer_of(env, sim, Slot{44});
  std::vector<std::string> graffiti;
  with_client(sim, [&](BeaconNodeClient& client) -> Task<void> {
    const std::vector<std::string> texts{"Lodestar-v1.5.1%2F2115aa7", std::string(33, 'x')};
    for (const auto& text : texts) {
      bapi::http::ClientRequest req;
      req.target = "/eth/v2/validator/blocks/44?randao_reveal=" + to_hex(p.randao) + "&graffiti=" + text;
      auto r = co_await client.call(req);
      if (!r) {
        graffiti.push_back("error " + std::to_string(r.error().status));
        continue;
      }
      auto b = bapi::parse_versioned_json<bapi::VersionedProducedBlock>(r->body);
      EXPECT_TRUE(b.has_value());
      if (!b) continue;
      const auto& g = std::get<1>(b->value).body.graffiti;
      graffiti.push_back(std::string(g.begin(), g.end()));
    }
  });
  ASSERT_EQ(graffiti.size(), 2u);
  EXPECT_EQ(graffiti[0], std::string("Lodestar-v1.5.1/2115aa7") + std::string(9, '\0'));
  EXPECT_EQ(graffiti[1], "error 400");
}

TEST(BeaconSimMisc, MalformedBodiesAnswer400AndAreCounted) {
  Env env;
  BeaconSim sim(env.config(eth::Fork::kElectra), env.clock);
  std::vector<unsigned> statuses;
  with_client(sim, [&](BeaconNodeClient& client) -> Task<void> {
    const std::vector<std::pair<std::string, std::string>> posts = {
        {"/eth/v1/beacon/pool/sync_committees", "not json"},
        {"/eth/v1/beacon/pool/sync_committees", "[{\"slot\":\"1\"}]"},
        {"/eth/v1/validator/contribution_and_proofs", "{}"},
        {"/eth/v1/validator/register_validator", "[1]"},
        {"/eth/v1/beacon/pool/voluntary_exits", "{\"message\":{}}"},
        {"/eth/v2/beacon/blocks", "{}"},
        {"/eth/v2/validator/aggregate_and_proofs", "[]"},
    };
    for (const auto& [target, body] : posts) {
      bapi::http::ClientRequest req;
      req.method = bapi::http::Method::kPost;
      req.target = target;
      req.body = body;
      auto r = co_await client.call(req);
      statuses.push_back(r ? 200u : r.error().status);
    }
  });
  EXPECT_EQ(statuses, (std::vector<unsigned>{400, 400, 400, 400, 400, 400, 400}));
  EXPECT_EQ(reason(sim, SimDuty::kSyncMessage, Reject::kMalformed), 2u);
  EXPECT_EQ(reason(sim, SimDuty::kSyncContribution, Reject::kMalformed), 1u);
  EXPECT_EQ(reason(sim, SimDuty::kBuilderRegistration, Reject::kMalformed), 1u);
  EXPECT_EQ(reason(sim, SimDuty::kVoluntaryExit, Reject::kMalformed), 1u);
  EXPECT_EQ(reason(sim, SimDuty::kProposal, Reject::kMalformed), 1u);  // no Eth-Consensus-Version
  EXPECT_EQ(reason(sim, SimDuty::kAggregate, Reject::kMalformed), 1u);
  auto j = sim.stats_json();
  EXPECT_EQ(j.size(), kSimDutyCount);
  EXPECT_EQ(j["sync_message"]["rejected"].get<std::uint64_t>(), 2u);
  EXPECT_EQ(j["sync_message"]["by_reason"]["malformed"].get<std::uint64_t>(), 2u);
  EXPECT_EQ(j["attestation"]["accepted"].get<std::uint64_t>(), 0u);
}

TEST(BeaconSimMisc, ExpectedDutiesCountWhatTheClusterShouldDo) {
  Env env;
  auto cfg = env.config(eth::Fork::kAltair);
  cfg.sync_committee_validators = 3;
  BeaconSim sim(cfg, env.clock);
  auto e = sim.expected_duties(Slot{32}, Slot{64});
  EXPECT_EQ(e.attestations, 4u);  // one per validator per epoch
  EXPECT_EQ(e.proposals, 32u);
  EXPECT_GE(e.aggregation_committees, 1u);
  EXPECT_LE(e.aggregation_committees, 4u);
  EXPECT_EQ(e.aggregations_min, 4u);  // tiny committees: every member aggregates
  EXPECT_EQ(e.aggregations_max, 4u);
  EXPECT_EQ(e.sync_messages, 32u * 3u);
  EXPECT_GE(e.contributions_max, e.sync_messages);
  EXPECT_EQ(sim.expected_duties(Slot{0}, Slot{32}).proposals, 31u);  // no proposal at genesis
  auto half = sim.expected_duties(Slot{32}, Slot{48});
  auto rest = sim.expected_duties(Slot{48}, Slot{64});
  EXPECT_EQ(half.attestations + rest.attestations, 4u);
  BeaconSim phase0(env.config(eth::Fork::kPhase0), env.clock);
  EXPECT_EQ(phase0.expected_duties(Slot{32}, Slot{64}).sync_messages, 0u);
}

}  // namespace
}  // namespace phx::sim
