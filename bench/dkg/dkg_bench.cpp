// dkg_bench: one whole in-memory DKG ceremony (issue 14) per iteration, all nodes in this thread, messages
// delivered in FIFO order without loss. Reports CPU time per node per round (thread CPU clock around every
// call into a node, attributed to the round the node was in when the call started) and in total.
//   BM_Ceremony/<n>/<t>/<V>: 3 signing roots per validator (two deposit amounts + a builder registration, as
//   a Charon lock with two amounts), 1,000 validators per chunk, real secp256k1 and BLS12-381.
#include <benchmark/benchmark.h>
#include <time.h>

#include <array>
#include <deque>
#include <memory>

#include "crypto/hash/sha256.hpp"
#include "dkg/ceremony.hpp"

namespace {

using namespace phx;
using namespace phx::dkg;

/// Stand-in for the cluster format (benchmark double): SHA-256 signing roots and lock hash.
class HashingPlanForBench final : public ArtifactPlan {
 public:
  std::uint32_t roots_per_validator() const override { return 3; }
  std::vector<Root> signing_roots(std::uint32_t v, const crypto::bls::PublicKey& pk) const override {
    std::vector<Root> out;
    for (std::uint8_t a = 0; a < 3; ++a) {
      Bytes b(pk.to_bytes().begin(), pk.to_bytes().end());
      b.push_back(a);
      b.push_back(static_cast<std::uint8_t>(v));
      out.push_back(crypto::hash::sha256(b));
    }
    return out;
  }
  Root lock_hash(std::span<const ValidatorPublic> vs) const override {
    crypto::hash::Sha256 h;
    for (const auto& v : vs) {
      h.update(v.pubkey.to_bytes());
      for (const auto& s : v.pubshares) h.update(s.to_bytes());
      for (const auto& s : v.signatures) h.update(s.to_bytes());
    }
    return h.finish();
  }
};

double thread_cpu() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

crypto::k1::SecretKey key(std::uint32_t i) {
  ByteArray<32> b{};
  b[0] = 0x22;
  b[31] = static_cast<std::uint8_t>(i + 1);
  return *crypto::k1::SecretKey::from_bytes(b);
}

void BM_Ceremony(benchmark::State& state) {
  const auto n = static_cast<std::uint32_t>(state.range(0));
  const auto t = static_cast<std::uint32_t>(state.range(1));
  const auto v = static_cast<std::uint32_t>(state.range(2));
  Params p;
  p.definition_hash.fill(0xab);
  p.threshold = t;
  p.validators = v;
  p.chunk_validators = kMaxChunkValidators;
  p.roots_per_validator = 3;
  std::vector<crypto::k1::PublicKey> ids;
  for (std::uint32_t i = 0; i < n; ++i) {
    p.participants.push_back(Participant{key(i).public_key(), true, i + 1, true, i + 1});
    ids.push_back(key(i).public_key());
  }
  const K1NodeVerifier verifier(ids);
  const HashingPlanForBench plan;
  std::vector<std::unique_ptr<K1NodeSigner>> signers;
  for (std::uint32_t i = 0; i < n; ++i) signers.push_back(std::make_unique<K1NodeSigner>(key(i)));
  std::array<double, 6> per_round{};
  double total = 0;
  std::uint64_t bytes = 0, iteration = 0;
  for (auto _ : state) {
    std::vector<std::unique_ptr<Ceremony>> nodes;
    for (std::uint32_t i = 0; i < n; ++i) {
      LocalConfig l;
      l.self = i;
      nodes.push_back(std::make_unique<Ceremony>(p, l, *signers[i], verifier, plan));
    }
    std::deque<std::pair<std::uint32_t, Bytes>> queue;  // (from, bytes), broadcast to all others
    std::uint32_t finished = 0;
    bool failed = false;
    std::function<void(std::uint32_t, Outbox)> absorb = [&](std::uint32_t i, Outbox out) {
      for (auto& m : out.messages) {
        bytes += m.bytes.size() * (n - 1);
        queue.emplace_back(i, std::move(m.bytes));
      }
      failed = failed || out.failure.has_value();
      if (out.finished) ++finished;
      if (out.result) {
        const std::vector<Root> arts{out.result->lock_hash};
        const auto r = static_cast<std::size_t>(nodes[i]->round());
        const double c0 = thread_cpu();
        Outbox o = nodes[i]->on_artifacts_written(arts, 0);
        const double dt = thread_cpu() - c0;
        per_round[r] += dt;
        total += dt;
        absorb(i, std::move(o));
      }
    };
    for (std::uint32_t i = 0; i < n; ++i) {
      ByteArray<32> s{};
      put_be64(s.data(), ++iteration);
      s[31] = static_cast<std::uint8_t>(i);
      const double c0 = thread_cpu();
      Outbox o = nodes[i]->start(Seed(std::span<const std::uint8_t, 32>(s)), 0);
      const double dt = thread_cpu() - c0;
      per_round[0] += dt;
      total += dt;
      absorb(i, std::move(o));
    }
    while (!queue.empty() && !failed) {
      auto [from, b] = std::move(queue.front());
      queue.pop_front();
      for (std::uint32_t k = 0; k < n; ++k) {
        if (k == from) continue;
        const auto r = static_cast<std::size_t>(nodes[k]->round());
        const double c0 = thread_cpu();
        Outbox o = nodes[k]->on_message(from, b, 0);
        const double dt = thread_cpu() - c0;
        per_round[r] += dt;
        total += dt;
        absorb(k, std::move(o));
      }
    }
    if (failed || finished != n) {
      state.SkipWithError("ceremony did not finish");
      return;
    }
  }
  const double it = static_cast<double>(state.iterations());
  const char* names[6] = {"R0_s", "R1_s", "R2_s", "R3_s", "R4_s", "R5_s"};
  for (std::size_t r = 0; r < 6; ++r) state.counters[names[r]] = per_round[r] / it / n;
  state.counters["cpu_per_node_s"] = total / it / n;
  state.counters["MB_sent_per_node"] = static_cast<double>(bytes) / it / n / 1e6;
}

BENCHMARK(BM_Ceremony)->Args({4, 3, 100})->Args({4, 3, 1000})->Args({16, 11, 100})->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK(BM_Ceremony)->Name("BM_CeremonyLarge")->Args({4, 3, 10000})->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
