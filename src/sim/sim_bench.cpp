// Beacon simulator benchmarks: verification throughput per duty kind (one submission each iteration: duty
// lookup, data checks, signing roots, every BLS verification the kind needs) and computing an epoch's attester
// duties for the whole validator set.
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <set>

#include "crypto/hash/sha256.hpp"
#include "eth/duty_signing.hpp"
#include "sim/beacon_sim.hpp"

namespace {

using namespace phx;

struct Setup {
  std::vector<crypto::bls::SecretKey> keys;
  sim::BeaconSimConfig config;
  ManualClock clock;
  explicit Setup(std::size_t n) {
    config.chain = eth::devnet_config(eth::Fork::kElectra, 0, Root{});
    for (std::size_t i = 0; i < n; ++i) {
      Bytes ikm(32, static_cast<std::uint8_t>(i + 1));
      ikm[1] = static_cast<std::uint8_t>(i >> 8);
      ikm[2] = static_cast<std::uint8_t>(i >> 16);
      keys.push_back(*crypto::bls::SecretKey::keygen(ikm));
      config.validators.push_back({keys.back().public_key().to_bytes(), ValidatorIndex{i}});
    }
  }
};

void BM_SimVerifySingleAttestation(benchmark::State& state) {
  Setup s(4);
  sim::BeaconSim sim(s.config, s.clock);
  auto d = sim.attester_duties(Epoch{1}, {ValidatorIndex{0}}).at(0);
  auto data = sim.attestation_data(d.slot, d.committee_index);
  eth::electra::SingleAttestation a;
  a.committee_index = d.committee_index;
  a.attester_index = d.validator_index;
  a.data = data;
  a.signature = s.keys[0].sign(eth::attestation_signing_root(s.config.chain, data)).to_bytes();
  for (auto _ : state) {
    auto r = sim.submit(a);
    benchmark::DoNotOptimize(r);
  }
  if (sim.attestation_stats().rejected != 0) state.SkipWithError("rejected");
}
BENCHMARK(BM_SimVerifySingleAttestation)->Unit(benchmark::kMicrosecond);

/// One pool submission with every attestation of a slot (electra, one committee per slot): one same-message
/// check for the batch. Arg = validators (about Arg/32 attestations per slot).
void BM_SimVerifyAttestationBatch(benchmark::State& state) {
  Setup s(static_cast<std::size_t>(state.range(0)));
  s.config.committees_per_slot = 1;
  sim::BeaconSim sim(s.config, s.clock);
  std::vector<ValidatorIndex> idx;
  for (const auto& v : s.config.validators) idx.push_back(v.index);
  auto duties = sim.attester_duties(Epoch{1}, idx);
  const Slot slot = duties.at(0).slot;
  auto data = sim.attestation_data(slot, 0);
  auto root = eth::attestation_signing_root(s.config.chain, data);
  std::vector<eth::electra::SingleAttestation> atts;
  for (const auto& d : duties) {
    if (d.slot != slot) continue;
    atts.push_back({0, d.validator_index, data, s.keys[d.validator_index.value].sign(root).to_bytes()});
  }
  for (auto _ : state) {
    auto r = sim.submit_attestations(std::span<const eth::electra::SingleAttestation>(atts));
    benchmark::DoNotOptimize(r);
  }
  state.counters["attestations"] = static_cast<double>(atts.size());
  state.counters["atts_per_s"] = benchmark::Counter(
      static_cast<double>(atts.size()) * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  if (sim.attestation_stats().rejected != 0) state.SkipWithError("rejected");
}
BENCHMARK(BM_SimVerifyAttestationBatch)->Arg(1024)->Unit(benchmark::kMillisecond);

/// A simulator over `n` validators, built once per size (100,000 keys take a while to make).
const Setup& shared_setup(std::size_t n) {
  static std::map<std::size_t, std::unique_ptr<Setup>> made;
  auto& s = made[n];
  if (!s) s = std::make_unique<Setup>(n);
  return *s;
}

void BM_SimAttesterDutiesEpoch(benchmark::State& state) {
  const Setup& s = shared_setup(static_cast<std::size_t>(state.range(0)));
  std::vector<ValidatorIndex> idx;
  for (const auto& v : s.config.validators) idx.push_back(v.index);
  std::uint64_t e = 0;
  sim::BeaconSim sim(s.config, s.clock);
  for (auto _ : state) {
    auto d = sim.attester_duties(Epoch{e++}, idx);  // a new epoch each time: no cache hit
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_SimAttesterDutiesEpoch)->Arg(64)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMicrosecond);

// A duties request for every validator once the epoch is cached (what each further request of an epoch costs:
// the scheduler's, each VC's, each batch's).
void BM_SimAttesterDutiesCachedEpoch(benchmark::State& state) {
  const Setup& s = shared_setup(static_cast<std::size_t>(state.range(0)));
  std::vector<ValidatorIndex> idx;
  for (const auto& v : s.config.validators) idx.push_back(v.index);
  sim::BeaconSim sim(s.config, s.clock);
  (void)sim.attester_duties(Epoch{1}, idx);
  for (auto _ : state) benchmark::DoNotOptimize(sim.attester_duties(Epoch{1}, idx));
}
BENCHMARK(BM_SimAttesterDutiesCachedEpoch)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

// Sync-committee duties for every validator (the committee is cached per period; lookups by position index).
void BM_SimSyncDutiesAll(benchmark::State& state) {
  const Setup& s = shared_setup(static_cast<std::size_t>(state.range(0)));
  std::vector<ValidatorIndex> idx;
  for (const auto& v : s.config.validators) idx.push_back(v.index);
  sim::BeaconSim sim(s.config, s.clock);
  for (auto _ : state) benchmark::DoNotOptimize(sim.sync_committee_duties(Epoch{1}, idx));
}
BENCHMARK(BM_SimSyncDutiesAll)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

ManualClock at_slot(std::uint64_t slot) {
  return ManualClock{TimePoint{} + std::chrono::seconds(12 * slot)};
}

/// A signed deneb block (BlockContents) re-published each iteration: RANDAO + block signature + hash_tree_root.
void BM_SimVerifyBlock(benchmark::State& state) {
  Setup s(4);
  s.config.chain = eth::devnet_config(eth::Fork::kDeneb, 0, Root{});
  auto clock = at_slot(70);
  sim::BeaconSim sim(s.config, clock);
  const Slot slot{70};
  auto proposer = sim.proposer_duties(Epoch{2}).at(6).validator_index;
  const auto& sk = s.keys[proposer.value];
  auto randao = sk.sign(eth::randao_signing_root(s.config.chain, Epoch{2})).to_bytes();
  auto produced = sim.produce_block(slot, randao, Root{});
  if (!produced) {
    state.SkipWithError("produce failed");
    return;
  }
  const auto& contents = std::get<4>(std::get<0>(produced->block).value);
  eth::deneb::SignedBlockContents signed_contents;
  signed_contents.signed_block.message = contents.block;
  signed_contents.signed_block.signature = sk.sign(eth::block_signing_root(s.config.chain, contents.block)).to_bytes();
  auto v = beaconapi::VersionedSignedProducedBlock::make<eth::Fork::kDeneb>(signed_contents);
  for (auto _ : state) {
    auto r = sim.submit_block(v);
    benchmark::DoNotOptimize(r);
  }
  if (sim.stats(sim::SimDuty::kProposal).rejected != 0) state.SkipWithError("rejected");
}
BENCHMARK(BM_SimVerifyBlock)->Unit(benchmark::kMicrosecond);

/// An electra SignedAggregateAndProof over the attesters of one committee: selection proof, the aggregate
/// (fast_aggregate_verify over the members) and the outer signature.
void BM_SimVerifyAggregate(benchmark::State& state) {
  Setup s(4);
  s.config.committees_per_slot = 1;
  auto clock = at_slot(40);
  sim::BeaconSim sim(s.config, clock);
  std::vector<ValidatorIndex> idx{ValidatorIndex{0}, ValidatorIndex{1}, ValidatorIndex{2}, ValidatorIndex{3}};
  auto duties = sim.attester_duties(Epoch{1}, idx);
  const auto d0 = duties.at(0);
  auto data = sim.attestation_data(d0.slot, 0);
  auto root = eth::attestation_signing_root(s.config.chain, data);
  for (const auto& d : duties) {
    if (d.slot != d0.slot) continue;
    eth::electra::SingleAttestation a{0, d.validator_index, data, s.keys[d.validator_index.value].sign(root).to_bytes()};
    (void)sim.submit(a);
  }
  auto agg = sim.aggregate_attestation(d0.slot, ssz::hash_tree_root(data), 0);
  if (!agg) {
    state.SkipWithError("no aggregate");
    return;
  }
  const auto& sk = s.keys[d0.validator_index.value];
  eth::electra::SignedAggregateAndProof item;
  item.message.aggregator_index = d0.validator_index;
  item.message.aggregate = std::get<5>(agg->value);
  item.message.selection_proof = sk.sign(eth::selection_proof_signing_root(s.config.chain, d0.slot)).to_bytes();
  item.signature = sk.sign(eth::aggregate_and_proof_signing_root(s.config.chain, item.message)).to_bytes();
  auto v = beaconapi::VersionedSignedAggregateAndProof::make<eth::Fork::kElectra>(item);
  for (auto _ : state) {
    auto r = sim.submit_aggregate(v);
    benchmark::DoNotOptimize(r);
  }
  if (sim.stats(sim::SimDuty::kAggregate).rejected != 0) state.SkipWithError("rejected");
}
BENCHMARK(BM_SimVerifyAggregate)->Unit(benchmark::kMicrosecond);

/// One SyncCommitteeMessage: membership, known root, one BLS verify, pooling.
void BM_SimVerifySyncMessage(benchmark::State& state) {
  Setup s(4);
  auto clock = at_slot(40);
  sim::BeaconSim sim(s.config, clock);
  const Slot slot{40};
  eth::altair::SyncCommitteeMessage m;
  m.slot = slot;
  m.beacon_block_root = sim.block_root(slot);
  m.validator_index = sim.sync_committee(Epoch{1}).at(0);
  m.signature = s.keys[m.validator_index.value]
                    .sign(eth::sync_committee_message_signing_root(s.config.chain, slot, m.beacon_block_root))
                    .to_bytes();
  for (auto _ : state) {
    auto r = sim.submit_sync_message(m);
    benchmark::DoNotOptimize(r);
  }
  if (sim.stats(sim::SimDuty::kSyncMessage).rejected != 0) state.SkipWithError("rejected");
}
BENCHMARK(BM_SimVerifySyncMessage)->Unit(benchmark::kMicrosecond);

/// A batch of sync committee messages of one slot from every member (one POST of a cluster): one randomised
/// same-message check for the whole batch. Arg = validators (all eligible; ~all are members).
void BM_SimVerifySyncMessageBatch(benchmark::State& state) {
  Setup s(static_cast<std::size_t>(state.range(0)));
  auto clock = at_slot(40);
  sim::BeaconSim sim(s.config, clock);
  const Slot slot{40};
  const Root root = sim.block_root(slot);
  auto committee = sim.sync_committee(Epoch{1});
  std::set<ValidatorIndex> members(committee.begin(), committee.end());
  std::vector<eth::altair::SyncCommitteeMessage> msgs;
  for (auto v : members) {
    eth::altair::SyncCommitteeMessage m;
    m.slot = slot;
    m.beacon_block_root = root;
    m.validator_index = v;
    m.signature =
        s.keys[v.value].sign(eth::sync_committee_message_signing_root(s.config.chain, slot, root)).to_bytes();
    msgs.push_back(m);
  }
  for (auto _ : state) {
    auto r = sim.submit_sync_messages(msgs);
    benchmark::DoNotOptimize(r);
  }
  state.counters["messages"] = static_cast<double>(msgs.size());
  state.counters["msgs_per_s"] = benchmark::Counter(
      static_cast<double>(msgs.size()) * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  if (sim.stats(sim::SimDuty::kSyncMessage).rejected != 0) state.SkipWithError("rejected");
}
BENCHMARK(BM_SimVerifySyncMessageBatch)->Arg(128)->Unit(benchmark::kMillisecond);

/// One SignedContributionAndProof (selected aggregator): selection proof, contribution signature, outer.
void BM_SimVerifyContribution(benchmark::State& state) {
  Setup s(4);
  auto clock = at_slot(64);
  sim::BeaconSim sim(s.config, clock);
  const auto& chain = s.config.chain;
  auto committee = sim.sync_committee(Epoch{1});
  const ValidatorIndex member = committee.at(0);
  const auto& sk = s.keys[member.value];
  for (std::uint64_t slot = 32; slot < 64; ++slot) {
    eth::altair::SyncAggregatorSelectionData sel{Slot{slot}, 0};
    auto proof = sk.sign(eth::sync_selection_proof_signing_root(chain, sel)).to_bytes();
    if (get_le64(crypto::hash::sha256(proof).data()) % 8 != 0) continue;
    const Root root = sim.block_root(Slot{slot});
    for (std::size_t v = 0; v < s.keys.size(); ++v) {
      eth::altair::SyncCommitteeMessage m;
      m.slot = Slot{slot};
      m.beacon_block_root = root;
      m.validator_index = ValidatorIndex{v};
      m.signature = s.keys[v].sign(eth::sync_committee_message_signing_root(chain, Slot{slot}, root)).to_bytes();
      (void)sim.submit_sync_message(m);
    }
    auto c = sim.sync_committee_contribution(Slot{slot}, 0, root);
    if (!c) break;
    eth::altair::SignedContributionAndProof item;
    item.message.aggregator_index = member;
    item.message.contribution = *c;
    item.message.selection_proof = proof;
    item.signature = sk.sign(eth::contribution_and_proof_signing_root(chain, item.message)).to_bytes();
    for (auto _ : state) {
      auto r = sim.submit_contribution(item);
      benchmark::DoNotOptimize(r);
    }
    if (sim.stats(sim::SimDuty::kSyncContribution).rejected != 0) state.SkipWithError("rejected");
    return;
  }
  state.SkipWithError("no aggregator slot found");
}
BENCHMARK(BM_SimVerifyContribution)->Unit(benchmark::kMicrosecond);

/// One builder registration (DOMAIN_APPLICATION_BUILDER) and one voluntary exit (EIP-7044 domain).
void BM_SimVerifyRegistration(benchmark::State& state) {
  Setup s(4);
  auto clock = at_slot(40);
  sim::BeaconSim sim(s.config, clock);
  eth::phase0::SignedValidatorRegistrationV1 reg;
  reg.message.gas_limit = 30'000'000;
  reg.message.pubkey = s.keys[1].public_key().to_bytes();
  reg.signature = s.keys[1].sign(eth::registration_signing_root(s.config.chain, reg.message)).to_bytes();
  for (auto _ : state) {
    auto r = sim.submit_registration(reg);
    benchmark::DoNotOptimize(r);
  }
  if (sim.stats(sim::SimDuty::kBuilderRegistration).rejected != 0) state.SkipWithError("rejected");
}
BENCHMARK(BM_SimVerifyRegistration)->Unit(benchmark::kMicrosecond);

void BM_SimVerifyExit(benchmark::State& state) {
  Setup s(4);
  auto clock = at_slot(40);
  sim::BeaconSim sim(s.config, clock);
  eth::phase0::SignedVoluntaryExit exit;
  exit.message.epoch = Epoch{1};
  exit.message.validator_index = ValidatorIndex{2};
  exit.signature = s.keys[2].sign(eth::voluntary_exit_signing_root(s.config.chain, exit.message, Epoch{1})).to_bytes();
  for (auto _ : state) {
    auto r = sim.submit_exit(exit);
    benchmark::DoNotOptimize(r);
  }
  if (sim.stats(sim::SimDuty::kVoluntaryExit).rejected != 0) state.SkipWithError("rejected");
}
BENCHMARK(BM_SimVerifyExit)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
