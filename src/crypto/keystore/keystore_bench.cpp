// Start-up key loading costs: one EIP-2335 keystore at the default scrypt N = 2^18 (what 10,000 keystores cost
// N times over, spread on the cores) against the keystore cache of 10,000 keys (one scrypt for all).
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

void BM_DecryptDefaultScryptKeystore(benchmark::State& state) {
  const auto json = *encrypt(key(0), "a password", EncryptOptions{});  // scrypt N = 2^18, r = 8, p = 1
  for (auto _ : state) benchmark::DoNotOptimize(decrypt(json, "a password"));
}
BENCHMARK(BM_DecryptDefaultScryptKeystore)->Unit(benchmark::kMillisecond)->Iterations(4);

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
