// Beacon simulator for every duty, driven through BeaconNodeClient over loopback: each client call round-trips,
// each verification path accepts a correctly signed submission (real BLS keys) and rejects a wrong-key /
// wrong-domain / wrong-data one with the counted reason.
#include "sim/sim_test_env.hpp"

namespace phx::sim {
namespace {
// ---- blocks ----

TEST(BeaconSimBlocks, ProducePublishAndEquivocationInEveryFork) {
  Env env;
  for (auto fork : eth::kAllForks) {
    SCOPED_TRACE(std::string(eth::fork_name(fork)));
    BeaconSim sim(env.config(fork), env.clock);
    const auto& chain = sim.config().chain;
    const Slot slot{70};
    auto p = proposer_of(env, sim, slot);
    const auto& sk = env.key(p.index);
    Root graffiti{};
    graffiti[0] = 0x47;
    with_client(sim, [&](BeaconNodeClient& client) -> Task<void> {
      auto produced = co_await client.produce_block_v3(slot, p.randao, graffiti);
      EXPECT_TRUE(produced.has_value()) << (produced ? "" : produced.error().message);
      if (!produced) co_return;
      EXPECT_FALSE(produced->blinded());
      EXPECT_EQ(produced->fork(), fork);
      auto& full = std::get<0>(produced->block);
      edit_block(full, [&](auto& b) {
        EXPECT_EQ(b.slot, slot);
        EXPECT_EQ(b.proposer_index, p.index);
        EXPECT_EQ(b.parent_root, sim.block_root(Slot{69}));
        EXPECT_EQ(b.body.randao_reveal, p.randao);
        EXPECT_EQ(b.body.graffiti, graffiti);
      });
      auto signed_block = sign_full(full, sk, chain);
      auto r = co_await client.publish_block(signed_block);
      EXPECT_TRUE(r.has_value()) << err(r);
      auto again = co_await client.publish_block(signed_block);  // the same block again is fine
      EXPECT_TRUE(again.has_value()) << err(again);
      // A different block for the same slot, correctly signed: equivocation.
      auto other = full;
      edit_block(other, [](auto& b) { b.body.graffiti[1] ^= 1; });
      auto signed_other = sign_full(other, sk, chain);
      auto eq = co_await client.publish_block(signed_other);
      EXPECT_FALSE(eq.has_value());
      if (!eq) {
        EXPECT_EQ(eq.error().status, 400u);
      }
      // produceBlockV3 refuses a RANDAO reveal of another key.
      const auto& other_key = env.key(ValidatorIndex{kFirstIndex + (p.index.value - kFirstIndex + 1) % 4});
      auto bad_randao = other_key.sign(eth::randao_signing_root(chain, chain.epoch_at(slot))).to_bytes();
      auto refused = co_await client.produce_block_v3(slot, bad_randao, graffiti);
      EXPECT_FALSE(refused.has_value());
    });
    EXPECT_EQ(sim.stats(SimDuty::kProposal).accepted, 2u);
    EXPECT_EQ(reason(sim, SimDuty::kProposal, Reject::kEquivocation), 1u);
    // The slashing oracle saw both validly signed blocks: one double proposal by the slot's proposer.
    ASSERT_EQ(sim.slashing_oracle().offences().size(), 1u);
    EXPECT_EQ(sim.slashing_oracle().offences()[0].kind, SlashableOffence::Kind::kDoubleProposal);
    EXPECT_EQ(sim.slashing_oracle().offences()[0].validator, p.index);
  }
}

TEST(BeaconSimBlocks, BuilderModeServesBlindedBlocksWithTheFullBlocksRoot) {
  Env env;
  for (auto fork : {eth::Fork::kBellatrix, eth::Fork::kCapella, eth::Fork::kDeneb, eth::Fork::kElectra,
                    eth::Fork::kFulu}) {
    SCOPED_TRACE(std::string(eth::fork_name(fork)));
    auto cfg = env.config(fork);
    cfg.builder_blocks = true;
    BeaconSim sim(cfg, env.clock);
    const auto& chain = sim.config().chain;
    const Slot slot{75};
    auto p = proposer_of(env, sim, slot);
    with_client(sim, [&](BeaconNodeClient& client) -> Task<void> {
      Root graffiti{};
      auto produced = co_await client.produce_block_v3(slot, p.randao, graffiti);
      EXPECT_TRUE(produced.has_value()) << (produced ? "" : produced.error().message);
      if (!produced) co_return;
      EXPECT_TRUE(produced->blinded());
      // The v3 headers say the same as the body (an SSZ answer has only them).
      bapi::http::ClientRequest raw;
      raw.target = "/eth/v3/validator/blocks/75?randao_reveal=" + to_hex(p.randao);
      auto headers = co_await client.call(raw);
      EXPECT_TRUE(headers && headers->execution_payload_blinded == "true");
      raw.target += "&builder_boost_factor=0";
      auto local_headers = co_await client.call(raw);
      EXPECT_TRUE(local_headers && local_headers->execution_payload_blinded == "false");
      auto& blinded = std::get<1>(produced->block);
      auto signed_blinded = sign_blinded(blinded, env.key(p.index), chain);
      auto r = co_await client.publish_blinded_block(signed_blinded);
      EXPECT_TRUE(r.has_value()) << err(r);
      // builder_boost_factor=0 asks for the local payload: the full block has the same root.
      std::optional<std::uint64_t> no_builder = 0;
      auto local = co_await client.produce_block_v3(slot, p.randao, graffiti, no_builder);
      EXPECT_TRUE(local.has_value() && !local->blinded());
      if (!local) co_return;
      EXPECT_EQ(block_root_of(std::get<0>(local->block)), block_root_of(blinded));
      auto signed_full = sign_full(std::get<0>(local->block), env.key(p.index), chain);
      auto rf = co_await client.publish_block(signed_full);
      EXPECT_TRUE(rf.has_value()) << err(rf);  // same block, not an equivocation
    });
    EXPECT_EQ(sim.stats(SimDuty::kBlindedProposal).accepted, 1u);
    EXPECT_EQ(sim.stats(SimDuty::kProposal).accepted, 1u);
    EXPECT_EQ(sim.stats(SimDuty::kProposal).rejected, 0u);
  }
}

TEST(BeaconSimBlocks, RejectsWrongProposerRandaoKeyDomainParentAndFork) {
  Env env;
  BeaconSim sim(env.config(eth::Fork::kDeneb), env.clock);
  const auto& chain = sim.config().chain;
  const Slot slot{80};
  auto p = proposer_of(env, sim, slot);
  auto produced = sim.produce_block(slot, p.randao, Root{});
  ASSERT_TRUE(produced.has_value()) << produced.error();
  const auto full = std::get<0>(produced->block);
  const auto& sk = env.key(p.index);
  ValidatorIndex other{kFirstIndex + (p.index.value - kFirstIndex + 1) % 4};

  auto wrong_proposer = full;
  edit_block(wrong_proposer, [&](auto& b) { b.proposer_index = other; });
  EXPECT_EQ(why(sim.submit_block(sign_full(wrong_proposer, env.key(other), chain))), Reject::kWrongProposer);

  auto bad_randao = full;
  edit_block(bad_randao, [&](auto& b) {
    b.body.randao_reveal = sk.sign(eth::randao_signing_root(chain, Epoch{1})).to_bytes();  // wrong epoch
  });
  EXPECT_EQ(why(sim.submit_block(sign_full(bad_randao, sk, chain))), Reject::kBadRandao);

  EXPECT_EQ(why(sim.submit_block(sign_full(full, env.key(other), chain))), Reject::kBadSignature);

  // Right key, wrong domain (DOMAIN_BEACON_ATTESTER).
  auto wrong_domain = sign_full(full, sk, chain);
  std::visit(
      [&](auto& x) {
        if constexpr (requires { x.signed_block; }) {
          x.signed_block.signature =
              sk.sign(eth::compute_signing_root_of(
                          x.signed_block.message,
                          eth::get_domain(chain, eth::domain::kBeaconAttester, chain.epoch_at(slot))))
                  .to_bytes();
        }
      },
      wrong_domain.value);
  EXPECT_EQ(why(sim.submit_block(wrong_domain)), Reject::kBadSignature);

  auto wrong_parent = full;
  edit_block(wrong_parent, [](auto& b) { b.parent_root[0] ^= 1; });
  EXPECT_EQ(why(sim.submit_block(sign_full(wrong_parent, sk, chain))), Reject::kWrongData);

  auto wrong_payload = full;
  edit_block(wrong_payload, [](auto& b) {
    if constexpr (requires { b.body.execution_payload; }) b.body.execution_payload.block_hash[0] ^= 1;
  });
  EXPECT_EQ(why(sim.submit_block(sign_full(wrong_payload, sk, chain))), Reject::kWrongData);

  // A capella-layout block on a chain that is at deneb.
  eth::capella::SignedBeaconBlock capella;
  capella.message.slot = slot;
  capella.message.proposer_index = p.index;
  auto wrong_fork = bapi::VersionedSignedProducedBlock::make<eth::Fork::kCapella>(capella);
  EXPECT_EQ(why(sim.submit_block(wrong_fork)), Reject::kWrongFormat);

  EXPECT_TRUE(sim.submit_block(sign_full(full, sk, chain)).has_value());
  const auto& st = sim.stats(SimDuty::kProposal);
  EXPECT_EQ(st.accepted, 1u);
  EXPECT_EQ(st.rejected, 7u);
  EXPECT_EQ(reason(sim, SimDuty::kProposal, Reject::kBadSignature), 2u);
}

// ---- attestations and aggregates ----

template <class Att>
bapi::VersionedSignedAggregateAndProof signed_aggregate(const Att& att, ValidatorIndex aggregator,
                                                        const eth::BLSSignature& selection_proof,
                                                        const bls::SecretKey& sk, const eth::ChainConfig& c) {
  constexpr bool kElectra = std::is_same_v<Att, eth::electra::Attestation>;
  std::conditional_t<kElectra, eth::electra::SignedAggregateAndProof, eth::phase0::SignedAggregateAndProof> s;
  s.message.aggregator_index = aggregator;
  s.message.aggregate = att;
  s.message.selection_proof = selection_proof;
  s.signature = sk.sign(eth::aggregate_and_proof_signing_root(c, s.message)).to_bytes();
  if constexpr (kElectra) {
    return bapi::VersionedSignedAggregateAndProof::make<eth::Fork::kElectra>(std::move(s));
  } else {
    return bapi::VersionedSignedAggregateAndProof::make<eth::Fork::kDeneb>(std::move(s));
  }
}

void aggregation_flow(eth::Fork fork) {
  Env env;
  BeaconSim sim(env.config(fork), env.clock);
  const auto& chain = sim.config().chain;
  auto duties = sim.attester_duties(Epoch{1}, env.indices());
  ASSERT_EQ(duties.size(), 4u);
  const auto d0 = duties[0];
  // Every member of d0's committee attests (directly); others are elsewhere.
  std::vector<bapi::http::AttesterDuty> members;
  for (const auto& d : duties) {
    if (d.slot == d0.slot && d.committee_index == d0.committee_index) members.push_back(d);
  }
  const auto data = sim.attestation_data(d0.slot, d0.committee_index);
  const Root signing_root = eth::attestation_signing_root(chain, data);
  for (const auto& m : members) {
    auto sig = env.key(m.validator_index).sign(signing_root).to_bytes();
    if (fork >= eth::Fork::kElectra) {
      eth::electra::SingleAttestation a{m.committee_index, m.validator_index, data, sig};
      ASSERT_TRUE(sim.submit(a).has_value());
    } else {
      eth::phase0::Attestation a;
      a.aggregation_bits = ssz::Bitlist<eth::preset::kMaxValidatorsPerCommittee>(m.committee_length);
      a.aggregation_bits.set(m.validator_committee_index, true);
      a.data = data;
      a.signature = sig;
      ASSERT_TRUE(sim.submit(a).has_value());
    }
  }
  const auto& sk = env.key(d0.validator_index);
  const auto proof = sk.sign(eth::selection_proof_signing_root(chain, d0.slot)).to_bytes();
  std::optional<bapi::VersionedSignedAggregateAndProof> good;
  with_client(sim, [&](BeaconNodeClient& client) -> Task<void> {
    const Root data_root = ssz::hash_tree_root(data);
    auto agg = co_await client.aggregate_attestation(d0.slot, data_root, d0.committee_index);
    EXPECT_TRUE(agg.has_value()) << (agg ? "" : agg.error().message);
    if (!agg) co_return;
    EXPECT_EQ(agg->fork(), fork);
    std::visit(
        [&](const auto& att) {
          std::size_t bits = 0;
          std::vector<bls::PublicKey> pks;
          for (std::size_t i = 0; i < att.aggregation_bits.size(); ++i) {
            if (att.aggregation_bits.get(i)) ++bits;
          }
          for (const auto& m : members) pks.push_back(env.key(m.validator_index).public_key());
          EXPECT_EQ(bits, members.size());
          EXPECT_EQ(att.aggregation_bits.size(), d0.committee_length);
          auto s = bls::Signature::from_bytes(att.signature);
          EXPECT_TRUE(s && bls::fast_aggregate_verify(pks, signing_root, *s));
          good = signed_aggregate(att, d0.validator_index, proof, sk, chain);
        },
        agg->value);
    if (!good) co_return;
    std::vector<bapi::VersionedSignedAggregateAndProof> items{*good};
    auto r = co_await client.submit_aggregate_and_proofs(fork, items);
    EXPECT_TRUE(r.has_value()) << err(r);
    // Over HTTP, a wrong outer signature answers 400 with the failure.
    auto bad = *good;
    std::visit([](auto& x) { x.signature = x.message.selection_proof; }, bad.value);
    std::vector<bapi::VersionedSignedAggregateAndProof> bad_items{bad};
    auto rb = co_await client.submit_aggregate_and_proofs(fork, bad_items);
    EXPECT_FALSE(rb.has_value());
    // A fork mismatch is refused by the client before sending.
    auto mismatch = co_await client.submit_aggregate_and_proofs(eth::Fork::kCapella, items);
    EXPECT_FALSE(mismatch.has_value());
    const Root unknown_root{};
    auto none = co_await client.aggregate_attestation(d0.slot, unknown_root, d0.committee_index);
    EXPECT_TRUE(!none && none.error().status == 404u);
  });
  ASSERT_TRUE(good.has_value());
  EXPECT_EQ(sim.stats(SimDuty::kAggregate).accepted, 1u);
  EXPECT_EQ(reason(sim, SimDuty::kAggregate, Reject::kBadSignature), 1u);

  auto with = [&](auto fn) {
    auto v = *good;
    std::visit([&](auto& x) { fn(x); }, v.value);
    return sim.submit_aggregate(v);
  };
  // Selection proof over the wrong slot.
  EXPECT_EQ(with([&](auto& x) {
              x.message.selection_proof = sk.sign(eth::selection_proof_signing_root(chain, Slot{d0.slot.value + 1}))
                                              .to_bytes();
              x.signature = sk.sign(eth::aggregate_and_proof_signing_root(chain, x.message)).to_bytes();
            }).error(),
            Reject::kBadSelectionProof);
  // Inner aggregate signature replaced (still a valid G2 point).
  EXPECT_EQ(with([&](auto& x) {
              x.message.aggregate.signature = x.message.selection_proof;
              x.signature = sk.sign(eth::aggregate_and_proof_signing_root(chain, x.message)).to_bytes();
            }).error(),
            Reject::kBadAggregateSignature);
  // Served data changed.
  EXPECT_EQ(why(with([&](auto& x) { x.message.aggregate.data.beacon_block_root[0] ^= 1; })), Reject::kWrongData);
  // An aggregator that is not in this committee (properly signed).
  std::optional<bapi::http::AttesterDuty> outsider;
  for (const auto& d : duties) {
    if (d.slot != d0.slot || d.committee_index != d0.committee_index) outsider = d;
  }
  if (outsider) {
    const auto& ok = env.key(outsider->validator_index);
    EXPECT_EQ(with([&](auto& x) {
                x.message.aggregator_index = outsider->validator_index;
                x.message.selection_proof = ok.sign(eth::selection_proof_signing_root(chain, d0.slot)).to_bytes();
                x.signature = ok.sign(eth::aggregate_and_proof_signing_root(chain, x.message)).to_bytes();
              }).error(),
              Reject::kNoDuty);
  }
  EXPECT_EQ(sim.stats(SimDuty::kAggregate).accepted, 1u);
  // The same signed aggregate again (another node of the cluster): accepted as already known.
  EXPECT_TRUE(sim.submit_aggregate(*good).has_value());
  EXPECT_EQ(sim.stats(SimDuty::kAggregate).accepted, 2u);
}

TEST(BeaconSimAggregates, Phase0LayoutAggregateIsServedAndVerified) {
  aggregation_flow(eth::Fork::kDeneb);
}
TEST(BeaconSimAggregates, ElectraLayoutAggregateIsServedAndVerified) {
  aggregation_flow(eth::Fork::kElectra);
}

// ---- sync committee ----

void sync_flow(eth::Fork fork) {
  Env env;
  auto cfg = env.config(fork);
  cfg.sync_committee_validators = 2;
  cfg.epochs_per_sync_committee_period = 4;
  BeaconSim sim(cfg, env.clock);
  const auto& chain = sim.config().chain;
  const Slot head{40};
  std::vector<bapi::http::SyncCommitteeDuty> duties;
  with_client(sim, [&](BeaconNodeClient& client) -> Task<void> {
    const Epoch epoch{1};
    const auto all = env.indices();
    auto d = co_await client.sync_committee_duties(epoch, all);
    EXPECT_TRUE(d.has_value()) << (d ? "" : d.error().message);
    if (!d) co_return;
    duties = *d;
    auto root = co_await client.block_root("head");
    EXPECT_TRUE(root && *root == sim.block_root(head));
    if (!root) co_return;
    std::vector<eth::altair::SyncCommitteeMessage> msgs;
    for (const auto& duty : duties) {
      eth::altair::SyncCommitteeMessage m;
      m.slot = head;
      m.beacon_block_root = *root;
      m.validator_index = duty.validator_index;
      m.signature = env.key(duty.validator_index)
                        .sign(eth::sync_committee_message_signing_root(chain, head, *root))
                        .to_bytes();
      msgs.push_back(m);
    }
    auto r = co_await client.submit_sync_committee_messages(msgs);
    EXPECT_TRUE(r.has_value()) << err(r);
    auto genesis = co_await client.block_root("genesis");
    EXPECT_TRUE(genesis && *genesis == sim.block_root(Slot{0}));
  });
  ASSERT_EQ(duties.size(), 2u);
  std::size_t positions = 0;
  std::set<ValidatorIndex> members;
  for (const auto& d : duties) {
    positions += d.validator_sync_committee_indices.size();
    members.insert(d.validator_index);
  }
  EXPECT_EQ(positions, eth::preset::kSyncCommitteeSize);
  EXPECT_EQ(sim.stats(SimDuty::kSyncMessage).accepted, 2u);

  // Rejections: non-member, wrong domain, unknown root.
  ValidatorIndex outsider{};
  for (auto v : env.indices()) {
    if (!members.contains(v)) outsider = v;
  }
  const Root root = sim.block_root(head);
  auto msg_of = [&](ValidatorIndex v, const Root& signing_root) {
    eth::altair::SyncCommitteeMessage m;
    m.slot = head;
    m.beacon_block_root = root;
    m.validator_index = v;
    m.signature = env.key(v).sign(signing_root).to_bytes();
    return m;
  };
  const auto right = eth::sync_committee_message_signing_root(chain, head, root);
  EXPECT_EQ(why(sim.submit_sync_message(msg_of(outsider, right))), Reject::kNoDuty);
  const auto member = *members.begin();
  const auto wrong_domain =
      eth::compute_signing_root(root, eth::get_domain(chain, eth::domain::kBeaconAttester, Epoch{1}));
  EXPECT_EQ(why(sim.submit_sync_message(msg_of(member, wrong_domain))), Reject::kBadSignature);
  auto unknown = msg_of(member, right);
  unknown.beacon_block_root[0] ^= 1;
  EXPECT_EQ(why(sim.submit_sync_message(unknown)), Reject::kWrongData);

  // Contributions: find a (slot, subcommittee) where `member` is selected, and one where it is not.
  std::uint64_t sub = 0;
  for (const auto& d : duties) {
    if (d.validator_index == member) sub = d.validator_sync_committee_indices.front() / 128;
  }
  const auto& sk = env.key(member);
  auto proof_at = [&](Slot s, std::uint64_t subcommittee) {
    return sk.sign(eth::sync_selection_proof_signing_root(chain, eth::altair::SyncAggregatorSelectionData{s, subcommittee}))
        .to_bytes();
  };
  auto selected = [](const eth::BLSSignature& proof) {
    return get_le64(crypto::hash::sha256(proof).data()) % 8 == 0;
  };
  std::optional<Slot> yes;
  std::optional<Slot> no;
  for (std::uint64_t s = 8; s < 40 && (!yes || !no); ++s) {
    (selected(proof_at(Slot{s}, sub)) ? yes : no) = Slot{s};
  }
  ASSERT_TRUE(yes && no);
  for (auto s : {*yes, *no}) {
    for (auto v : members) {
      eth::altair::SyncCommitteeMessage m;
      m.slot = s;
      m.beacon_block_root = sim.block_root(s);
      m.validator_index = v;
      m.signature = env.key(v).sign(eth::sync_committee_message_signing_root(chain, s, m.beacon_block_root)).to_bytes();
      ASSERT_TRUE(sim.submit_sync_message(m).has_value());
    }
  }
  auto make = [&](const eth::altair::SyncCommitteeContribution& c, const eth::BLSSignature& proof) {
    eth::altair::SignedContributionAndProof s;
    s.message.aggregator_index = member;
    s.message.contribution = c;
    s.message.selection_proof = proof;
    s.signature = sk.sign(eth::contribution_and_proof_signing_root(chain, s.message)).to_bytes();
    return s;
  };
  std::optional<eth::altair::SyncCommitteeContribution> contribution;
  with_client(sim, [&](BeaconNodeClient& client) -> Task<void> {
    const Root block = sim.block_root(*yes);
    auto c = co_await client.sync_committee_contribution(*yes, sub, block);
    EXPECT_TRUE(c.has_value()) << (c ? "" : c.error().message);
    if (!c) co_return;
    contribution = *c;
    std::vector<eth::altair::SignedContributionAndProof> items{make(*c, proof_at(*yes, sub))};
    auto r = co_await client.submit_contribution_and_proofs(items);
    EXPECT_TRUE(r.has_value()) << err(r);
  });
  ASSERT_TRUE(contribution.has_value());
  std::size_t bits = 0;
  for (std::size_t i = 0; i < 128; ++i) bits += contribution->aggregation_bits.get(i) ? 1 : 0;
  EXPECT_GE(bits, 1u);
  EXPECT_EQ(sim.stats(SimDuty::kSyncContribution).accepted, 1u);

  auto other_slot = sim.sync_committee_contribution(*no, sub, sim.block_root(*no));
  ASSERT_TRUE(other_slot.has_value());
  EXPECT_EQ(why(sim.submit_contribution(make(*other_slot, proof_at(*no, sub)))), Reject::kNotAggregator);
  EXPECT_EQ(sim.submit_contribution(make(*contribution, proof_at(*yes, (sub + 1) % 4))).error(),
            Reject::kBadSelectionProof);
  auto bad_sig = *contribution;
  bad_sig.signature = proof_at(*yes, sub);
  EXPECT_EQ(why(sim.submit_contribution(make(bad_sig, proof_at(*yes, sub)))), Reject::kBadAggregateSignature);
  auto wrong_key = make(*contribution, proof_at(*yes, sub));
  wrong_key.signature = env.key(outsider).sign(eth::contribution_and_proof_signing_root(chain, wrong_key.message)).to_bytes();
  EXPECT_EQ(why(sim.submit_contribution(wrong_key)), Reject::kBadSignature);
  EXPECT_EQ(sim.stats(SimDuty::kSyncContribution).rejected, 4u);

  // Committees change with the period and do not exist before altair.
  EXPECT_NE(sim.sync_committee(Epoch{1}), sim.sync_committee(Epoch{5}));
  EXPECT_EQ(sim.sync_committee(Epoch{1}), sim.sync_committee(Epoch{3}));
}

TEST(BeaconSimSync, AltairMessagesAndContributionsAreVerified) {
  sync_flow(eth::Fork::kAltair);
}
TEST(BeaconSimSync, FuluMessagesAndContributionsAreVerified) {
  sync_flow(eth::Fork::kFulu);
}
TEST(BeaconSimSync, NoSyncCommitteeBeforeAltair) {
  Env env;
  BeaconSim sim(env.config(eth::Fork::kPhase0), env.clock);
  EXPECT_TRUE(sim.sync_committee(Epoch{1}).empty());
  EXPECT_TRUE(sim.sync_committee_duties(Epoch{1}, env.indices()).empty());
  eth::altair::SyncCommitteeMessage m;
  m.slot = Slot{40};
  m.validator_index = ValidatorIndex{kFirstIndex};
  EXPECT_EQ(why(sim.submit_sync_message(m)), Reject::kWrongFormat);
}

TEST(BeaconSimSync, BatchOfMessagesRejectsOnlyTheBadOnes) {
  Env env;
  BeaconSim sim(env.config(eth::Fork::kDeneb), env.clock);
  const auto& chain = sim.config().chain;
  std::vector<eth::altair::SyncCommitteeMessage> msgs;
  for (std::uint64_t slot : {38u, 39u}) {
    for (auto v : env.indices()) {
      eth::altair::SyncCommitteeMessage m;
      m.slot = Slot{slot};
      m.beacon_block_root = sim.block_root(m.slot);
      m.validator_index = v;
      m.signature = env.key(v).sign(eth::sync_committee_message_signing_root(chain, m.slot, m.beacon_block_root)).to_bytes();
      msgs.push_back(m);
    }
  }
  msgs[1].signature = msgs[2].signature;  // another member's valid signature
  msgs[6].signature = msgs[5].signature;
  auto results = sim.submit_sync_messages(msgs);
  ASSERT_EQ(results.size(), 8u);
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (i == 1 || i == 6) {
      EXPECT_EQ(why(results[i]), Reject::kBadSignature) << i;
    } else {
      EXPECT_TRUE(results[i].has_value()) << i;
    }
  }
  EXPECT_EQ(sim.stats(SimDuty::kSyncMessage).accepted, 6u);
  EXPECT_EQ(sim.stats(SimDuty::kSyncMessage).rejected, 2u);
  // Re-submitted as is (seen: accepted), and a pooled member's message with another member's signature.
  std::vector<eth::altair::SyncCommitteeMessage> again{msgs[0], msgs[0]};
  again[1].signature = msgs[2].signature;
  auto again_results = sim.submit_sync_messages(again);
  EXPECT_TRUE(again_results[0].has_value());
  EXPECT_EQ(why(again_results[1]), Reject::kBadSignature);
  // Only accepted messages are pooled: slot 38's contribution of subcommittee 0 lacks validator 101.
  auto c = sim.sync_committee_contribution(Slot{38}, 0, sim.block_root(Slot{38}));
  ASSERT_TRUE(c.has_value());
  auto committee = sim.sync_committee(Epoch{1});
  for (std::size_t i = 0; i < 128; ++i) {
    EXPECT_EQ(c->aggregation_bits.get(i), committee[i] != ValidatorIndex{kFirstIndex + 1}) << i;
  }
}

TEST(BeaconSimAttestations, BatchRejectsOnlyTheBadOnesAndPoolsTheRest) {
  Env env;
  BeaconSim sim(env.config(eth::Fork::kElectra), env.clock);
  const auto& chain = sim.config().chain;
  auto duties = sim.attester_duties(Epoch{1}, env.indices());
  std::vector<eth::electra::SingleAttestation> atts;
  for (const auto& d : duties) {
    auto data = sim.attestation_data(d.slot, d.committee_index);
    atts.push_back({d.committee_index, d.validator_index, data,
                    env.key(d.validator_index).sign(eth::attestation_signing_root(chain, data)).to_bytes()});
  }
  atts.push_back(atts[0]);  // a duplicate is accepted
  atts[1].signature = atts[2].signature;
  auto results = sim.submit_attestations(std::span<const eth::electra::SingleAttestation>(atts));
  ASSERT_EQ(results.size(), 5u);
  EXPECT_EQ(why(results[1]), Reject::kBadSignature);
  for (std::size_t i : {0u, 2u, 3u, 4u}) EXPECT_TRUE(results[i].has_value()) << i;
  EXPECT_EQ(sim.attestation_stats().accepted, 4u);
  // The rejected one is not in the aggregate of its committee.
  const auto& d1 = duties[1];
  auto agg = sim.aggregate_attestation(d1.slot, ssz::hash_tree_root(atts[1].data), d1.committee_index);
  if (agg) {
    const auto& att = std::get<5>(agg->value);
    EXPECT_FALSE(att.aggregation_bits.get(d1.validator_committee_index));
  }
  // A pooled attestation submitted again as is: accepted (seen); with another signature: verified, rejected.
  auto again = atts[0];
  EXPECT_TRUE(sim.submit(again).has_value());
  again.signature = atts[2].signature;
  EXPECT_EQ(why(sim.submit(again)), Reject::kBadSignature);
}

}  // namespace
}  // namespace phx::sim
