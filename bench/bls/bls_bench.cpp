// Google Benchmark suite for the BLS12-381 core (single thread).
#include <benchmark/benchmark.h>

#include <vector>

#include "crypto/bls/bls.hpp"
#include "crypto/bls/pairing.hpp"

using namespace phx;
using namespace phx::crypto::bls;

namespace {

SecretKey bench_key(std::uint8_t seed) { return *SecretKey::keygen(Bytes(32, seed)); }

void BM_FpMul(benchmark::State& state) {
  Fp a = Fp::from_u64(7).inverse(), b = Fp::from_u64(11).inverse();
  for (auto _ : state) {
    a = a * b;
    benchmark::DoNotOptimize(a);
  }
}
BENCHMARK(BM_FpMul);

void BM_FpMulPortable(benchmark::State& state) {
  auto a = Fp::from_u64(7).inverse().mont();
  const auto b = Fp::from_u64(11).inverse().mont();
  for (auto _ : state) {
    a = detail::mont_mul_portable(a, b, detail::FpParams::kModulus);
    benchmark::DoNotOptimize(a);
  }
}
BENCHMARK(BM_FpMulPortable);

void BM_FpInverse(benchmark::State& state) {
  Fp a = Fp::from_u64(7).inverse();
  for (auto _ : state) {
    a = a.inverse();
    benchmark::DoNotOptimize(a);
  }
}
BENCHMARK(BM_FpInverse);

void BM_Fp2Mul(benchmark::State& state) {
  Fp2 a{Fp::from_u64(7).inverse(), Fp::from_u64(3).inverse()}, b{Fp::from_u64(11).inverse(), Fp::from_u64(5)};
  for (auto _ : state) {
    a = a * b;
    benchmark::DoNotOptimize(a);
  }
}
BENCHMARK(BM_Fp2Mul);

void BM_FpSqr(benchmark::State& state) {
  Fp a = Fp::from_u64(7).inverse();
  for (auto _ : state) {
    a = a.sqr();
    benchmark::DoNotOptimize(a);
  }
}
BENCHMARK(BM_FpSqr);

void BM_Fp2Sqr(benchmark::State& state) {
  Fp2 a{Fp::from_u64(7).inverse(), Fp::from_u64(3).inverse()};
  for (auto _ : state) {
    a = a.sqr();
    benchmark::DoNotOptimize(a);
  }
}
BENCHMARK(BM_Fp2Sqr);

Fp12 bench_fp12(std::uint64_t seed) {
  Fp12 f;
  Fp2* c[6] = {&f.c0.c0, &f.c0.c1, &f.c0.c2, &f.c1.c0, &f.c1.c1, &f.c1.c2};
  for (std::uint64_t i = 0; i < 6; ++i) *c[i] = {Fp::from_u64(seed + 2 * i).inverse(), Fp::from_u64(seed + 2 * i + 1)};
  return f;
}

void BM_Fp6Mul(benchmark::State& state) {
  Fp6 a = bench_fp12(3).c0;
  const Fp6 b = bench_fp12(17).c1;
  for (auto _ : state) {
    a = a * b;
    benchmark::DoNotOptimize(a);
  }
}
BENCHMARK(BM_Fp6Mul);

void BM_Fp12Mul(benchmark::State& state) {
  Fp12 a = bench_fp12(3);
  const Fp12 b = bench_fp12(17);
  for (auto _ : state) {
    a = a * b;
    benchmark::DoNotOptimize(a);
  }
}
BENCHMARK(BM_Fp12Mul);

void BM_Fp12Sqr(benchmark::State& state) {
  Fp12 a = bench_fp12(3);
  for (auto _ : state) {
    a = a.sqr();
    benchmark::DoNotOptimize(a);
  }
}
BENCHMARK(BM_Fp12Sqr);

void BM_Fp12CyclotomicSqr(benchmark::State& state) {
  const Fp12 f = bench_fp12(3);
  Fp12 a = f.conj() * f.inverse();
  a = a.frobenius(2) * a;  // in the cyclotomic subgroup
  for (auto _ : state) {
    a = a.cyclotomic_sqr();
    benchmark::DoNotOptimize(a);
  }
}
BENCHMARK(BM_Fp12CyclotomicSqr);

void BM_Fp12MulBy014(benchmark::State& state) {
  Fp12 a = bench_fp12(3);
  const Fp12 b = bench_fp12(17);
  for (auto _ : state) {
    a = a.mul_by_014(b.c0.c0, b.c0.c1, b.c1.c1);
    benchmark::DoNotOptimize(a);
  }
}
BENCHMARK(BM_Fp12MulBy014);

void BM_G1Mul(benchmark::State& state) {
  const G1 g = G1::generator();
  const Fr k = Fr::random();
  for (auto _ : state) benchmark::DoNotOptimize(g.mul(k));
}
BENCHMARK(BM_G1Mul)->Unit(benchmark::kMicrosecond);

void BM_G2Mul(benchmark::State& state) {
  const G2 g = G2::generator();
  const Fr k = Fr::random();
  for (auto _ : state) benchmark::DoNotOptimize(g.mul(k));
}
BENCHMARK(BM_G2Mul)->Unit(benchmark::kMicrosecond);

void BM_HashToG2(benchmark::State& state) {
  Bytes msg(32, 0xab);
  for (auto _ : state) {
    msg[0]++;
    benchmark::DoNotOptimize(hash_to_g2(msg));
  }
}
BENCHMARK(BM_HashToG2)->Unit(benchmark::kMicrosecond);

void BM_Sign(benchmark::State& state) {
  const SecretKey sk = bench_key(1);
  Bytes msg(32, 0x11);
  for (auto _ : state) {
    msg[0]++;
    benchmark::DoNotOptimize(sk.sign(msg));
  }
}
BENCHMARK(BM_Sign)->Unit(benchmark::kMicrosecond);

void BM_Verify(benchmark::State& state) {
  const SecretKey sk = bench_key(2);
  const PublicKey pk = sk.public_key();
  const Bytes msg(32, 0x22);
  const Signature sig = sk.sign(msg);
  for (auto _ : state) {
    const bool ok = verify(pk, msg, sig);
    if (!ok) state.SkipWithError("verify failed");
    benchmark::DoNotOptimize(ok);
  }
}
BENCHMARK(BM_Verify)->Unit(benchmark::kMicrosecond);

// AggregateVerify over 8 distinct messages (one signer each, one aggregate signature): 8 hash-to-G2 and a
// 9-pair multi-pairing. blst's counterpart is bench/blst_bench.mjs's aggregate_verify_8.
void BM_AggregateVerify(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::vector<PublicKey> pks;
  std::vector<Bytes> msgs;
  std::vector<Signature> sigs;
  for (std::size_t i = 0; i < n; ++i) {
    const SecretKey sk = bench_key(static_cast<std::uint8_t>(40 + i));
    msgs.emplace_back(32, static_cast<std::uint8_t>(0x30 + i));
    pks.push_back(sk.public_key());
    sigs.push_back(sk.sign(msgs.back()));
  }
  const Signature agg = *aggregate(sigs);
  const std::vector<ByteSpan> spans(msgs.begin(), msgs.end());
  for (auto _ : state) {
    const bool ok = aggregate_verify(pks, spans, agg);
    if (!ok) state.SkipWithError("aggregate_verify failed");
    benchmark::DoNotOptimize(ok);
  }
}
BENCHMARK(BM_AggregateVerify)->Arg(8)->Unit(benchmark::kMicrosecond);

void BM_MillerLoop(benchmark::State& state) {
  const G1 p[1] = {G1::generator().mul(Fr::random())};
  const G2 q[1] = {G2::generator().mul(Fr::random())};
  for (auto _ : state) benchmark::DoNotOptimize(miller_loop(p, q));
}
BENCHMARK(BM_MillerLoop)->Unit(benchmark::kMicrosecond);

// Two pairs with affine inputs, as in verify: (−g1, σ) and (pk, H(m)).
void BM_MillerLoop2(benchmark::State& state) {
  const G1 p[2] = {G1::generator().neg(), G1::generator().mul(Fr::from_u64(5))};
  const G2 q[2] = {G2::generator().mul(Fr::from_u64(7)), G2::generator().mul(Fr::from_u64(11))};
  Fp2 x0, y0, x1, y1;
  q[0].to_affine(x0, y0);
  q[1].to_affine(x1, y1);
  const G2 qa[2] = {G2::from_affine_unchecked(x0, y0), G2::from_affine_unchecked(x1, y1)};
  Fp px, py;
  p[1].to_affine(px, py);
  const G1 pa[2] = {p[0], G1::from_affine_unchecked(px, py)};
  for (auto _ : state) benchmark::DoNotOptimize(miller_loop(pa, qa));
}
BENCHMARK(BM_MillerLoop2)->Unit(benchmark::kMicrosecond);

void BM_FinalExp(benchmark::State& state) {
  const G1 p[1] = {G1::generator()};
  const G2 q[1] = {G2::generator()};
  const Fp12 f = miller_loop(p, q);
  for (auto _ : state) benchmark::DoNotOptimize(final_exponentiation(f));
}
BENCHMARK(BM_FinalExp)->Unit(benchmark::kMicrosecond);

void BM_Pairing(benchmark::State& state) {
  const G1 p = G1::generator().mul(Fr::random());
  const G2 q = G2::generator().mul(Fr::random());
  for (auto _ : state) benchmark::DoNotOptimize(pairing(p, q));
}
BENCHMARK(BM_Pairing)->Unit(benchmark::kMicrosecond);

/// n (key, message, signature) sets over `messages` distinct messages (0 = all distinct); `threads` as passed
/// to batch_verify.
void run_batch_verify(benchmark::State& state, unsigned threads, std::size_t messages = 0) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::vector<SignatureSet> sets;
  for (std::size_t i = 0; i < n; ++i) {
    const SecretKey sk = bench_key(static_cast<std::uint8_t>(i));
    const std::size_t mi = messages == 0 ? i : i % messages;
    Bytes m(32, static_cast<std::uint8_t>(mi));
    m[1] = static_cast<std::uint8_t>(mi >> 8);
    sets.push_back(SignatureSet{sk.public_key(), m, sk.sign(m)});
  }
  for (auto _ : state) {
    const bool ok = batch_verify(sets, threads);
    if (!ok) state.SkipWithError("batch verify failed");
    benchmark::DoNotOptimize(ok);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
  state.counters["per_sig_us"] = benchmark::Counter(static_cast<double>(state.iterations() * n) / 1e6,
                                                    benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_BatchVerify(benchmark::State& state) { run_batch_verify(state, 1); }
BENCHMARK(BM_BatchVerify)->Arg(64)->Unit(benchmark::kMillisecond);

// 64 sets over 4 messages (e.g. four committees' AttestationData): 4 hashes and 5 Miller pairs.
void BM_BatchVerifyFourMessages(benchmark::State& state) { run_batch_verify(state, 1, 4); }
BENCHMARK(BM_BatchVerifyFourMessages)->Arg(64)->Unit(benchmark::kMillisecond);

// Two threads (this machine's cores), as native blst's batch verification uses its thread pool. Wall time.
void BM_BatchVerifyTwoThreads(benchmark::State& state) { run_batch_verify(state, 2); }
BENCHMARK(BM_BatchVerifyTwoThreads)->Arg(64)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_G2DeserializeCompressed(benchmark::State& state) {
  const auto enc = G2::generator().mul(Fr::random()).to_compressed();
  for (auto _ : state) benchmark::DoNotOptimize(G2::from_compressed(enc));
}
BENCHMARK(BM_G2DeserializeCompressed)->Unit(benchmark::kMicrosecond);

void BM_G1DeserializeCompressed(benchmark::State& state) {
  const auto enc = G1::generator().mul(Fr::random()).to_compressed();
  for (auto _ : state) benchmark::DoNotOptimize(G1::from_compressed(enc));
}
BENCHMARK(BM_G1DeserializeCompressed)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
