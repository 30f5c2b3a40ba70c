// The QBFT driver over an in-memory transport (no p2p): equivocation proofs, many instances, bad senders,
// round timers from the duty start, and the bounds of the not-yet-started buffer and of values.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <map>
#include <optional>
#include <string>

#include "base/assert.hpp"
#include "base/clock.hpp"
#include "consensus/qbft/leader.hpp"
#include "dv/dv_testing_test.hpp"
#include "dv/frame.hpp"
#include "dv/k1_signer.hpp"
#include "dv/qbft_driver.hpp"
#include "metrics/registry.hpp"

namespace phx::dv {
namespace {

namespace asio = boost::asio;
namespace k1 = crypto::k1;
using namespace std::chrono_literals;
using namespace dvtest;

/// n drivers connected by an in-memory transport: each frame is posted to the receiver's deliver().
struct MemoryCluster {
  /// Driver 0 exports its metrics to `registry` when given.
  /// `equivocator`: that driver runs with QbftDriverOptions::test_equivocate.
  MemoryCluster(asio::io_context& io, std::uint32_t n, metrics::Registry* registry = nullptr,
                std::optional<std::uint32_t> equivocator = std::nullopt) {
    std::vector<k1::PublicKey> pubs;
    std::vector<k1::SecretKey> keys;
    for (std::uint32_t i = 0; i < n; ++i) {
      keys.push_back(k1::SecretKey::generate());
      pubs.push_back(keys.back().public_key());
    }
    auto verifier = std::make_shared<K1Verifier>(pubs);
    drivers.resize(n);
    decided.resize(n);
    for (std::uint32_t i = 0; i < n; ++i) {
      auto signer = std::make_shared<K1Signer>(std::move(keys[i]));
      auto send = [this, &io, i](OperatorIdx to, ByteSpan frame) -> Result<void> {
        asio::post(io, [this, i, to, f = Bytes(frame.begin(), frame.end())] {
          if (drivers[to.value]) drivers[to.value]->deliver(OperatorIdx{i}, f);
        });
        return {};
      };
      QbftDriverOptions o = fast_qbft();
      if (i == 0) o.registry = registry;
      o.test_equivocate = equivocator == i;
      auto d = QbftDriver::create_with_transport(io.get_executor(), OperatorIdx{i}, n, signer, verifier, o, send);
      PHX_ASSERT(d.has_value());
      drivers[i] = std::move(*d);
      auto* out = &decided[i];
      drivers[i]->on_decided([out](ByteSpan id, ByteSpan value, consensus::qbft::Round round, Duration) {
        (*out)[to_str(id)] = Decided{to_str(value), round};
      });
    }
  }
  std::vector<std::unique_ptr<QbftDriver>> drivers;
  std::vector<std::map<std::string, Decided>> decided;
};

TEST(DvQbftDriver, AnEquivocatingNodeIsProvenAndTheOthersStillDecide) {
  asio::io_context ioc;
  MemoryCluster c(ioc, 4, nullptr, 3u);
  std::vector<std::map<std::string, std::vector<std::uint32_t>>> blamed(4);  // per driver: instance → senders
  for (std::uint32_t i = 0; i < 4; ++i) {
    c.drivers[i]->on_misbehaviour([&blamed, i](ByteSpan id, OperatorIdx sender) {
      blamed[i][to_str(id)].push_back(sender.value);
    });
  }
  for (int k = 0; k < 5; ++k) {
    const std::string id = "eq-" + std::to_string(k);
    for (auto& d : c.drivers) EXPECT_TRUE(d->propose(as_bytes(id), as_bytes("value-" + id)));
  }
  ioc.run_for(3s);
  for (std::uint32_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(c.decided[i].size(), 5u);
    for (const auto& [id, dec] : c.decided[i]) EXPECT_EQ(dec.value, "value-" + id);
    // Every instance: node 3's PREPARE and COMMIT each conflict with the first copy received.
    EXPECT_EQ(blamed[i].size(), 5u);
    for (const auto& [id, senders] : blamed[i]) {
      EXPECT_GE(senders.size(), 1u) << id;
      for (auto s : senders) EXPECT_EQ(s, 3u) << id;
    }
    EXPECT_GE(c.drivers[i]->metrics().equivocations, 5u);
    EXPECT_GE(c.drivers[i]->metrics().rejected(consensus::qbft::Reject::kEquivocation), 5u);
  }
  EXPECT_TRUE(blamed[3].empty());  // the honest nodes never equivocate
}

TEST(DvQbftDriver, InMemoryTransportDecidesManyInstancesAndDeliverIgnoresBadSenders) {
  asio::io_context ioc;
  metrics::Registry reg;
  MemoryCluster c(ioc, 4, &reg);
  for (int k = 0; k < 20; ++k) {
    const std::string id = "mem-" + std::to_string(k);
    for (auto& d : c.drivers) EXPECT_TRUE(d->propose(as_bytes(id), as_bytes(id)));
  }
  ioc.run_for(3s);
  for (std::uint32_t i = 0; i < 4; ++i) {
    EXPECT_EQ(c.decided[i].size(), 20u);
    for (const auto& [id, dec] : c.decided[i]) EXPECT_EQ(dec.value, id);
    EXPECT_EQ(c.drivers[i]->metrics().instances_decided, 20u);
    EXPECT_EQ(c.drivers[i]->metrics().decided_rounds_sum, 20u);
  }
  const auto text = reg.render();
  EXPECT_NE(text.find("phalanx_qbft_decision_rounds_bucket{le=\"1\"} 20\n"), std::string::npos) << text;
  EXPECT_NE(text.find("phalanx_qbft_decision_duration_seconds_count 20\n"), std::string::npos) << text;
  EXPECT_NE(text.find("phalanx_qbft_instances_total{event=\"decided\"} 20\n"), std::string::npos) << text;
  EXPECT_NE(text.find("phalanx_qbft_messages_sent_total "), std::string::npos) << text;
  // A frame "from" ourselves or from an index outside the cluster is refused before anything else.
  auto frame = encode_qbft_frame(str_bytes("mem-0"), Bytes{1});
  c.drivers[0]->deliver(OperatorIdx{0}, frame);
  c.drivers[0]->deliver(OperatorIdx{4}, frame);
  EXPECT_EQ(c.drivers[0]->metrics().rejected(DvError::kBadArgument), 2u);
  const auto bad = make_error_code(DvError::kBadArgument);
  auto signer = std::make_shared<K1Signer>(k1::SecretKey::generate());
  EXPECT_EQ(QbftDriver::create_with_transport(ioc.get_executor(), OperatorIdx{0}, 4, signer,
                                              std::make_shared<K1Verifier>(
                                                  std::vector<k1::PublicKey>{}),
                                              fast_qbft(), {})
                .error(),
            bad);
}

TEST(DvQbftDriver, RoundTimersCountFromTheDutyStartEvenInTheFuture) {
  // One live operator of four (the others never answer): only round timers move it. The duty starts 300 ms
  // after "now" on the injected clock, so round 1 (400 ms) ends 700 ms from now, not 400 ms.
  asio::io_context ioc;
  ManualClock clock(TimePoint{} + std::chrono::hours(100));
  std::vector<k1::PublicKey> pubs;
  for (int i = 0; i < 4; ++i) pubs.push_back(k1::SecretKey::generate().public_key());
  QbftDriverOptions o = fast_qbft();
  o.clock = &clock;
  auto signer = std::make_shared<K1Signer>(k1::SecretKey::generate());
  auto d = QbftDriver::create_with_transport(
      ioc.get_executor(), OperatorIdx{0}, 4, signer, std::make_shared<K1Verifier>(pubs), o,
      [](OperatorIdx, ByteSpan) -> Result<void> { return {}; });
  ASSERT_TRUE(d.has_value());
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE((*d)->propose(str_bytes("future"), str_bytes("v"), clock.now() + 300ms));
  ioc.run_for(550ms);
  EXPECT_EQ((*d)->metrics().timeouts, 0u);
  EXPECT_EQ((*d)->round(str_bytes("future")), 1u);
  while ((*d)->metrics().timeouts == 0 && std::chrono::steady_clock::now() - t0 < 5s) ioc.run_one_for(100ms);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 700ms);
  EXPECT_EQ((*d)->metrics().timeouts, 1u);
  EXPECT_EQ((*d)->round(str_bytes("future")), 2u);
}

// Frames for an instance this node has not started are buffered within bounds: at most max_buffered_instances
// ids (256; the oldest id's messages are dropped first) and buffer_bytes_per_peer bytes (4 MiB) per (instance,
// peer). A peer over its bound loses its further frames (kBufferFull); the others keep theirs.
TEST(DvQbftDriver, BufferKeeps256InstanceIdsDroppingTheOldestAndBoundsBytesPerPeer) {
  asio::io_context ioc;
  MemoryCluster c(ioc, 4);
  QbftDriver& d = *c.drivers[0];
  const auto& m = d.metrics();
  for (int k = 0; k <= 256; ++k)
    d.deliver(OperatorIdx{3}, encode_qbft_frame(str_bytes("id-" + std::to_string(k)), Bytes(10, 1)));
  EXPECT_EQ(m.messages_buffered, 257u);
  EXPECT_EQ(m.buffered_instances, 256u);
  EXPECT_EQ(m.buffered_bytes, 2560u);
  // id-0 was the oldest: starting it replays nothing; id-256 replays its one message.
  ASSERT_TRUE(d.propose(str_bytes("id-0"), str_bytes("v")));
  EXPECT_EQ(m.messages_replayed, 0u);
  ASSERT_TRUE(d.propose(str_bytes("id-256"), str_bytes("v")));
  EXPECT_EQ(m.messages_replayed, 1u);
  EXPECT_EQ(m.buffered_instances, 255u);
  EXPECT_EQ(m.buffered_bytes, 2550u);
  // 4 MiB per (instance, peer): four 1-MiB messages fit, the fifth does not; another peer has its own bound.
  const Bytes mib(1u << 20, 7);
  for (int k = 0; k < 5; ++k) d.deliver(OperatorIdx{2}, encode_qbft_frame(str_bytes("big"), mib));
  EXPECT_EQ(m.rejected(DvError::kBufferFull), 1u);
  d.deliver(OperatorIdx{1}, encode_qbft_frame(str_bytes("big"), mib));
  EXPECT_EQ(m.rejected(DvError::kBufferFull), 1u);
  EXPECT_EQ(m.buffered_bytes, 2550u + 5u * mib.size());
  EXPECT_GE(d.memory_bytes(), m.buffered_bytes);
  // Expiry frees it all.
  d.expire(str_bytes("big"));
  EXPECT_EQ(m.buffered_bytes, 2550u);
}

}  // namespace
}  // namespace phx::dv
