// p2p_bench: throughput and one-way latency of 1 KiB messages between two nodes on loopback (each node on its
// own io_context thread, as two processes would be), and the cost of a full connection handshake (TCP +
// TLS 1.3 with identity-extension certificates + hello).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>
#include <future>
#include <thread>

#include "p2p/identity.hpp"
#include "p2p/node.hpp"

namespace {

namespace asio = boost::asio;
using namespace phx;
using namespace phx::p2p;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr ProtocolId kBenchProto = 16;
constexpr std::size_t kMsgSize = 1024;

/// Runs `f` on `ioc`'s thread and waits for its result.
template <class F>
auto on(asio::io_context& ioc, F f) {
  std::promise<decltype(f())> p;
  auto fut = p.get_future();
  asio::post(ioc, [&] {
    if constexpr (std::is_void_v<decltype(f())>) {
      f();
      p.set_value();
    } else {
      p.set_value(f());
    }
  });
  return fut.get();
}

/// Two connected nodes, each with its own network thread. Node 1 counts messages and records one-way latency
/// from the send timestamp carried in the first 8 bytes.
struct Pair {
  Pair() {
    for (int i = 0; i < 2; ++i) {
      keys.push_back(k1::SecretKey::generate());
      pubs.push_back(keys.back().public_key());
    }
    for (std::uint32_t i = 0; i < 2; ++i) {
      auto sk = k1::SecretKey::from_bytes(keys[i].bytes()).value();
      NodeOptions o;
      o.queue_max_frames = 1u << 16;
      o.queue_max_bytes = 256u << 20;
      nodes[i] = std::move(
          Node::create(ioc[i].get_executor(), PeerSetConfig{lock, pubs, OperatorIdx{i}, {}}, std::move(sk), o)
              .value());
    }
    (void)nodes[1]->register_protocol(ProtocolSpec{kBenchProto,
                                                   64 * 1024,
                                                   Priority::kLow,
                                                   [this](OperatorIdx, ByteSpan b) {
                                                     auto sent = static_cast<Clock::rep>(get_be64(b.data()));
                                                     if (record)
                                                       latencies.push_back(
                                                           Clock::now().time_since_epoch().count() - sent);
                                                     received.fetch_add(1, std::memory_order_release);
                                                   },
                                                   {}});
    (void)nodes[0]->register_protocol(ProtocolSpec{kBenchProto, 64 * 1024, Priority::kLow, {}, {}});
    for (int i = 0; i < 2; ++i) {
      (void)nodes[i]->start();
      threads[i] = std::thread([this, i] { ioc[i].run(); });
    }
    auto ep1 = on(ioc[1], [&] { return nodes[1]->local_endpoint(); });
    on(ioc[0], [&] { nodes[0]->set_peer_address(OperatorIdx{1}, ep1); });
    while (!on(ioc[1], [&] { return nodes[1]->connected(OperatorIdx{0}); }) ||
           !on(ioc[0], [&] { return nodes[0]->connected(OperatorIdx{1}); })) {
      std::this_thread::sleep_for(1ms);
    }
  }
  ~Pair() {
    for (int i = 0; i < 2; ++i) {
      asio::co_spawn(ioc[i], nodes[i]->stop(), asio::use_future).get();
      work[i].reset();
      threads[i].join();
    }
  }
  void send_batch(std::size_t n) {
    asio::post(ioc[0], [this, n] {
      Bytes msg(kMsgSize, 0xab);
      for (std::size_t k = 0; k < n; ++k) {
        put_be64(msg.data(), static_cast<std::uint64_t>(Clock::now().time_since_epoch().count()));
        (void)nodes[0]->send(OperatorIdx{1}, kBenchProto, msg);
      }
    });
  }
  void wait_received(std::uint64_t target) {
    while (received.load(std::memory_order_acquire) < target) std::this_thread::yield();
  }

  Root lock{};
  std::vector<k1::SecretKey> keys;
  std::vector<k1::PublicKey> pubs;
  asio::io_context ioc[2];
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work[2] = {
      asio::make_work_guard(ioc[0]), asio::make_work_guard(ioc[1])};
  std::unique_ptr<Node> nodes[2];
  std::thread threads[2];
  std::atomic<std::uint64_t> received{0};
  std::atomic<bool> record{false};
  std::vector<Clock::rep> latencies;  // node 1's thread only
};

void report_percentiles(benchmark::State& state, std::vector<Clock::rep> v) {
  if (v.empty()) return;
  std::sort(v.begin(), v.end());
  auto pct = [&](double p) {
    return static_cast<double>(v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))]) / 1000.0;
  };
  state.counters["p50_us"] = pct(0.50);
  state.counters["p99_us"] = pct(0.99);
}

/// Streams 1 KiB messages in batches of 1000 and waits for all to arrive: messages/s and latency under load.
void BM_Throughput1KiB(benchmark::State& state) {
  Pair p;
  auto batch = static_cast<std::size_t>(state.range(0));
  std::uint64_t target = 0;
  p.record = true;
  for (auto _ : state) {
    target += batch;
    p.send_batch(batch);
    p.wait_received(target);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(target));
  state.SetBytesProcessed(static_cast<std::int64_t>(target * kMsgSize));
  report_percentiles(state, on(p.ioc[1], [&] { return p.latencies; }));
}
BENCHMARK(BM_Throughput1KiB)->Arg(1000)->UseRealTime()->Unit(benchmark::kMillisecond);

/// One 1 KiB message at a time (next sent after the previous arrived): unloaded one-way latency.
void BM_Latency1KiB(benchmark::State& state) {
  Pair p;
  std::uint64_t target = 0;
  p.record = true;
  for (auto _ : state) {
    p.send_batch(1);
    p.wait_received(++target);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(target));
  report_percentiles(state, on(p.ioc[1], [&] { return p.latencies; }));
}
BENCHMARK(BM_Latency1KiB)->UseRealTime()->Unit(benchmark::kMicrosecond);

/// A full inbound connection to a running node: TCP connect, TLS 1.3 with mutual certificate authentication
/// and identity-extension checks on both sides, hello exchange. Includes the client's fresh certificate (see
/// BM_CertificateCreate for that part alone).
void BM_Handshake(benchmark::State& state) {
  Pair p;
  auto ep = on(p.ioc[0], [&] { return p.nodes[0]->local_endpoint(); });
  asio::io_context client;
  for (auto _ : state) {
    auto fut =
        asio::co_spawn(client, RawSession::connect(ep, p.keys[1], p.lock, OperatorIdx{1}), asio::use_future);
    client.run();
    client.restart();
    auto s = fut.get();
    if (!s) state.SkipWithError("handshake failed");
  }
}
BENCHMARK(BM_Handshake)->UseRealTime()->Unit(benchmark::kMicrosecond);

/// Ephemeral P-256 key + self-signed certificate with the secp256k1 identity extension.
void BM_CertificateCreate(benchmark::State& state) {
  auto sk = k1::SecretKey::generate();
  for (auto _ : state) {
    auto t = TlsIdentity::create(sk);
    benchmark::DoNotOptimize(t);
  }
}
BENCHMARK(BM_CertificateCreate)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
