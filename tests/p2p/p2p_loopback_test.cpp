// Integration tests of the p2p node over loopback: handshakes, protocols, requests, reconnection and queues.
#include <gtest/gtest.h>

#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <algorithm>
#include <optional>

#include "p2p/node.hpp"
#include "p2p/wire.hpp"
#include "p2p_cluster_test.hpp"

namespace phx::p2p {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using namespace testing;
using runtime::sleep_for;

TEST(P2PEndpoint, ParsesHostPortAndRejectsJunk) {
  auto a = Endpoint::parse("10.0.0.1:9000");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->host, "10.0.0.1");
  EXPECT_EQ(a->port, 9000);
  auto b = Endpoint::parse("[::1]:13000");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->to_string(), "[::1]:13000");
  for (const char* bad : {"", "host", "host:", ":80", "h:65536", "h:8x", "[::1:80", "h:-1"}) {
    EXPECT_FALSE(Endpoint::parse(bad).has_value()) << bad;
  }
}

TEST(P2PEndpoint, ParsesPeerAddressList) {
  auto l = parse_peer_addresses("0=10.0.0.1:3610,2=[::1]:3611", 3);
  ASSERT_TRUE(l.has_value());
  ASSERT_EQ(l->size(), 3u);
  EXPECT_EQ((*l)[0]->port, 3610);
  EXPECT_FALSE((*l)[1].has_value());
  EXPECT_EQ((*l)[2]->host, "::1");
  EXPECT_TRUE(parse_peer_addresses("", 2).has_value());
  for (const char* bad : {"0=a:1,0=b:2", "3=a:1", "x=a:1", "0=a", "0=a:1,", "=a:1"}) {
    EXPECT_FALSE(parse_peer_addresses(bad, 3).has_value()) << bad;
  }
}

TEST(P2PNode, CreateRejectsInconsistentConfig) {
  asio::io_context ioc;
  auto sk = k1::SecretKey::generate();
  auto other = k1::SecretKey::generate();
  PeerSetConfig cfg{lock(1), {other.public_key(), sk.public_key()}, OperatorIdx{0}, {}};
  auto copy = [&] { return k1::SecretKey::from_bytes(sk.bytes()).value(); };
  EXPECT_EQ(Node::create(ioc.get_executor(), cfg, copy()).error(), make_error_code(P2PError::kWrongOperator));
  cfg.self = OperatorIdx{2};
  EXPECT_EQ(Node::create(ioc.get_executor(), cfg, copy()).error(), make_error_code(P2PError::kBadPeer));
  cfg.self = OperatorIdx{1};
  cfg.addresses.resize(3);
  EXPECT_EQ(Node::create(ioc.get_executor(), cfg, copy()).error(), make_error_code(P2PError::kBadPeer));
  cfg.addresses.clear();
  auto n = Node::create(ioc.get_executor(), cfg, copy());
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ((*n)->register_protocol(ProtocolSpec{kPingProtocol, 8, Priority::kLow, {}, {}}).error(),
            make_error_code(P2PError::kUnknownProtocol));
  EXPECT_TRUE((*n)->register_protocol(ProtocolSpec{kTestProto, 100, Priority::kLow, {}, {}}).has_value());
  EXPECT_EQ((*n)->register_protocol(ProtocolSpec{kTestProto, 100, Priority::kLow, {}, {}}).error(),
            make_error_code(P2PError::kDuplicateProtocol));
  EXPECT_EQ((*n)->register_protocol(ProtocolSpec{kTestProto + 1, kMaxFrameLimit + 1, Priority::kLow, {}, {}})
                .error(),
            make_error_code(P2PError::kFrameTooLarge));
}

TEST(P2PNode, HandshakeSucceedsAndAllProtocolsWork) {
  run_test([](asio::io_context& ioc) -> runtime::Task<void> {
    Cluster c(ioc, 3);
    for (std::size_t i = 0; i < 3; ++i) c.make(i);
    c.wire();
    {
      bool awaited_ = co_await c.all_connected(5s);
      EXPECT_TRUE(awaited_);
    }

    Bytes msg(1024, 0x42);
    EXPECT_TRUE(c.nodes[0]->send(OperatorIdx{1}, kTestProto, msg).has_value());
    EXPECT_TRUE(c.nodes[2]->send(OperatorIdx{1}, kTestProto, Bytes{1, 2, 3}).has_value());
    {
      bool awaited_ = co_await eventually(
          [&] { return c.received[1][0].size() == 1 && c.received[1][2].size() == 1; }, 3s);
      EXPECT_TRUE(awaited_);
    }
    if (c.received[1][0].size() == 1) {
      EXPECT_EQ(c.received[1][0][0], msg);
    }

    Bytes nines(2, 9);  // (no braced temporaries inside co_await: g++ 12 coroutine bug)
    auto resp = co_await c.nodes[2]->request(OperatorIdx{0}, kEchoProto, nines, 2s);
    EXPECT_TRUE(resp.has_value());
    if (resp) {
      EXPECT_EQ(*resp, (Bytes{9, 9, 2}));
    }  // handler saw the authenticated sender index
    Bytes empty;
    auto err = co_await c.nodes[2]->request(OperatorIdx{0}, kEchoProto, empty, 2s);
    EXPECT_EQ(err.error(), make_error_code(P2PError::kRemoteError));

    auto rtt = co_await c.nodes[0]->ping(OperatorIdx{2}, 2s);
    EXPECT_TRUE(rtt.has_value());
    if (rtt) {
      EXPECT_LT(*rtt, 1s);
    }
    auto info = co_await c.nodes[1]->peer_info(OperatorIdx{0}, 2s);
    EXPECT_TRUE(info.has_value());
    if (info) {
      EXPECT_FALSE(info->extension.has_value());  // node 0 has not said anything about itself yet
    }
    c.nodes[0]->set_local_info(PeerInfoExtension{"9.8.7", 1700000000, 6, "", ""});
    info = co_await c.nodes[1]->peer_info(OperatorIdx{0}, 2s);
    EXPECT_TRUE(info.has_value());
    if (info) {
      EXPECT_EQ(info->extension, (PeerInfoExtension{"9.8.7", 1700000000, 6, "", ""}));
      EXPECT_EQ(c.nodes[1]->metrics().peers[0].info->extension, info->extension);
      EXPECT_EQ(info->version, kProtocolVersion);
      EXPECT_EQ(info->lock_hash, c.lh);
      EXPECT_LT(info->clock_offset, 1s);
      EXPECT_GT(info->clock_offset, -1s);
    }

    // Bad arguments are errors, not crashes.
    EXPECT_EQ(c.nodes[0]->send(OperatorIdx{1}, 99, msg).error(), make_error_code(P2PError::kUnknownProtocol));
    EXPECT_EQ(c.nodes[0]->send(OperatorIdx{1}, kTestProto, Bytes(kTestMax + 1)).error(),
              make_error_code(P2PError::kFrameTooLarge));
    EXPECT_EQ(c.nodes[0]->send(OperatorIdx{0}, kTestProto, msg).error(), make_error_code(P2PError::kBadPeer));
    EXPECT_EQ(c.nodes[0]->send(OperatorIdx{7}, kTestProto, msg).error(), make_error_code(P2PError::kBadPeer));

    // One connection per pair survives the simultaneous dials, and pings keep it measured.
    co_await sleep_for(400ms);
    for (std::uint32_t i = 0; i < 3; ++i) {
      for (std::uint32_t j = 0; j < 3; ++j) {
        if (i == j) continue;
        const auto& m = c.nodes[i]->metrics().peers[j];
        EXPECT_TRUE(m.connected);
        EXPECT_GT(m.rtt_ms, 0.0);
        EXPECT_GT(m.messages_out, 0u);
      }
      std::uint64_t failures = 0;
      for (auto f : c.nodes[i]->metrics().handshake_failures) failures += f;
      EXPECT_EQ(failures, 0u);
    }
    EXPECT_EQ(c.nodes[1]->metrics().peers[0].bytes_in > 1024, true);
    co_await c.stop_all();
  });
}

TEST(P2PNode, ThrowingHandlerAnswersWithAnErrorAndFreesItsSlot) {
  run_test([](asio::io_context& ioc) -> runtime::Task<void> {
    Cluster c(ioc, 2);
    auto o = fast_options();
    o.max_inflight_requests = 2;
    c.make(0, o);
    c.make(1);
    c.wire();
    {
      bool awaited_ = co_await c.all_connected(5s);
      EXPECT_TRUE(awaited_);
    }
    // More throwing requests than in-flight slots: each gets an error response at once (not a timeout), and
    // the slots come back, so a normal request afterwards still succeeds.
    Bytes boom(1, kThrowByte);
    for (int i = 0; i < 5; ++i) {
      auto r = co_await c.nodes[1]->request(OperatorIdx{0}, kEchoProto, boom, 2s);
      EXPECT_EQ(r.error(), make_error_code(P2PError::kRemoteError)) << i;
    }
    Bytes fine(1, 7);
    auto ok = co_await c.nodes[1]->request(OperatorIdx{0}, kEchoProto, fine, 2s);
    EXPECT_TRUE(ok.has_value());
    co_await c.stop_all();
  });
}

// A peer with more requests in flight than max_inflight_requests gets the extra ones refused at once (an error
// answer, not a wait); the admitted ones complete, and the slots come back.
TEST(P2PNode, RequestsBeyondTheInFlightCapAreRefusedAtOnce) {
  run_test([](asio::io_context& ioc) -> runtime::Task<void> {
    Cluster c(ioc, 2);
    auto o = fast_options();
    o.max_inflight_requests = 2;
    c.make(0, o);
    c.make(1);
    c.wire();
    {
      bool awaited_ = co_await c.all_connected(5s);
      EXPECT_TRUE(awaited_);
    }
    struct Outcome {
      bool ok = false;
      std::error_code error;
      Duration took{};
    };
    std::vector<std::optional<Outcome>> out(5);
    for (std::size_t i = 0; i < out.size(); ++i)
      asio::co_spawn(
          ioc,
          [&c, &out, i]() -> runtime::Task<void> {
            const auto start = std::chrono::steady_clock::now();
            Bytes slow(1, kSlowByte);
            auto r = co_await c.nodes[1]->request(OperatorIdx{0}, kEchoProto, slow, 5s);
            Outcome got;
            got.ok = r.has_value();
            if (!r) got.error = r.error();
            got.took = std::chrono::steady_clock::now() - start;
            out[i] = got;
          },
          asio::detached);
    bool all = co_await eventually([&] { return std::all_of(out.begin(), out.end(), [](auto& x) { return x.has_value(); }); }, 5s);
    EXPECT_TRUE(all);
    std::size_t ok = 0, refused = 0;
    for (const auto& x : out) {
      if (!x) continue;
      if (x->ok) {
        ++ok;
      } else {
        ++refused;
        EXPECT_EQ(x->error, make_error_code(P2PError::kRemoteError));
        EXPECT_LT(x->took, 1200ms);  // at once, not after the slow handler (1.5 s)
      }
    }
    EXPECT_EQ(ok, 2u);
    EXPECT_EQ(refused, 3u);
    Bytes fine(1, 7);
    auto again = co_await c.nodes[1]->request(OperatorIdx{0}, kEchoProto, fine, 2s);
    EXPECT_TRUE(again.has_value());
    co_await c.stop_all();
  });
}

TEST(P2PNode, ReconnectsAfterPeerIsKilledAndRestarted) {
  run_test([](asio::io_context& ioc) -> runtime::Task<void> {
    Cluster c(ioc, 2);
    c.make(0);
    c.make(1);
    // Only node 0 dials: a dial node 1 had in flight when it stopped could otherwise complete its handshake at
    // node 0 after the stop and take the queued frame below into a connection that dies at once.
    c.nodes[0]->set_peer_address(OperatorIdx{1}, c.nodes[1]->local_endpoint());
    {
      bool awaited_ = co_await c.all_connected(5s);
      EXPECT_TRUE(awaited_);
    }
    co_await c.nodes[1]->stop();
    c.nodes[1].reset();
    {
      bool awaited_ = co_await eventually([&] { return !c.nodes[0]->connected(OperatorIdx{1}); }, 3s);
      EXPECT_TRUE(awaited_);
    }
    // Messages sent while the peer is away wait in the bounded queue.
    EXPECT_TRUE(c.nodes[0]->send(OperatorIdx{1}, kTestProto, Bytes{1}).has_value());
    Bytes one(1, 1);
    auto down = co_await c.nodes[0]->request(OperatorIdx{1}, kEchoProto, one, 1s);
    EXPECT_EQ(down.error(), make_error_code(P2PError::kNotConnected));
    co_await sleep_for(300ms);  // let node 0 fail a few dials into the backoff
    c.make(1);
    c.nodes[0]->set_peer_address(OperatorIdx{1}, c.nodes[1]->local_endpoint());
    {
      // A wait, not a speed claim: under load the restarted node's handshake may fail and back off first.
      bool awaited_ = co_await c.all_connected(20s);
      EXPECT_TRUE(awaited_);
    }
    {
      bool awaited_ = co_await eventually([&] { return c.received[1][0].size() == 1; }, 2s);
      EXPECT_TRUE(awaited_);
    }
    EXPECT_GE(c.nodes[0]->metrics().peers[1].connects, 2u);
    EXPECT_GE(c.nodes[0]->metrics().peers[1].disconnects, 1u);
    EXPECT_GT(c.nodes[0]->metrics().peers[1].dial_failures, 0u);
    co_await c.stop_all();
  });
}

// A path cut and restored leaves the old connection silent (TCP's retransmission backoff can keep it so for many
// seconds): once it has received nothing for stall_after, the node dials a new connection beside it, and the
// new one replaces it even where the tie-break would keep the old (here the old one was dialled by the preferred,
// lower-index side, the new one by this node). Operator 0's old connection is a session that never reads or
// answers; the real operator 0 only accepts, so nothing but the stall makes operator 1 dial it before the 30-s
// idle timeout.
TEST(P2PNode, AStalledConnectionIsReplacedByANewDialBesideIt) {
  run_test([](asio::io_context& ioc) -> runtime::Task<void> {
    Cluster c(ioc, 2);
    auto o = fast_options();
    o.stall_after = 300ms;
    o.idle_timeout = 30s;
    auto& a = c.make(1, o);
    auto old = co_await RawSession::connect(a.local_endpoint(), c.keys[0], c.lh, OperatorIdx{0});
    EXPECT_TRUE(old.has_value());
    {
      bool awaited_ = co_await eventually([&] { return a.connected(OperatorIdx{0}); }, 5s);
      EXPECT_TRUE(awaited_);
    }
    auto b_opts = fast_options();
    b_opts.idle_timeout = 30s;
    auto& b = c.make(0, b_opts);  // knows no address: only accepts
    a.set_peer_address(OperatorIdx{0}, b.local_endpoint());
    {
      bool awaited_ = co_await eventually([&] { return a.metrics().peers[0].stalls >= 1; }, 10s);
      EXPECT_TRUE(awaited_);
    }
    // Frames queued just before the switch may go into the old connection: keep sending until one arrives.
    {
      bool awaited_ = co_await eventually(
          [&] {
            (void)a.send(OperatorIdx{0}, kTestProto, Bytes{0x5a});
            return !c.received[0][1].empty();
          },
          10s);
      EXPECT_TRUE(awaited_);
    }
    EXPECT_TRUE(a.connected(OperatorIdx{0}));
    EXPECT_TRUE(b.connected(OperatorIdx{1}));
    EXPECT_EQ(a.metrics().peers[0].connects, 2u);  // the old session, then the replacement
    EXPECT_EQ(a.metrics().peers[0].disconnects, 1u);
    co_await c.stop_all();
  });
}

// A frame that arrives slowly is traffic, not silence: every piece of its body counts, so a large frame on a thin
// link does not make the connection look stalled (and get replaced mid-frame).
TEST(P2PNode, AFrameArrivingSlowerThanStallAfterIsNotAStall) {
  run_test([](asio::io_context& ioc) -> runtime::Task<void> {
    Cluster c(ioc, 2);
    auto o = fast_options();
    o.stall_after = 2s;
    o.idle_timeout = 30s;
    auto& a = c.make(1, o);
    auto s = co_await RawSession::connect(a.local_endpoint(), c.keys[0], c.lh, OperatorIdx{0});
    EXPECT_TRUE(s.has_value());
    if (!s) co_return;
    Bytes frame;
    encode_frame(frame, kTestProto, FrameKind::kMessage, 0, Bytes(150, 0x42));
    // The header, then the body a byte every 20 ms: 3 s for the whole frame, each gap far below stall_after.
    EXPECT_TRUE((co_await (*s)->write(ByteSpan(frame.data(), kFrameHeaderSize))).has_value());
    for (std::size_t i = kFrameHeaderSize; i < frame.size(); ++i) {
      co_await sleep_for(20ms);
      EXPECT_TRUE((co_await (*s)->write(ByteSpan(frame.data() + i, 1))).has_value());
    }
    {
      bool awaited_ = co_await eventually([&] { return c.received[1][0].size() == 1; }, 5s);
      EXPECT_TRUE(awaited_);
    }
    EXPECT_EQ(a.metrics().peers[0].stalls, 0u);
    EXPECT_TRUE(a.connected(OperatorIdx{0}));
    co_await c.stop_all();
  });
}

TEST(P2PNode, FullQueueDropsOldestLowPriorityFirst) {
  run_test([](asio::io_context& ioc) -> runtime::Task<void> {
    Cluster c(ioc, 2);
    auto o = fast_options();
    o.queue_max_frames = 4;
    auto& a = c.make(0, o);  // operator 1 is not up yet: frames wait in the queue
    for (std::uint8_t k = 0; k < 6; ++k)
      EXPECT_TRUE(a.send(OperatorIdx{1}, kTestProto, Bytes(1, k)).has_value());
    EXPECT_TRUE(a.send(OperatorIdx{1}, kHighProto, Bytes(1, 100)).has_value());
    EXPECT_TRUE(a.send(OperatorIdx{1}, kHighProto, Bytes(1, 101)).has_value());
    // low 0,1 evicted by low 4,5; low 2,3 evicted by the two high-priority frames.
    EXPECT_EQ(a.metrics().peers[1].drops, 4u);
    c.make(1);
    c.wire();
    {
      bool awaited_ = co_await eventually(
          [&] { return c.received[1][0].size() == 2 && c.received_high[1][0].size() == 2; }, 5s);
      EXPECT_TRUE(awaited_);
    }
    co_await sleep_for(100ms);
    EXPECT_EQ(c.received[1][0], (std::vector<Bytes>{Bytes(1, 4), Bytes(1, 5)}));
    EXPECT_EQ(c.received_high[1][0], (std::vector<Bytes>{Bytes(1, 100), Bytes(1, 101)}));
    co_await c.stop_all();
  });
}

}  // namespace
}  // namespace phx::p2p
