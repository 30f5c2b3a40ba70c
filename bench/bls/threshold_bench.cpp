// Threshold BLS benchmarks (compiled into bls_bench by bench/bls/CMakeLists.txt).
//   BM_Recombine/<t>of<n>          recombine t partial signatures (G2 MSM; Lagrange coefficients cached, as
//   in
//                                  production where signer sets repeat)
//   BM_RecombineUncached/<t>of<n>  the same with a cold cache (coefficients computed every time)
//   BM_SameMessageVerify/<t>       one randomised check of t partial signatures on one message (hash
//   included) BM_VerifyEachPartial/<t>       the naive alternative: t separate verify() calls
#include <benchmark/benchmark.h>

#include <vector>

#include "crypto/bls/bls.hpp"
#include "crypto/threshold/threshold.hpp"

namespace {

using namespace phx;
using namespace phx::crypto;

struct Fixture {
  std::vector<threshold::PartialSignature> partials;
  std::vector<bls::PublicKey> pubshares;
  std::vector<bls::Signature> sigs;
  Bytes msg;
};

Fixture make_fixture(std::uint32_t t, std::uint32_t n) {
  bls::SecretKey sk = bls::SecretKey::from_scalar(bls::Fr::random());
  auto s = threshold::split(sk, t, n);
  Fixture f;
  f.msg = Bytes(32, 0x5a);  // a signing root
  // Use the last t shares: recombination must not rely on the first indices.
  for (std::uint32_t i = n - t; i < n; ++i) {
    const auto& sh = s->shares[i];
    f.partials.push_back({sh.idx, sh.secret.sign(f.msg)});
    f.pubshares.push_back(sh.secret.public_key());
    f.sigs.push_back(f.partials.back().partial_sig);
  }
  return f;
}

void BM_Recombine(benchmark::State& state, std::uint32_t t, std::uint32_t n) {
  const Fixture f = make_fixture(t, n);
  threshold::LagrangeCache cache;
  auto warm = threshold::recombine_signatures(f.partials, t, cache);  // warm the cache
  if (!warm) state.SkipWithError("recombination failed");
  for (auto _ : state) {
    auto sig = threshold::recombine_signatures(f.partials, t, cache);
    benchmark::DoNotOptimize(sig);
  }
}
BENCHMARK_CAPTURE(BM_Recombine, 3of4, 3, 4)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Recombine, 11of16, 11, 16)->Unit(benchmark::kMicrosecond);

void BM_RecombineUncached(benchmark::State& state, std::uint32_t t, std::uint32_t n) {
  const Fixture f = make_fixture(t, n);
  for (auto _ : state) {
    threshold::LagrangeCache cold(1);
    auto sig = threshold::recombine_signatures(f.partials, t, cold);
    benchmark::DoNotOptimize(sig);
  }
}
BENCHMARK_CAPTURE(BM_RecombineUncached, 3of4, 3, 4)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_RecombineUncached, 11of16, 11, 16)->Unit(benchmark::kMicrosecond);

void BM_SameMessageVerify(benchmark::State& state) {
  const auto t = static_cast<std::uint32_t>(state.range(0));
  const Fixture f = make_fixture(t, t + 1);
  for (auto _ : state) {
    bool ok = threshold::verify_partials_same_message(f.pubshares, f.msg, f.sigs);
    if (!ok) state.SkipWithError("valid partials rejected");
    benchmark::DoNotOptimize(ok);
  }
}
BENCHMARK(BM_SameMessageVerify)->Arg(3)->Arg(11)->Unit(benchmark::kMicrosecond);

// The same check starting from the partials' wire bytes (decompression + subgroup check of each partial
// signature included), which is what @chainsafe/blst's aggregateWithRandomness + verify does.
void BM_SameMessageVerifyFromBytes(benchmark::State& state) {
  const auto t = static_cast<std::uint32_t>(state.range(0));
  const Fixture f = make_fixture(t, t + 1);
  std::vector<ByteArray<96>> wire;
  for (const auto& s : f.sigs) wire.push_back(s.to_bytes());
  for (auto _ : state) {
    std::vector<bls::Signature> sigs;
    sigs.reserve(wire.size());
    for (const auto& w : wire) sigs.push_back(*bls::Signature::from_bytes(w));
    bool ok = threshold::verify_partials_same_message(f.pubshares, f.msg, sigs);
    if (!ok) state.SkipWithError("valid partials rejected");
    benchmark::DoNotOptimize(ok);
  }
}
BENCHMARK(BM_SameMessageVerifyFromBytes)->Arg(3)->Arg(11)->Unit(benchmark::kMicrosecond);

void BM_VerifyEachPartial(benchmark::State& state) {
  const auto t = static_cast<std::uint32_t>(state.range(0));
  const Fixture f = make_fixture(t, t + 1);
  for (auto _ : state) {
    bool ok = true;
    for (std::size_t i = 0; i < f.sigs.size(); ++i) ok = bls::verify(f.pubshares[i], f.msg, f.sigs[i]) && ok;
    if (!ok) state.SkipWithError("valid partials rejected");
    benchmark::DoNotOptimize(ok);
  }
}
BENCHMARK(BM_VerifyEachPartial)->Arg(3)->Unit(benchmark::kMicrosecond);

}  // namespace
