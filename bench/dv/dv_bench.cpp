// Benchmarks of the DV transport layer: QBFT decisions per second for 4 drivers on real p2p nodes over
// loopback in one process (one io thread, secp256k1 signatures, TLS), and frame decoding throughput.
#include <benchmark/benchmark.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <memory>
#include <string>
#include <vector>

#include "base/assert.hpp"
#include "consensus/qbft/message.hpp"
#include "dv/frame.hpp"
#include "dv/k1_signer.hpp"
#include "dv/qbft_driver.hpp"

namespace {

namespace asio = boost::asio;
namespace k1 = phx::crypto::k1;
namespace qbft = phx::consensus::qbft;
using namespace std::chrono_literals;
using phx::Bytes;
using phx::ByteSpan;
using phx::OperatorIdx;

/// Four operators, each with a started p2p node and a QBFT driver, connected over loopback.
struct Cluster {
  static constexpr std::uint32_t kN = 4;
  asio::io_context ioc;
  std::vector<k1::PublicKey> pubs;
  std::vector<std::unique_ptr<phx::p2p::Node>> nodes;
  std::vector<std::unique_ptr<phx::dv::QbftDriver>> drivers;
  std::uint64_t decisions = 0;

  Cluster() {
    std::vector<k1::SecretKey> keys;
    for (std::uint32_t i = 0; i < kN; ++i) {
      keys.push_back(k1::SecretKey::generate());
      pubs.push_back(keys.back().public_key());
    }
    auto verifier = std::make_shared<phx::dv::K1Verifier>(pubs);
    phx::Root lock{};
    for (std::uint32_t i = 0; i < kN; ++i) {
      phx::p2p::PeerSetConfig cfg{lock, pubs, OperatorIdx{i}, {}};
      auto node = phx::p2p::Node::create(ioc.get_executor(), cfg,
                                         k1::SecretKey::from_bytes(keys[i].bytes()).value());
      PHX_ASSERT(node.has_value());
      nodes.push_back(std::move(*node));
      auto signer = std::make_shared<phx::dv::K1Signer>(k1::SecretKey::from_bytes(keys[i].bytes()).value());
      phx::dv::QbftDriverOptions o;
      o.timer.first_ns = 5'000'000'000;  // no round change in a healthy loopback cluster
      auto d = phx::dv::QbftDriver::create(ioc.get_executor(), *nodes[i], OperatorIdx{i}, kN, signer, verifier, o);
      PHX_ASSERT(d.has_value());
      drivers.push_back(std::move(*d));
      drivers.back()->on_decided([this](ByteSpan, ByteSpan, qbft::Round, phx::Duration) { ++decisions; });
      PHX_ASSERT(nodes[i]->start().has_value());
    }
    for (std::uint32_t i = 0; i < kN; ++i)
      for (std::uint32_t j = 0; j < kN; ++j)
        if (i != j) nodes[i]->set_peer_address(OperatorIdx{j}, nodes[j]->local_endpoint());
    run_until([this] {
      for (std::uint32_t i = 0; i < kN; ++i)
        for (std::uint32_t j = 0; j < kN; ++j)
          if (i != j && !nodes[i]->connected(OperatorIdx{j})) return false;
      return true;
    });
  }

  ~Cluster() {
    for (auto& d : drivers) d->stop();
    auto done = asio::co_spawn(
        ioc,
        [this]() -> phx::runtime::Task<void> {
          for (auto& n : nodes) co_await n->stop();
        },
        asio::use_future);
    ioc.run();
    done.get();
  }

  template <class C>
  void run_until(C cond) {
    while (!cond()) ioc.run_one();
  }

  /// Proposes `batch` new instances on every node and runs the io thread until all have decided everywhere.
  void decide_batch(std::uint64_t& next_id, std::size_t batch, ByteSpan value) {
    std::vector<std::string> ids;
    for (std::size_t b = 0; b < batch; ++b) ids.push_back("bench-" + std::to_string(next_id++));
    const std::uint64_t target = decisions + batch * kN;
    for (const auto& id : ids)
      for (auto& d : drivers) PHX_ASSERT(d->propose(phx::as_bytes(id), value).has_value());
    run_until([&] { return decisions >= target; });
    for (const auto& id : ids)
      for (auto& d : drivers) d->expire(phx::as_bytes(id));
  }
};

/// One decision at a time (latency-bound): items = decisions (each reached by all 4 nodes).
void BM_QbftDecide4Nodes(benchmark::State& state) {
  Cluster c;
  const std::size_t batch = static_cast<std::size_t>(state.range(0));
  Bytes value(static_cast<std::size_t>(state.range(1)), 0xab);
  std::uint64_t next_id = 0;
  for (auto _ : state) c.decide_batch(next_id, batch, value);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
  state.counters["msgs_out_per_decision"] = benchmark::Counter(
      static_cast<double>(c.drivers[0]->metrics().messages_out) / static_cast<double>(next_id));
}
BENCHMARK(BM_QbftDecide4Nodes)
    ->ArgNames({"batch", "value_bytes"})
    ->Args({1, 128})
    ->Args({32, 128})
    ->Args({32, 4096})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

/// The same four drivers joined by an in-memory transport (each frame posted to the receiver's deliver()):
/// the driver and engine cost with secp256k1 signatures, without TLS and sockets.
void BM_QbftDecide4DriversInMemory(benchmark::State& state) {
  constexpr std::uint32_t kN = 4;
  asio::io_context ioc;
  std::vector<k1::PublicKey> pubs;
  std::vector<k1::SecretKey> keys;
  for (std::uint32_t i = 0; i < kN; ++i) {
    keys.push_back(k1::SecretKey::generate());
    pubs.push_back(keys.back().public_key());
  }
  auto verifier = std::make_shared<phx::dv::K1Verifier>(pubs);
  std::vector<std::unique_ptr<phx::dv::QbftDriver>> drivers(kN);
  std::uint64_t decisions = 0;
  for (std::uint32_t i = 0; i < kN; ++i) {
    auto send = [&drivers, &ioc, i](OperatorIdx to, ByteSpan frame) -> phx::Result<void> {
      asio::post(ioc, [&drivers, i, to, f = Bytes(frame.begin(), frame.end())] {
        drivers[to.value]->deliver(OperatorIdx{i}, f);
      });
      return {};
    };
    phx::dv::QbftDriverOptions o;
    o.timer.first_ns = 5'000'000'000;
    auto d = phx::dv::QbftDriver::create_with_transport(ioc.get_executor(), OperatorIdx{i}, kN,
                                                        std::make_shared<phx::dv::K1Signer>(std::move(keys[i])),
                                                        verifier, o, send);
    PHX_ASSERT(d.has_value());
    drivers[i] = std::move(*d);
    drivers[i]->on_decided([&decisions](ByteSpan, ByteSpan, qbft::Round, phx::Duration) { ++decisions; });
  }
  const std::size_t batch = static_cast<std::size_t>(state.range(0));
  const Bytes value(128, 0xab);
  std::uint64_t next_id = 0;
  for (auto _ : state) {
    std::vector<std::string> ids;
    for (std::size_t b = 0; b < batch; ++b) ids.push_back("mem-" + std::to_string(next_id++));
    const std::uint64_t target = decisions + batch * kN;
    for (const auto& id : ids)
      for (auto& d : drivers) PHX_ASSERT(d->propose(phx::as_bytes(id), value).has_value());
    while (decisions < target) ioc.run_one();
    for (const auto& id : ids)
      for (auto& d : drivers) d->expire(phx::as_bytes(id));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
  for (auto& d : drivers) d->stop();
}
BENCHMARK(BM_QbftDecide4DriversInMemory)->ArgName("batch")->Arg(1)->Arg(32)->Unit(benchmark::kMicrosecond);

/// A realistic PRE-PREPARE frame: instance id, 128-byte value, round 1.
Bytes sample_qbft_frame() {
  qbft::Message m;
  m.body.type = qbft::MsgType::kPrePrepare;
  m.body.instance = Bytes{'s', 'l', 'o', 't', '-', '1', '2', '3', '/', 'a', 't', 't'};
  m.body.sender = OperatorIdx{1};
  m.body.round = 1;
  m.value = Bytes(128, 0x11);
  auto v = qbft::Value::from_bytes(*m.value);
  m.body.value_hash = v.hash;
  return phx::dv::encode_qbft_frame(m.body.instance, qbft::encode(m));
}

void BM_DecodeQbftFrame(benchmark::State& state) {
  const Bytes frame = sample_qbft_frame();
  for (auto _ : state) {
    auto f = phx::dv::decode_qbft_frame(frame);
    benchmark::DoNotOptimize(f);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * frame.size()));
}
BENCHMARK(BM_DecodeQbftFrame);

/// Frame plus the qbft message decode the driver's engine performs next.
void BM_DecodeQbftFrameAndMessage(benchmark::State& state) {
  const Bytes frame = sample_qbft_frame();
  for (auto _ : state) {
    auto f = phx::dv::decode_qbft_frame(frame);
    auto m = qbft::decode(f->message);
    benchmark::DoNotOptimize(m);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * frame.size()));
}
BENCHMARK(BM_DecodeQbftFrameAndMessage);

void BM_DecodeParSigFrame(benchmark::State& state) {
  const Bytes frame =
      phx::dv::encode_parsig_frame(phx::as_bytes("slot-123/attester"), Bytes(static_cast<std::size_t>(state.range(0)), 7));
  for (auto _ : state) {
    auto f = phx::dv::decode_parsig_frame(frame, 8u << 20);
    benchmark::DoNotOptimize(f);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * frame.size()));
}
BENCHMARK(BM_DecodeParSigFrame)->Arg(4096);

}  // namespace

BENCHMARK_MAIN();
