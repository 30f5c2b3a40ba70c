// Start-up key loading costs: one EIP-2335 keystore at the default scrypt N = 2^18 or PBKDF2 c = 2^18 (what 10,000
// keystores cost N times over, spread on the cores) against the keystore cache of 10,000 keys (one scrypt for all).
#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <vector>

#include "crypto/hash/pbkdf2.hpp"
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

// The KDF alone, per EIP-2335 keystore (c = 2^18, 32-byte salt, 32-byte key): OpenSSL's PKCS5_PBKDF2_HMAC against
// ours, with 1 … 6 keystores interleaved on one core (the figure is per keystore: CPU time ÷ lanes).
constexpr std::uint32_t kDefaultC = 1u << 18;

void BM_Pbkdf2OpenSsl(benchmark::State& state) {
  const Bytes pw(12, 0x61), salt(32, 0x5a);
  std::uint8_t out[32];
  for (auto _ : state) {
    PKCS5_PBKDF2_HMAC(reinterpret_cast<const char*>(pw.data()), 12, salt.data(), 32, static_cast<int>(kDefaultC),
                      EVP_sha256(), 32, out);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_Pbkdf2OpenSsl)->Unit(benchmark::kMillisecond)->Iterations(20);

void BM_Pbkdf2PerKey(benchmark::State& state) {
  const auto lanes = static_cast<std::size_t>(state.range(0));
  const Bytes pw(12, 0x61), salt(32, 0x5a);
  std::vector<Bytes> outs(lanes, Bytes(32));
  std::vector<hash::Pbkdf2Job> jobs;
  for (auto& o : outs) jobs.push_back(hash::Pbkdf2Job{pw, salt, kDefaultC, o});
  for (auto _ : state) {
    hash::pbkdf2_hmac_sha256_many_lanes(jobs, lanes);
    benchmark::DoNotOptimize(outs.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * lanes));
  state.counters["cpu_per_key_ms"] = benchmark::Counter(
      static_cast<double>(state.iterations() * lanes) / 1000.0,
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_Pbkdf2PerKey)->DenseRange(1, 6)->Unit(benchmark::kMillisecond)->Iterations(20);

void BM_Pbkdf2PerKeyPortable(benchmark::State& state) {
  const Bytes pw(12, 0x61), salt(32, 0x5a);
  Bytes out(32);
  const hash::Pbkdf2Job job{pw, salt, kDefaultC, out};
  for (auto _ : state) {
    hash::pbkdf2_hmac_sha256_many_portable(std::span<const hash::Pbkdf2Job>(&job, 1));
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_Pbkdf2PerKeyPortable)->Unit(benchmark::kMillisecond)->Iterations(5);

// Whole keystores through decrypt_many, kPbkdf2Lanes PBKDF2 (c = 2^18) keystores per call as the node's loader
// does on each core; the counter is CPU time per keystore.
void BM_DecryptManyDefaultPbkdf2Keystores(benchmark::State& state) {
  std::vector<std::string> stores;
  for (std::size_t i = 0; i < hash::kPbkdf2Lanes; ++i) {
    EncryptOptions o;
    o.kdf = Kdf::kPbkdf2;
    stores.push_back(*encrypt(key(i), "a password", o));
  }
  std::vector<DecryptJob> jobs;
  for (const auto& s : stores) jobs.push_back(DecryptJob{s, "a password"});
  for (auto _ : state) benchmark::DoNotOptimize(decrypt_many(jobs));
  state.counters["cpu_per_key_ms"] = benchmark::Counter(
      static_cast<double>(state.iterations() * jobs.size()) / 1000.0,
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_DecryptManyDefaultPbkdf2Keystores)->Unit(benchmark::kMillisecond)->Iterations(10);

void BM_DecryptKeystoreCache(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::vector<CacheEntry> entries;
  for (std::size_t i = 0; i < n; ++i) {
    auto sk = key(i);
    entries.push_back(CacheEntry{sk.public_key().to_bytes(), std::move(sk)});
  }
  const Bytes password(n * 40, 0x61);  // the length-prefixed passwords of n keystores
  const auto file = *encrypt_cache(entries, password, ByteArray<32>{}, Kdf::kScrypt, 1u << 18);
  for (auto _ : state) benchmark::DoNotOptimize(decrypt_cache(file, password));
  state.counters["keys"] = static_cast<double>(n);
}
BENCHMARK(BM_DecryptKeystoreCache)->Arg(10'000)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace phx::crypto::keystore

BENCHMARK_MAIN();
