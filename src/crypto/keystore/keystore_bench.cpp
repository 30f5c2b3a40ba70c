// Start-up key loading costs: one EIP-2335 keystore at the default scrypt N = 2^18 or PBKDF2 c = 2^18 (what 10,000
// keystores cost N times over, spread on the cores) against the keystore cache of 10,000 keys (one scrypt for all).
#include <benchmark/benchmark.h>

#include "crypto/keystore/cache.hpp"
#include "crypto/keystore/eip2335.hpp"

namespace phx::crypto::keystore {
namespace {

bls::SecretKey key(std::size_t i) {
  Bytes ikm(32, static_cast<std::uint8_t>(i + 1));
  ikm[1] = static_cast<std::uint8_t>(i >> 8);
  return *bls::SecretKey::keygen(ikm);
}

// One keystore per iteration and thread; with ->Threads(2) both cores decrypt at once (the CPU column is then the
// process's CPU time per iteration of one thread, i.e. per key, comparable to the single-thread row).
void decrypt_default(benchmark::State& state, Kdf kdf) {
  EncryptOptions o;
  o.kdf = kdf;  // cost 2^18 (EIP-2335's default for both; scrypt r = 8, p = 1)
  const auto json = *encrypt(key(static_cast<std::size_t>(state.thread_index())), "a password", o);
  for (auto _ : state) benchmark::DoNotOptimize(decrypt(json, "a password"));
}

void BM_DecryptDefaultScryptKeystore(benchmark::State& state) { decrypt_default(state, Kdf::kScrypt); }
BENCHMARK(BM_DecryptDefaultScryptKeystore)->Unit(benchmark::kMillisecond)->Iterations(4);
BENCHMARK(BM_DecryptDefaultScryptKeystore)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(4)
    ->Threads(2)
    ->MeasureProcessCPUTime()
    ->UseRealTime();

void BM_DecryptDefaultPbkdf2Keystore(benchmark::State& state) { decrypt_default(state, Kdf::kPbkdf2); }
BENCHMARK(BM_DecryptDefaultPbkdf2Keystore)->Unit(benchmark::kMillisecond)->Iterations(40);
BENCHMARK(BM_DecryptDefaultPbkdf2Keystore)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(40)
    ->Threads(2)
    ->MeasureProcessCPUTime()
    ->UseRealTime();

void BM_DecryptKeystoreCache(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::vector<CacheEntry> entries;
  for (std::size_t i = 0; i < n; ++i) {
    auto sk = key(i);
    entries.push_back(CacheEntry{sk.public_key().to_bytes(), std::move(sk)});
  }
  const Bytes password(n * 40, 0x61);  // the length-prefixed passwords of n keystores
  const auto file = *encrypt_cache(entries, password, ByteArray<32>{}, 1u << 18);
  for (auto _ : state) benchmark::DoNotOptimize(decrypt_cache(file, password));
  state.counters["keys"] = static_cast<double>(n);
}
BENCHMARK(BM_DecryptKeystoreCache)->Arg(10'000)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace phx::crypto::keystore

BENCHMARK_MAIN();
