// Beacon simulator benchmarks: verifying one submitted SingleAttestation (duty lookup, data check, signing
// root, BLS verify) and computing an epoch's attester duties for the whole validator set.
#include <benchmark/benchmark.h>

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

void BM_SimAttesterDutiesEpoch(benchmark::State& state) {
  Setup s(static_cast<std::size_t>(state.range(0)));
  std::vector<ValidatorIndex> idx;
  for (const auto& v : s.config.validators) idx.push_back(v.index);
  std::uint64_t e = 0;
  sim::BeaconSim sim(s.config, s.clock);
  for (auto _ : state) {
    auto d = sim.attester_duties(Epoch{e++}, idx);  // a new epoch each time: no cache hit
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_SimAttesterDutiesEpoch)->Arg(64)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
