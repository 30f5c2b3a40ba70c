// SigAgg for one attester duty of 1,000 validators in a 4-operator cluster with threshold 3:
// the optimistic path (recombine, one batch check), the same with one bad partial (bisection over the batch,
// then find_invalid_partials for the failing validator), and, for comparison, the pessimistic approach of
// batch-verifying every partial before recombining.
#include <benchmark/benchmark.h>

#include <vector>

#include "core/sigagg.hpp"
#include "core/types.hpp"

namespace phx::core {
namespace {

namespace bls = crypto::bls;
namespace threshold = crypto::threshold;

constexpr std::size_t kValidators = 1000;
constexpr std::uint32_t kN = 4;
constexpr std::uint32_t kT = 3;

struct Fixture {
  KeyBook book;
  std::vector<ThresholdSet> good;        // partials of shares 1, 2, 3
  std::vector<ThresholdSet> one_bad;     // validator 500: share 1 signed another message; share 4 present too
  std::vector<ThresholdSet> committees;  // pre-electra layout: 64 committees, one AttestationData (root) each
};

Fixture make_fixture() {
  eth::ChainConfig cfg = eth::mainnet_config();
  const Slot slot{6400};
  eth::phase0::AttestationData data{};
  data.slot = slot;
  data.target.epoch = Epoch{200};
  data.source.epoch = Epoch{199};
  const SignedMessage msg{data};
  const Root root = signing_root(cfg, msg);
  const Root other = signing_root(cfg, SignedMessage{RandaoMessage{Epoch{1}}});
  const Duty duty{slot, DutyType::kAttester};

  std::vector<LockValidator> lock;
  std::vector<ThresholdSet> good;
  std::vector<ThresholdSet> one_bad;
  std::vector<ThresholdSet> committees;
  for (std::size_t v = 0; v < kValidators; ++v) {
    const bls::SecretKey sk = bls::SecretKey::from_scalar(bls::Fr::random());
    auto split = threshold::split(sk, kT, kN);
    LockValidator lv;
    const PubKey pk = sk.public_key().to_bytes();
    lv.distributed_public_key.assign(pk.begin(), pk.end());
    for (const auto& s : split->shares) {
      const auto b = s.secret.public_key().to_bytes();
      lv.public_shares.emplace_back(b.begin(), b.end());
    }
    lock.push_back(std::move(lv));
    ThresholdSet set{duty, pk, root, msg, {}};
    for (std::uint32_t i = 1; i <= kT; ++i)
      set.partials.push_back({ShareIdx{i}, split->shares[i - 1].secret.sign(root)});
    good.push_back(set);
    if (v == kValidators / 2) {
      set.partials[0].partial_sig = split->shares[0].secret.sign(other);
      set.partials.push_back({ShareIdx{4}, split->shares[3].secret.sign(root)});
    }
    eth::phase0::AttestationData cdata = data;
    cdata.index = v % 64;
    const SignedMessage cmsg{cdata};
    const Root croot = signing_root(cfg, cmsg);
    ThresholdSet cset{duty, pk, croot, cmsg, {}};
    for (std::uint32_t i = 1; i <= kT; ++i)
      cset.partials.push_back({ShareIdx{i}, split->shares[i - 1].secret.sign(croot)});
    committees.push_back(std::move(cset));
    one_bad.push_back(std::move(set));
  }
  auto book = KeyBook::from_lock(lock, kT);
  return Fixture{std::move(*book), std::move(good), std::move(one_bad), std::move(committees)};
}

const Fixture& fixture() {
  static const Fixture f = make_fixture();
  return f;
}

void BM_SigAggOptimistic(benchmark::State& state) {
  const Fixture& f = fixture();
  SigAgg agg(f.book, threshold::default_lagrange_cache(), static_cast<unsigned>(state.range(0)));
  for (auto _ : state) {
    auto out = agg.aggregate(f.good);
    if (!out[0].aggregate || !out.back().aggregate) state.SkipWithError("aggregation failed");
    benchmark::DoNotOptimize(out);
  }
  state.counters["validators"] = static_cast<double>(kValidators);
}
BENCHMARK(BM_SigAggOptimistic)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

void BM_SigAggOneBadShare(benchmark::State& state) {
  const Fixture& f = fixture();
  SigAgg agg(f.book, threshold::default_lagrange_cache(), static_cast<unsigned>(state.range(0)));
  for (auto _ : state) {
    auto out = agg.aggregate(f.one_bad);
    const auto& hit = out[kValidators / 2];
    if (!hit.aggregate || hit.blamed.size() != 1) state.SkipWithError("bad share not recovered");
    benchmark::DoNotOptimize(out);
  }
  state.counters["batch_checks/iter"] =
      benchmark::Counter(static_cast<double>(agg.stats().batch_checks), benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_SigAggOneBadShare)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

void BM_SigAggOptimistic64Roots(benchmark::State& state) {
  const Fixture& f = fixture();
  SigAgg agg(f.book, threshold::default_lagrange_cache(), static_cast<unsigned>(state.range(0)));
  for (auto _ : state) {
    auto out = agg.aggregate(f.committees);
    if (!out[0].aggregate || !out.back().aggregate) state.SkipWithError("aggregation failed");
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_SigAggOptimistic64Roots)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(2.0);

// Baseline: verify every partial first (3,000 partials, one same-message randomised check, as SigAgg does
// for aggregates) and only then recombine, as a non-optimistic aggregator would.
void BM_VerifyAllPartialsThenRecombine(benchmark::State& state) {
  const Fixture& f = fixture();
  std::vector<bls::PublicKey> pubshares;
  std::vector<bls::Signature> sigs;
  for (const auto& s : f.good) {
    const ValidatorKeys* v = f.book.find(s.pubkey);
    for (const auto& p : s.partials) {
      pubshares.push_back(v->pubshares[p.idx.value - 1]);
      sigs.push_back(p.partial_sig);
    }
  }
  const Root root = f.good.front().signing_root;
  for (auto _ : state) {
    if (!threshold::verify_partials_same_message(pubshares, root, sigs)) state.SkipWithError("bad partials");
    for (const auto& s : f.good) {
      auto agg = threshold::recombine_signatures(s.partials, kT);
      benchmark::DoNotOptimize(agg);
    }
  }
}
BENCHMARK(BM_VerifyAllPartialsThenRecombine)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

}  // namespace
}  // namespace phx::core

BENCHMARK_MAIN();
