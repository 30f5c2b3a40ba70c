// qbft_bench: wall-clock CPU cost of QBFT instances and simulated decision latency (issue 4).
//   BM_ClusterHappyPath/<n>/<k1>: one iteration = n instances deciding in round 1, every message delivered in
//     memory (encode, decode, signature checks, state machine). per_instance = CPU time / n. k1=1 uses real
//     secp256k1 signatures, k1=0 the FakeSignerForTests (HMAC-SHA256).
//   BM_ClusterRoundChange/<n>/<k1>: the same with the round-1 leader down: decision in round 2 after a round
//     change (justified proposal), per_instance = CPU time / (n-1).
//   BM_SimLatency/<n>/<byzantine>: one simulator schedule (seeded, deterministic); latency_d = decision time
//   of
//     the slowest honest node in units of the link delay d (happy path: byzantine=0, uniform delay d).
#include <benchmark/benchmark.h>

#include <deque>
#include <memory>

#include "consensus/qbft/instance.hpp"
#include "consensus/qbft/leader.hpp"
#include "identities.hpp"
#include "sim.hpp"

namespace {

using namespace phx::consensus::qbft;

void BM_ClusterHappyPath(benchmark::State& state) {
  const auto n = static_cast<std::uint32_t>(state.range(0));
  const bool real = state.range(1) != 0;
  auto ids = sim::Identities::make(n, 7, real);
  const Value value = Value::from_bytes(phx::Bytes(128, 0xab));  // about the size of AttestationData
  std::uint64_t messages = 0;
  std::uint64_t duty = 0;
  for (auto _ : state) {
    Config base;
    base.instance_id = phx::Bytes(16, 0);
    phx::put_be64(base.instance_id.data(), ++duty);  // a new duty (and leader) every iteration
    base.n = n;
    std::vector<std::unique_ptr<Instance>> nodes;
    std::deque<std::pair<std::uint32_t, phx::Bytes>> queue;
    std::uint32_t decided = 0;
    auto absorb = [&](std::uint32_t from, Outbox out) {
      for (auto& m : out.messages) queue.emplace_back(from, std::move(m.bytes));
      if (out.decision) ++decided;
    };
    for (std::uint32_t i = 0; i < n; ++i) {
      Config c = base;
      c.self = phx::OperatorIdx{i};
      nodes.push_back(std::make_unique<Instance>(c, *ids.signers[i], *ids.verifier));
    }
    for (std::uint32_t i = 0; i < n; ++i) absorb(i, nodes[i]->on_start(value));
    while (!queue.empty()) {
      auto [from, bytes] = std::move(queue.front());
      queue.pop_front();
      for (std::uint32_t to = 0; to < n; ++to) {
        if (to == from) continue;
        ++messages;
        absorb(to, nodes[to]->on_message(bytes));
      }
    }
    if (decided != n) state.SkipWithError("cluster did not decide");
  }
  state.counters["per_instance"] =
      benchmark::Counter(n, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["msgs_per_instance"] =
      benchmark::Counter(static_cast<double>(messages) / static_cast<double>(state.iterations()) / n);
}
BENCHMARK(BM_ClusterHappyPath)
    ->ArgsProduct({{4, 7, 10, 13}, {0, 1}})
    ->ArgNames({"n", "k1"})
    ->Unit(benchmark::kMicrosecond);

// One iteration = n instances of one duty whose round-1 leader is down: every other node times out, sends a
// ROUND-CHANGE, the round-2 leader proposes with a justification (a quorum of round changes), and the n-1
// live nodes decide in round 2. per_instance = CPU time / (n-1).
void BM_ClusterRoundChange(benchmark::State& state) {
  const auto n = static_cast<std::uint32_t>(state.range(0));
  const bool real = state.range(1) != 0;
  auto ids = sim::Identities::make(n, 7, real);
  const Value value = Value::from_bytes(phx::Bytes(128, 0xab));
  std::uint64_t duty = 0;
  for (auto _ : state) {
    Config base;
    base.instance_id = phx::Bytes(16, 1);
    phx::put_be64(base.instance_id.data(), ++duty);
    base.n = n;
    const std::uint32_t down = leader(base.instance_id, 1, n).value;
    std::vector<std::unique_ptr<Instance>> nodes;
    std::deque<std::pair<std::uint32_t, phx::Bytes>> queue;
    std::uint32_t decided = 0;
    auto absorb = [&](std::uint32_t from, Outbox out) {
      for (auto& m : out.messages) queue.emplace_back(from, std::move(m.bytes));
      if (out.decision) ++decided;
    };
    auto drain = [&] {
      while (!queue.empty()) {
        auto [from, bytes] = std::move(queue.front());
        queue.pop_front();
        for (std::uint32_t to = 0; to < n; ++to)
          if (to != from && to != down) absorb(to, nodes[to]->on_message(bytes));
      }
    };
    for (std::uint32_t i = 0; i < n; ++i) {
      Config c = base;
      c.self = phx::OperatorIdx{i};
      nodes.push_back(std::make_unique<Instance>(c, *ids.signers[i], *ids.verifier));
    }
    for (std::uint32_t i = 0; i < n; ++i)
      if (i != down) absorb(i, nodes[i]->on_start(value));
    drain();
    for (std::uint32_t i = 0; i < n; ++i)
      if (i != down) absorb(i, nodes[i]->on_timeout(1));
    drain();
    if (decided != n - 1) state.SkipWithError("cluster did not decide in round 2");
  }
  state.counters["per_instance"] =
      benchmark::Counter(n - 1, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_ClusterRoundChange)
    ->ArgsProduct({{4, 7, 10, 13}, {0, 1}})
    ->ArgNames({"n", "k1"})
    ->Unit(benchmark::kMicrosecond);

void BM_SimLatency(benchmark::State& state) {
  sim::SimConfig c;
  c.nodes = static_cast<std::uint32_t>(state.range(0));
  c.byzantine = static_cast<std::uint32_t>(state.range(1));
  c.happy = c.byzantine == 0;
  double latency = 0;
  std::uint64_t runs = 0;
  for (auto _ : state) {
    c.seed = ++runs;
    auto r = sim::run_schedule(c);
    if (!r.ok) state.SkipWithError(r.failure.c_str());
    latency += r.max_decision_latency_d;
  }
  state.counters["latency_d"] = benchmark::Counter(latency / static_cast<double>(runs));
}
BENCHMARK(BM_SimLatency)
    ->Args({4, 0})
    ->Args({7, 0})
    ->Args({10, 0})
    ->Args({13, 0})
    ->Args({4, 1})
    ->Args({7, 2})
    ->Args({10, 3})
    ->Args({13, 4})
    ->ArgNames({"n", "byzantine"})
    ->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
