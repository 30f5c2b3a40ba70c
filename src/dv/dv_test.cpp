// Tests of the DV transport layer: the secp256k1 QBFT signer, the strict frame decoders, the QBFT driver on real p2p nodes over loopback
// (all decide, one node down, diverging proposal, leader down, invalid value, late start, garbage frames,
// expiry and caps), and partial-signature exchange. The driver over an in-memory transport: qbft_memory_test.cpp.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <map>
#include <set>
#include <string>

#include "base/assert.hpp"
#include "consensus/qbft/leader.hpp"
#include "consensus/qbft/message.hpp"
#include "dv/frame.hpp"
#include "dv/k1_signer.hpp"
#include "dv/parsig_transport.hpp"
#include "dv/dv_testing_test.hpp"
#include "dv/qbft_driver.hpp"
#include "metrics/registry.hpp"
#include "runtime/runtime_testing_test.hpp"

namespace phx::dv {
namespace {

namespace asio = boost::asio;
namespace k1 = crypto::k1;
using namespace std::chrono_literals;
using namespace dvtest;


// ---------------------------------------------------------------------------------------------------------
// secp256k1 identity signer (pure)

TEST(DvK1Signer, Secp256k1SignaturesBindSenderAndBody) {
  std::vector<std::unique_ptr<K1Signer>> signers;
  std::vector<k1::PublicKey> pks;
  for (std::uint32_t i = 0; i < 3; ++i) {
    ByteArray<32> sk{};
    sk[31] = static_cast<std::uint8_t>(i + 1);
    sk[0] = 0x42;
    auto k = k1::SecretKey::from_bytes(sk);
    pks.push_back(k->public_key());
    signers.push_back(std::make_unique<K1Signer>(std::move(*k)));
  }
  const K1Verifier verifier(pks);
  consensus::qbft::SignedBody b;
  b.instance = str_bytes("x");
  b.sender = OperatorIdx{1};
  consensus::qbft::sign(b, *signers[1]);
  EXPECT_TRUE(consensus::qbft::verify_signature(b, verifier));
  b.sender = OperatorIdx{2};
  EXPECT_FALSE(consensus::qbft::verify_signature(b, verifier));
  b.sender = OperatorIdx{7};
  EXPECT_FALSE(consensus::qbft::verify_signature(b, verifier));  // unknown sender
}

// ---------------------------------------------------------------------------------------------------------
// Frames (pure)

TEST(DvQbftFrame, RoundTripsAndLayout) {
  auto f = encode_qbft_frame(str_bytes("id"), Bytes{9, 8, 7});
  EXPECT_EQ(f, (Bytes{1, 2, 'i', 'd', 9, 8, 7}));
  auto d = decode_qbft_frame(f);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(to_str(d->instance_id), "id");
  EXPECT_EQ(Bytes(d->message.begin(), d->message.end()), (Bytes{9, 8, 7}));
}

TEST(DvQbftFrame, RejectsEveryMalformedShape) {
  auto err = [](ByteSpan b, std::size_t max = consensus::qbft::kMaxMessageBytes) {
    auto r = decode_qbft_frame(b, max);
    return r ? DvError::kOk : static_cast<DvError>(r.error().value());
  };
  EXPECT_EQ(err(Bytes{}), DvError::kTruncated);
  EXPECT_EQ(err(Bytes{1}), DvError::kTruncated);
  EXPECT_EQ(err(Bytes{2, 1, 'a', 0}), DvError::kBadVersion);
  EXPECT_EQ(err(Bytes{1, 0, 0}), DvError::kBadIdLength);
  EXPECT_EQ(err(Bytes{1, 65, 0}), DvError::kBadIdLength);
  EXPECT_EQ(err(Bytes{1, 3, 'a', 'b'}), DvError::kTruncated);
  EXPECT_EQ(err(Bytes{1, 2, 'a', 'b'}), DvError::kEmptyBody);
  EXPECT_EQ(err(Bytes{1, 1, 'a', 1, 2, 3}, 2), DvError::kTooLarge);
  EXPECT_EQ(err(Bytes{1, 1, 'a', 1, 2}, 2), DvError::kOk);
  Bytes max_id{1, 64};
  max_id.resize(2 + 64 + 1, 'x');
  EXPECT_EQ(err(max_id), DvError::kOk);
}

TEST(DvParSigFrame, RoundTripsAndRejectsMalformed) {
  auto f = encode_parsig_frame(str_bytes("duty"), Bytes{5, 6});
  EXPECT_EQ(f, (Bytes{1, 0, 4, 'd', 'u', 't', 'y', 5, 6}));
  auto d = decode_parsig_frame(f, 2);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(to_str(d->duty_id), "duty");
  EXPECT_EQ(d->payload.size(), 2u);
  auto err = [](ByteSpan b, std::size_t max) {
    auto r = decode_parsig_frame(b, max);
    return r ? DvError::kOk : static_cast<DvError>(r.error().value());
  };
  EXPECT_EQ(err(f, 1), DvError::kTooLarge);
  EXPECT_EQ(err(Bytes{1, 0}, 10), DvError::kTruncated);
  EXPECT_EQ(err(Bytes{0, 0, 1, 'a', 1}, 10), DvError::kBadVersion);
  EXPECT_EQ(err(Bytes{1, 0, 0, 1}, 10), DvError::kBadIdLength);
  EXPECT_EQ(err(Bytes{1, 1, 1, 1}, 10), DvError::kBadIdLength);  // 257 > kMaxDutyIdBytes
  EXPECT_EQ(err(Bytes{1, 0, 5, 'a'}, 10), DvError::kTruncated);
  EXPECT_EQ(err(Bytes{1, 0, 1, 'a'}, 10), DvError::kEmptyBody);
}

// ---------------------------------------------------------------------------------------------------------
// Loopback cluster

p2p::NodeOptions fast_p2p() {
  p2p::NodeOptions o;
  o.backoff_min = 20ms;
  o.backoff_max = 200ms;
  o.ping_interval = 100ms;
  o.idle_timeout = 2s;
  o.connect_timeout = 1s;
  o.handshake_timeout = 2s;
  return o;
}

/// n operators; each running one has a p2p node, a QBFT driver and a parsig transport. An operator may instead
/// be "raw": a bare p2p node registering both protocols without handlers, used to send arbitrary frames.
struct Cluster {
  Cluster(asio::io_context& io, std::uint32_t count) : ioc(io), n(count) {
    lock_hash.fill(7);
    for (std::uint32_t i = 0; i < n; ++i) {
      keys.push_back(k1::SecretKey::generate());
      pubs.push_back(keys.back().public_key());
    }
    verifier = std::make_shared<K1Verifier>(pubs);
    nodes.resize(n);
    drivers.resize(n);
    parsig.resize(n);
    decided.resize(n);
    received.resize(n);
  }

  k1::SecretKey key(std::uint32_t i) const { return k1::SecretKey::from_bytes(keys[i].bytes()).value(); }

  p2p::Node& make_node(std::uint32_t i) {
    p2p::PeerSetConfig cfg{lock_hash, pubs, OperatorIdx{i}, {}};
    auto node = p2p::Node::create(ioc.get_executor(), cfg, key(i), fast_p2p());
    PHX_ASSERT(node.has_value());
    nodes[i] = std::move(*node);
    return *nodes[i];
  }

  void make(std::uint32_t i, QbftDriverOptions o = fast_qbft(), ParSigTransportOptions po = {}) {
    auto& node = make_node(i);
    auto signer = std::make_shared<K1Signer>(key(i));
    auto d = QbftDriver::create(ioc.get_executor(), node, OperatorIdx{i}, n, signer, verifier, o);
    PHX_ASSERT(d.has_value());
    drivers[i] = std::move(*d);
    auto* out = &decided[i];
    drivers[i]->on_decided([out](ByteSpan id, ByteSpan value, consensus::qbft::Round round, Duration) {
      (*out)[to_str(id)] = Decided{to_str(value), round};
    });
    auto t = ParSigTransport::create(node, OperatorIdx{i}, n, po);
    PHX_ASSERT(t.has_value());
    parsig[i] = std::move(*t);
    auto* rx = &received[i];
    parsig[i]->on_received([rx](OperatorIdx from, ByteSpan duty, ByteSpan payload) {
      rx->push_back({from.value, to_str(duty), to_str(payload)});
    });
    PHX_ASSERT(node.start().has_value());
  }

  /// A bare node that can send any bytes on both protocols (limits: the largest p2p frame).
  void make_raw(std::uint32_t i) {
    auto& node = make_node(i);
    PHX_ASSERT(node.register_protocol({kQbftProtocol, p2p::kMaxFrameLimit, p2p::Priority::kHigh, {}, {}}));
    PHX_ASSERT(node.register_protocol({kParSigProtocol, p2p::kMaxFrameLimit, p2p::Priority::kHigh, {}, {}}));
    PHX_ASSERT(node.start().has_value());
  }

  void wire() {
    for (std::uint32_t i = 0; i < n; ++i)
      for (std::uint32_t j = 0; j < n; ++j)
        if (i != j && nodes[i] && nodes[j]) nodes[i]->set_peer_address(OperatorIdx{j}, nodes[j]->local_endpoint());
  }

  runtime::Task<bool> connected(Duration timeout) {
    for (std::uint32_t i = 0; i < n; ++i)
      for (std::uint32_t j = 0; j < n; ++j) {
        if (i == j || !nodes[i] || !nodes[j]) continue;
        bool ok = co_await nodes[i]->wait_connected(OperatorIdx{j}, timeout);
        if (!ok) co_return false;
      }
    co_return true;
  }

  runtime::Task<void> stop() {
    for (auto& d : drivers)
      if (d) d->stop();
    for (auto& t : parsig)
      if (t) t->stop();
    for (auto& node : nodes)
      if (node) co_await node->stop();
  }

  /// Sends raw `body` on `proto` from operator `from` (a raw node) to `to`.
  void send_raw(std::uint32_t from, std::uint32_t to, p2p::ProtocolId proto, ByteSpan body) {
    PHX_ASSERT(nodes[from]->send(OperatorIdx{to}, proto, body).has_value());
  }

  bool all_decided(std::string_view id, const std::vector<std::uint32_t>& who) const {
    for (auto i : who)
      if (!decided[i].contains(std::string(id))) return false;
    return true;
  }

  struct Rx {
    std::uint32_t from;
    std::string duty, payload;
  };

  asio::io_context& ioc;
  std::uint32_t n;
  Root lock_hash{};
  std::vector<k1::SecretKey> keys;
  std::vector<k1::PublicKey> pubs;
  std::shared_ptr<K1Verifier> verifier;
  std::vector<std::unique_ptr<p2p::Node>> nodes;
  std::vector<std::unique_ptr<QbftDriver>> drivers;
  std::vector<std::unique_ptr<ParSigTransport>> parsig;
  std::vector<std::map<std::string, Decided>> decided;
  std::vector<std::vector<Rx>> received;
};

using runtime::eventually;
using runtime::run_test;

/// An instance id whose round-1 leader among n is `leader`.
std::string id_led_by(std::uint32_t leader, std::uint32_t n, std::string_view prefix = "duty") {
  for (int k = 0;; ++k) {
    std::string id = std::string(prefix) + "-" + std::to_string(k);
    if (consensus::qbft::leader(as_bytes(id), 1, n).value == leader) return id;
  }
}

TEST(DvQbftDriver, FourNodesDecideTheSameValue) {
  run_test([](asio::io_context& ioc) -> runtime::Task<void> {
    Cluster c(ioc, 4);
    for (std::uint32_t i = 0; i < 4; ++i) c.make(i);
    c.wire();
    bool up = co_await c.connected(5s);
    EXPECT_TRUE(up);
    for (std::uint32_t i = 0; i < 4; ++i) {
      EXPECT_TRUE(c.drivers[i]->propose(str_bytes("slot-1/attester"), str_bytes("value-A")).has_value());
    }
    bool done = co_await eventually([&] { return c.all_decided("slot-1/attester", {0, 1, 2, 3}); }, 5s);
    EXPECT_TRUE(done);
    for (std::uint32_t i = 0; i < 4; ++i) {
      EXPECT_EQ(c.decided[i]["slot-1/attester"].value, "value-A");
      EXPECT_EQ(c.decided[i]["slot-1/attester"].round, 1u);
      EXPECT_TRUE(c.drivers[i]->decided(str_bytes("slot-1/attester")));
      EXPECT_EQ(c.drivers[i]->metrics().instances_decided, 1u);
      EXPECT_EQ(c.drivers[i]->propose(str_bytes("slot-1/attester"), str_bytes("x")).error(),
                make_error_code(DvError::kAlreadyProposed));
    }
    co_await c.stop();
  });
}

TEST(DvQbftDriver, ThreeOfFourDecideWithOneNodeDown) {
  run_test([](asio::io_context& ioc) -> runtime::Task<void> {
    Cluster c(ioc, 4);
    for (std::uint32_t i = 0; i < 3; ++i) c.make(i);  // operator 3 is offline
    c.wire();
    bool up = co_await c.connected(5s);
    EXPECT_TRUE(up);
    const std::string id = id_led_by(1, 4);
    for (std::uint32_t i = 0; i < 3; ++i) EXPECT_TRUE(c.drivers[i]->propose(as_bytes(id), str_bytes("v")));
    bool done = co_await eventually([&] { return c.all_decided(id, {0, 1, 2}); }, 5s);
    EXPECT_TRUE(done);
    for (std::uint32_t i = 0; i < 3; ++i) EXPECT_EQ(c.decided[i][id].value, "v");
    co_await c.stop();
  });
}

TEST(DvQbftDriver, NodeWithADifferentValueDecidesTheLeadersValue) {
  run_test([](asio::io_context& ioc) -> runtime::Task<void> {
    Cluster c(ioc, 4);
    for (std::uint32_t i = 0; i < 4; ++i) c.make(i);
    c.wire();
    bool up = co_await c.connected(5s);
    EXPECT_TRUE(up);
    const std::string id = id_led_by(0, 4);
    for (std::uint32_t i = 0; i < 4; ++i) {
      const std::string v = i == 2 ? "divergent" : "common";
      EXPECT_TRUE(c.drivers[i]->propose(as_bytes(id), as_bytes(v)));
    }
    bool done = co_await eventually([&] { return c.all_decided(id, {0, 1, 2, 3}); }, 5s);
    EXPECT_TRUE(done);
    for (std::uint32_t i = 0; i < 4; ++i) EXPECT_EQ(c.decided[i][id].value, "common") << i;
    co_await c.stop();
  });
}

TEST(DvQbftDriver, LeaderDownCausesRoundChangeThenDecision) {
  run_test([](asio::io_context& ioc) -> runtime::Task<void> {
    Cluster c(ioc, 4);
    for (std::uint32_t i = 0; i < 3; ++i) c.make(i);  // round-1 leader (3) is offline
    c.wire();
    bool up = co_await c.connected(5s);
    EXPECT_TRUE(up);
    const std::string id = id_led_by(3, 4);
    for (std::uint32_t i = 0; i < 3; ++i) EXPECT_TRUE(c.drivers[i]->propose(as_bytes(id), str_bytes("v2")));
    bool done = co_await eventually([&] { return c.all_decided(id, {0, 1, 2}); }, 8s);
    EXPECT_TRUE(done);
    for (std::uint32_t i = 0; i < 3; ++i) {
      EXPECT_EQ(c.decided[i][id].value, "v2");
      EXPECT_GE(c.decided[i][id].round, 2u);
      EXPECT_GE(c.drivers[i]->metrics().timeouts, 1u);
    }
    co_await c.stop();
  });
}

TEST(DvQbftDriver, InvalidProposalIsNotAcceptedAndTheNextLeaderWins) {
  run_test([](asio::io_context& ioc) -> runtime::Task<void> {
    Cluster c(ioc, 4);
    for (std::uint32_t i = 0; i < 4; ++i) c.make(i);
    c.wire();
    bool up = co_await c.connected(5s);
    EXPECT_TRUE(up);
    const std::string id = id_led_by(1, 4);
    std::vector<std::string> checked_ids;
    for (std::uint32_t i = 0; i < 4; ++i) {
      c.drivers[i]->set_validator([&checked_ids](ByteSpan iid, ByteSpan v) {
        checked_ids.push_back(to_str(iid));
        return to_str(v) != "slashable";
      });
    }
    for (std::uint32_t i = 0; i < 4; ++i) {
      const std::string v = i == 1 ? "slashable" : "fine";
      EXPECT_TRUE(c.drivers[i]->propose(as_bytes(id), as_bytes(v)));
    }
    bool done = co_await eventually([&] { return c.all_decided(id, {0, 1, 2, 3}); }, 8s);
    EXPECT_TRUE(done);
    for (std::uint32_t i = 0; i < 4; ++i) {
      EXPECT_EQ(c.decided[i][id].value, "fine");
      EXPECT_GE(c.decided[i][id].round, 2u);
    }
    EXPECT_FALSE(checked_ids.empty());
    if (!checked_ids.empty()) {
      EXPECT_EQ(checked_ids.front(), id);
    }
    std::uint64_t invalid = 0;
    for (std::uint32_t i = 0; i < 4; ++i)
      invalid += c.drivers[i]->metrics().rejected(consensus::qbft::Reject::kInvalidValue);
    EXPECT_GE(invalid, 3u);
    co_await c.stop();
  });
}

TEST(DvQbftDriver, ALeaderWhoseDataDiffersFromTheOthersViewIsNotPreparedInRoundOne) {
  // The round-1 leader's beacon node is on a minority fork: its proposal is objectively valid (so it would be
  // decided in QBFT), but the others compare it with their own data and do not prepare it in round 1; the
  // round changes and the majority's value is decided. In round 2 the check no longer applies.
  run_test([](asio::io_context& ioc) -> runtime::Task<void> {
    Cluster c(ioc, 4);
    for (std::uint32_t i = 0; i < 4; ++i) c.make(i);
    c.wire();
    bool up = co_await c.connected(5s);
    EXPECT_TRUE(up);
    const std::string id = id_led_by(1, 4);
    for (std::uint32_t i = 0; i < 4; ++i) {
      const std::string own = i == 1 ? "minority-fork" : "majority";
      c.drivers[i]->set_round1_check([own](ByteSpan, ByteSpan v) { return to_str(v) == own; });
      EXPECT_TRUE(c.drivers[i]->propose(as_bytes(id), as_bytes(own)));
    }
    bool done = co_await eventually([&] { return c.all_decided(id, {0, 1, 2, 3}); }, 8s);
    EXPECT_TRUE(done);
    std::uint64_t refused = 0;
    for (std::uint32_t i = 0; i < 4; ++i) {
      EXPECT_EQ(c.decided[i][id].value, "majority") << i;
      EXPECT_GE(c.decided[i][id].round, 2u);
      refused += c.drivers[i]->metrics().rejected(consensus::qbft::Reject::kLocalViewDiffers);
    }
    EXPECT_EQ(refused, 3u);
    co_await c.stop();
  });
}

TEST(DvQbftDriver, HeldRound1ProposalIsCheckedWhenItsAnswerComes) {
  // "Head known to its BN": the round-1 leader proposes data whose head only it knows. The others hold its
  // PRE-PREPARE while their BN is asked (here: an answer 50 ms later), then the round-1 check refuses it; the
  // round changes and the others' value is decided. Another instance whose answer is "no answer in time" is
  // released and decided as usual (a slow BN never blocks consensus).
  run_test([](asio::io_context& ioc) -> runtime::Task<void> {
    Cluster c(ioc, 4);
    for (std::uint32_t i = 0; i < 4; ++i) c.make(i);
    c.wire();
    bool up = co_await c.connected(5s);
    EXPECT_TRUE(up);
    const std::string refused_id = id_led_by(1, 4);
    const std::string unanswered_id = id_led_by(1, 4) + "-slow-bn";
    // Per node: value → "known", "unknown" or absent (being asked).
    std::vector<std::map<std::string, std::string>> answers(4);
    runtime::TaskGroup bns(ioc.get_executor());
    for (std::uint32_t i = 0; i < 4; ++i) {
      auto* d = c.drivers[i].get();
      auto* mine = &answers[i];
      d->set_round1_hold([&, d, mine](ByteSpan iid, ByteSpan v) {
        const std::string value = to_str(v);
        if (mine->contains(value)) return false;
        (*mine)[value] = "asking";
        const std::string id_str = to_str(iid);
        bns.spawn([](QbftDriver* drv, std::map<std::string, std::string>* m, std::string val,
                     std::string instance) -> runtime::Task<void> {
          co_await runtime::sleep_for(50ms);
          (*m)[val] = val == "unknown-head" ? "unknown" : "known";  // "slow-bn": no answer → known
          drv->release_held(as_bytes(instance));
        }(d, mine, value, id_str));
        return true;
      });
      d->set_round1_check([mine](ByteSpan, ByteSpan v) {
        auto it = mine->find(to_str(v));
        return it == mine->end() || it->second != "unknown";
      });
    }
    for (std::uint32_t i = 0; i < 4; ++i) {
      answers[i][i == 1 ? "unknown-head" : "known-head"] = "known";  // own data: known to its own BN
      if (i == 1) answers[i]["slow-bn"] = "known";
      EXPECT_TRUE(c.drivers[i]->propose(as_bytes(refused_id), str_bytes(i == 1 ? "unknown-head" : "known-head")));
      EXPECT_TRUE(c.drivers[i]->propose(as_bytes(unanswered_id), str_bytes("slow-bn")));
    }
    bool done = co_await eventually(
        [&] { return c.all_decided(refused_id, {0, 1, 2, 3}) && c.all_decided(unanswered_id, {0, 1, 2, 3}); }, 8s);
    EXPECT_TRUE(done);
    std::uint64_t held = 0;
    for (std::uint32_t i = 0; i < 4; ++i) {
      EXPECT_EQ(c.decided[i][refused_id].value, "known-head") << i;
      EXPECT_GE(c.decided[i][refused_id].round, 2u);
      EXPECT_EQ(c.decided[i][unanswered_id].value, "slow-bn") << i;
      held += c.drivers[i]->metrics().round1_held;
    }
    EXPECT_GE(held, 3u);
    bns.stop();
    co_await c.stop();
  });
}

TEST(DvQbftDriver, LateStarterReplaysBufferedMessagesAndDecides) {
  run_test([](asio::io_context& ioc) -> runtime::Task<void> {
    Cluster c(ioc, 4);
    for (std::uint32_t i = 0; i < 4; ++i) c.make(i);
    c.wire();
    bool up = co_await c.connected(5s);
    EXPECT_TRUE(up);
    const std::string id = id_led_by(1, 4);
    for (std::uint32_t i = 1; i < 4; ++i) EXPECT_TRUE(c.drivers[i]->propose(as_bytes(id), str_bytes("early")));
    bool others = co_await eventually([&] { return c.all_decided(id, {1, 2, 3}); }, 5s);
    EXPECT_TRUE(others);
    EXPECT_FALSE(c.drivers[0]->live(as_bytes(id)));
    EXPECT_GT(c.drivers[0]->metrics().messages_buffered, 0u);
    EXPECT_GT(c.drivers[0]->memory_bytes(), 0u);
    // Node 0 starts late with another value: the buffered PRE-PREPARE, PREPAREs and COMMITs decide it at once.
    EXPECT_TRUE(c.drivers[0]->propose(as_bytes(id), str_bytes("late")));
    EXPECT_TRUE(c.decided[0].contains(id));
    EXPECT_EQ(c.decided[0][id].value, "early");
    EXPECT_GT(c.drivers[0]->metrics().messages_replayed, 0u);
    co_await c.stop();
  });
}

TEST(DvQbftDriver, LateNodeWithoutBufferLearnsTheDecisionFromDecided) {
  run_test([](asio::io_context& ioc) -> runtime::Task<void> {
    Cluster c(ioc, 4);
    QbftDriverOptions no_buffer = fast_qbft();
    no_buffer.max_buffered_instances = 0;  // node 0 drops everything sent before it starts
    c.make(0, no_buffer);
    for (std::uint32_t i = 1; i < 4; ++i) c.make(i);
    c.wire();
    bool up = co_await c.connected(5s);
    EXPECT_TRUE(up);
    const std::string id = id_led_by(1, 4);
    for (std::uint32_t i = 1; i < 4; ++i) EXPECT_TRUE(c.drivers[i]->propose(as_bytes(id), str_bytes("agreed")));
    bool others = co_await eventually([&] { return c.all_decided(id, {1, 2, 3}); }, 5s);
    EXPECT_TRUE(others);
    bool dropped = co_await eventually([&] { return c.drivers[0]->metrics().rejected(DvError::kBufferFull) >= 3; }, 5s);
    EXPECT_TRUE(dropped);
    // Node 0 starts with nothing buffered: its round-1 timer expires, its ROUND-CHANGE is answered with DECIDED.
    EXPECT_TRUE(c.drivers[0]->propose(as_bytes(id), str_bytes("mine")));
    EXPECT_FALSE(c.decided[0].contains(id));
    bool late = co_await eventually([&] { return c.all_decided(id, {0}); }, 5s);
    EXPECT_TRUE(late);
    EXPECT_EQ(c.decided[0][id].value, "agreed");
    EXPECT_GE(c.drivers[0]->metrics().timeouts, 1u);
    co_await c.stop();
  });
}

TEST(DvQbftDriver, DutyStartInThePastJoinsTheCurrentRound) {
  run_test([](asio::io_context& ioc) -> runtime::Task<void> {
    Cluster c(ioc, 4);
    for (std::uint32_t i = 0; i < 4; ++i) c.make(i);
    c.wire();
    bool up = co_await c.connected(5s);
    EXPECT_TRUE(up);
    // Deadlines are absolute from the duty's start: 1.2 s after it, rounds 1 (0-0.4 s) and 2 (0.4-1.0 s) are over
    // and round 3 (1.0-1.8 s) is current on every node, so they decide in round 3 without waiting for timeouts.
    const TimePoint duty_start = std::chrono::system_clock::now() - 1200ms;
    const std::string id = "past-duty";
    for (std::uint32_t i = 0; i < 4; ++i) {
      EXPECT_TRUE(c.drivers[i]->propose(as_bytes(id), str_bytes("v"), duty_start));
      EXPECT_EQ(c.drivers[i]->round(as_bytes(id)), 3u);
    }
    bool done = co_await eventually([&] { return c.all_decided(id, {0, 1, 2, 3}); }, 5s);
    EXPECT_TRUE(done);
    for (std::uint32_t i = 0; i < 4; ++i) {
      EXPECT_EQ(c.decided[i][id].round, 3u);
      EXPECT_EQ(c.drivers[i]->metrics().timeouts, 0u);
    }
    co_await c.stop();
  });
}

TEST(DvQbftDriver, GarbageFramesAreRejectedAndCounted) {
  run_test([](asio::io_context& ioc) -> runtime::Task<void> {
    Cluster c(ioc, 4);
    for (std::uint32_t i = 0; i < 3; ++i) c.make(i);
    c.make_raw(3);
    c.wire();
    bool up = co_await c.connected(5s);
    EXPECT_TRUE(up);
    const std::string id = id_led_by(0, 4);
    EXPECT_TRUE(c.drivers[0]->propose(as_bytes(id), str_bytes("v")));
    // Malformed frames.
    c.send_raw(3, 0, kQbftProtocol, Bytes{});
    c.send_raw(3, 0, kQbftProtocol, Bytes{9, 1, 'a', 0});
    c.send_raw(3, 0, kQbftProtocol, Bytes{1, 0, 1});
    c.send_raw(3, 0, kQbftProtocol, Bytes{1, 200, 1});
    Bytes no_msg{1};
    no_msg.push_back(static_cast<std::uint8_t>(id.size()));
    append(no_msg, as_bytes(id));
    c.send_raw(3, 0, kQbftProtocol, no_msg);
    // A well-framed but undecodable qbft message for the live instance.
    c.send_raw(3, 0, kQbftProtocol, encode_qbft_frame(as_bytes(id), Bytes{0xde, 0xad}));
    // A correctly signed message for another instance inside a frame for this one.
    K1Signer signer3(c.key(3));
    consensus::qbft::Message m;
    m.body.type = consensus::qbft::MsgType::kPrepare;
    m.body.instance = str_bytes("other");
    m.body.sender = OperatorIdx{3};
    m.body.round = 1;
    consensus::qbft::sign(m.body, signer3);
    c.send_raw(3, 0, kQbftProtocol, encode_qbft_frame(as_bytes(id), consensus::qbft::encode(m)));
    // An oversized message (above the driver's limit).
    Bytes huge(consensus::qbft::kMaxMessageBytes + 1, 0);
    c.send_raw(3, 0, kQbftProtocol, encode_qbft_frame(as_bytes(id), huge));
    const auto& mm = c.drivers[0]->metrics();
    bool counted = co_await eventually([&] { return mm.frames_in >= 8; }, 5s);
    EXPECT_TRUE(counted);
    EXPECT_EQ(mm.rejected(DvError::kTruncated), 1u);
    EXPECT_EQ(mm.rejected(DvError::kBadVersion), 1u);
    EXPECT_EQ(mm.rejected(DvError::kBadIdLength), 2u);
    EXPECT_EQ(mm.rejected(DvError::kEmptyBody), 1u);
    EXPECT_EQ(mm.rejected(consensus::qbft::Reject::kMalformed), 1u);
    EXPECT_EQ(mm.rejected(DvError::kInstanceMismatch), 1u);
    // The p2p limit leaves room for a 64-byte id, so a short id with an oversized message reaches the driver,
    // which refuses it by its own bound.
    EXPECT_EQ(mm.rejected(DvError::kTooLarge), 1u);
    // The driver still works: the three honest nodes decide.
    for (std::uint32_t i = 1; i < 3; ++i) EXPECT_TRUE(c.drivers[i]->propose(as_bytes(id), str_bytes("v")));
    bool done = co_await eventually([&] { return c.all_decided(id, {0, 1, 2}); }, 5s);
    EXPECT_TRUE(done);
    co_await c.stop();
  });
}

TEST(DvQbftDriver, ExpiryFreesMemoryAndLateFramesAreDropped) {
  run_test([](asio::io_context& ioc) -> runtime::Task<void> {
    Cluster c(ioc, 4);
    QbftDriverOptions o = fast_qbft();
    o.buffer_per_peer = 3;
    for (std::uint32_t i = 0; i < 3; ++i) c.make(i, o);
    c.make_raw(3);
    c.wire();
    bool up = co_await c.connected(5s);
    EXPECT_TRUE(up);
    // Buffered frames for a never-started instance are bounded per peer, and freed by expire().
    for (int k = 0; k < 5; ++k) c.send_raw(3, 0, kQbftProtocol, encode_qbft_frame(str_bytes("future"), Bytes(100, 1)));
    const auto& mm = c.drivers[0]->metrics();
    bool counted = co_await eventually([&] { return mm.frames_in >= 5; }, 5s);
    EXPECT_TRUE(counted);
    EXPECT_EQ(mm.messages_buffered, 3u);
    EXPECT_EQ(mm.rejected(DvError::kBufferFull), 2u);
    EXPECT_EQ(c.drivers[0]->memory_bytes(), 300u);
    c.drivers[0]->expire(str_bytes("future"));
    EXPECT_EQ(c.drivers[0]->memory_bytes(), 0u);
    EXPECT_EQ(mm.buffered_instances, 0u);
    // A decided instance holds engine state until it expires.
    const std::string id = id_led_by(0, 4);
    for (std::uint32_t i = 0; i < 3; ++i) EXPECT_TRUE(c.drivers[i]->propose(as_bytes(id), str_bytes("v")));
    bool done = co_await eventually([&] { return c.all_decided(id, {0, 1, 2}); }, 5s);
    EXPECT_TRUE(done);
    EXPECT_GT(c.drivers[0]->memory_bytes(), 0u);
    c.drivers[0]->expire(as_bytes(id));
    EXPECT_EQ(c.drivers[0]->memory_bytes(), 0u);
    EXPECT_FALSE(c.drivers[0]->live(as_bytes(id)));
    EXPECT_EQ(mm.instances_expired, 1u);
    EXPECT_EQ(mm.live_instances, 0u);
    EXPECT_EQ(c.drivers[0]->propose(as_bytes(id), str_bytes("v")).error(), make_error_code(DvError::kExpired));
    c.send_raw(3, 0, kQbftProtocol, encode_qbft_frame(as_bytes(id), Bytes{1}));
    c.send_raw(3, 0, kQbftProtocol, encode_qbft_frame(str_bytes("future"), Bytes{1}));
    bool late = co_await eventually([&] { return mm.rejected(DvError::kExpired) >= 2; }, 5s);
    EXPECT_TRUE(late);
    EXPECT_EQ(c.drivers[0]->memory_bytes(), 0u);
    co_await c.stop();
  });
}

TEST(DvQbftDriver, LiveInstanceCapEvictsTheOldestAndArgumentsAreChecked) {
  run_test([](asio::io_context& ioc) -> runtime::Task<void> {
    Cluster c(ioc, 4);
    QbftDriverOptions o = fast_qbft();
    o.max_instances = 2;
    o.max_value_bytes = 16;
    c.make(0, o);
    auto& d = *c.drivers[0];
    EXPECT_TRUE(d.propose(str_bytes("a"), str_bytes("v")));
    EXPECT_TRUE(d.propose(str_bytes("b"), str_bytes("v")));
    EXPECT_TRUE(d.propose(str_bytes("c"), str_bytes("v")));
    EXPECT_FALSE(d.live(str_bytes("a")));
    EXPECT_TRUE(d.live(str_bytes("b")));
    EXPECT_TRUE(d.live(str_bytes("c")));
    EXPECT_EQ(d.metrics().instances_evicted, 1u);
    EXPECT_EQ(d.metrics().live_instances, 2u);
    EXPECT_EQ(d.round(str_bytes("c")), 1u);
    EXPECT_EQ(d.round(str_bytes("a")), 0u);
    const auto bad = make_error_code(DvError::kBadArgument);
    EXPECT_EQ(d.propose(Bytes{}, str_bytes("v")).error(), bad);
    EXPECT_EQ(d.propose(Bytes(65, 'x'), str_bytes("v")).error(), bad);
    EXPECT_EQ(d.propose(str_bytes("d"), Bytes{}).error(), bad);
    EXPECT_EQ(d.propose(str_bytes("d"), Bytes(17, 1)).error(), bad);
    d.stop();
    EXPECT_EQ(d.propose(str_bytes("d"), str_bytes("v")).error(), make_error_code(DvError::kStopped));
    EXPECT_FALSE(d.live(str_bytes("b")));
    co_await c.stop();
  });
}

TEST(DvQbftDriver, CreateChecksArgumentsAndExportsMetrics) {
  asio::io_context ioc;
  Cluster c(ioc, 4);
  auto& node = c.make_node(0);
  auto signer = std::make_shared<K1Signer>(c.key(0));
  const auto bad = make_error_code(DvError::kBadArgument);
  EXPECT_EQ(QbftDriver::create(ioc.get_executor(), node, OperatorIdx{4}, 4, signer, c.verifier).error(), bad);
  EXPECT_EQ(QbftDriver::create(ioc.get_executor(), node, OperatorIdx{0}, 0, signer, c.verifier).error(), bad);
  EXPECT_EQ(QbftDriver::create(ioc.get_executor(), node, OperatorIdx{0}, 4, nullptr, c.verifier).error(), bad);
  metrics::Registry reg;
  QbftDriverOptions o;
  o.registry = &reg;
  auto d = QbftDriver::create(ioc.get_executor(), node, OperatorIdx{0}, 4, signer, c.verifier, o);
  ASSERT_TRUE(d.has_value());
  // A second registration of the protocol on the same node fails.
  EXPECT_FALSE(QbftDriver::create(ioc.get_executor(), node, OperatorIdx{0}, 4, signer, c.verifier).has_value());
  EXPECT_TRUE((*d)->propose(str_bytes("x"), str_bytes("v")));
  auto text = reg.render();
  EXPECT_NE(text.find("phalanx_qbft_instances_total{event=\"started\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("phalanx_qbft_live_instances 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE phalanx_qbft_decision_duration_seconds histogram\n"), std::string::npos);
  d->reset();
  // The driver is gone: its collectors report nothing, the registry still renders.
  text = reg.render();
  EXPECT_EQ(text.find("phalanx_qbft_live_instances 1"), std::string::npos) << text;
  // A re-created driver on the same registry takes the names over.
  auto again = QbftDriver::create_with_transport(ioc.get_executor(), OperatorIdx{0}, 4, signer, c.verifier, o,
                                                 [](OperatorIdx, ByteSpan) -> Result<void> { return {}; });
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE((*again)->propose(str_bytes("y"), str_bytes("v")));
  EXPECT_TRUE((*again)->propose(str_bytes("z"), str_bytes("v")));
  text = reg.render();
  EXPECT_NE(text.find("phalanx_qbft_live_instances 2\n"), std::string::npos) << text;
}

// ---------------------------------------------------------------------------------------------------------
// Partial-signature exchange

TEST(DvParSigTransport, FourNodesReceiveEachOthersBatches) {
  run_test([](asio::io_context& ioc) -> runtime::Task<void> {
    Cluster c(ioc, 4);
    for (std::uint32_t i = 0; i < 4; ++i) c.make(i);
    c.wire();
    bool up = co_await c.connected(5s);
    EXPECT_TRUE(up);
    for (std::uint32_t i = 0; i < 4; ++i) {
      std::string payload = "partials-of-" + std::to_string(i);
      EXPECT_TRUE(c.parsig[i]->broadcast(str_bytes("slot-9/attester"), as_bytes(payload)));
    }
    bool all = co_await eventually(
        [&] {
          for (auto& r : c.received)
            if (r.size() < 3) return false;
          return true;
        },
        5s);
    EXPECT_TRUE(all);
    for (std::uint32_t i = 0; i < 4; ++i) {
      EXPECT_EQ(c.received[i].size(), 3u);
      std::set<std::uint32_t> from;
      for (const auto& rx : c.received[i]) {
        EXPECT_NE(rx.from, i);
        EXPECT_EQ(rx.duty, "slot-9/attester");
        EXPECT_EQ(rx.payload, "partials-of-" + std::to_string(rx.from));
        from.insert(rx.from);
      }
      EXPECT_EQ(from.size(), 3u);
      EXPECT_EQ(c.parsig[i]->metrics().frames_out, 3u);
      EXPECT_EQ(c.parsig[i]->metrics().frames_delivered, 3u);
    }
    co_await c.stop();
  });
}

TEST(DvParSigTransport, OversizeAndGarbageFramesAreRejectedAndCounted) {
  run_test([](asio::io_context& ioc) -> runtime::Task<void> {
    Cluster c(ioc, 4);
    ParSigTransportOptions po;
    po.max_payload_bytes = 1000;
    metrics::Registry reg;
    po.registry = &reg;
    c.make(0, fast_qbft(), po);
    c.make_raw(1);
    c.wire();
    bool up = co_await c.connected(5s);
    EXPECT_TRUE(up);
    c.send_raw(1, 0, kParSigProtocol, Bytes{1, 0});                                      // truncated
    c.send_raw(1, 0, kParSigProtocol, Bytes{7, 0, 1, 'd', 1});                           // bad version
    c.send_raw(1, 0, kParSigProtocol, Bytes{1, 0, 0, 1});                                // empty id
    c.send_raw(1, 0, kParSigProtocol, Bytes{1, 0, 1, 'd'});                              // empty payload
    c.send_raw(1, 0, kParSigProtocol, encode_parsig_frame(str_bytes("d"), Bytes(1001, 1)));  // oversize
    c.send_raw(1, 0, kParSigProtocol, encode_parsig_frame(str_bytes("d"), Bytes(1000, 2)));  // ok
    const auto& mm = c.parsig[0]->metrics();
    bool counted = co_await eventually([&] { return mm.frames_in >= 6; }, 5s);
    EXPECT_TRUE(counted);
    EXPECT_EQ(mm.rejected(DvError::kTruncated), 1u);
    EXPECT_EQ(mm.rejected(DvError::kBadVersion), 1u);
    EXPECT_EQ(mm.rejected(DvError::kBadIdLength), 1u);
    EXPECT_EQ(mm.rejected(DvError::kEmptyBody), 1u);
    EXPECT_EQ(mm.rejected(DvError::kTooLarge), 1u);
    EXPECT_EQ(mm.frames_delivered, 1u);
    EXPECT_EQ(c.received[0].size(), 1u);
    if (!c.received[0].empty()) {
      EXPECT_EQ(c.received[0][0].payload.size(), 1000u);
    }
    auto text = reg.render();
    EXPECT_NE(text.find("phalanx_parsigex_frames_rejected_total{reason=\"too_large\"} 1\n"), std::string::npos)
        << text;
    // Local argument checks.
    const auto bad = make_error_code(DvError::kBadArgument);
    EXPECT_EQ(c.parsig[0]->broadcast(Bytes{}, Bytes{1}).error(), bad);
    EXPECT_EQ(c.parsig[0]->broadcast(Bytes(257, 1), Bytes{1}).error(), bad);
    EXPECT_EQ(c.parsig[0]->broadcast(Bytes{1}, Bytes{}).error(), bad);
    EXPECT_EQ(c.parsig[0]->broadcast(Bytes{1}, Bytes(1001, 0)).error(), bad);
    c.parsig[0]->stop();
    EXPECT_EQ(c.parsig[0]->broadcast(Bytes{1}, Bytes{1}).error(), make_error_code(DvError::kStopped));
    co_await c.stop();
  });
}

}  // namespace
}  // namespace phx::dv
