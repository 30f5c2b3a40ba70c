// Test helpers for the p2p node tests over loopback: a cluster of nodes on one io_context (one network thread)
// with test protocols that record what they receive, and coroutine polling helpers.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <map>
#include <stdexcept>
#include <vector>

#include "base/assert.hpp"
#include "p2p/node.hpp"
#include "runtime/runtime_testing_test.hpp"

namespace phx::p2p::testing {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using runtime::sleep_for;

inline constexpr ProtocolId kTestProto = 20;
inline constexpr ProtocolId kEchoProto = 21;
inline constexpr ProtocolId kHighProto = 22;
inline constexpr std::uint32_t kTestMax = 64 * 1024;

/// A request body of this single byte makes the echo handler throw (a buggy handler).
inline constexpr std::uint8_t kThrowByte = 0xEE;
/// A request body of this single byte makes the echo handler answer after 1.5 s (a slow handler).
inline constexpr std::uint8_t kSlowByte = 0xDD;

inline NodeOptions fast_options() {
  NodeOptions o;
  o.backoff_min = 20ms;
  o.backoff_max = 300ms;
  o.ping_interval = 100ms;
  o.idle_timeout = 1s;
  o.write_timeout = 1s;
  o.connect_timeout = 1s;
  o.handshake_timeout = 2s;
  return o;
}

inline Root lock(std::uint8_t tag) {
  Root r{};
  r.fill(tag);
  return r;
}

/// N operator keys, their nodes (created lazily), and what each node received on kTestProto.
struct Cluster {
  explicit Cluster(asio::io_context& io, std::size_t n, Root lock_hash = lock(1)) : ioc(io), lh(lock_hash) {
    for (std::size_t i = 0; i < n; ++i) {
      keys.push_back(k1::SecretKey::generate());
      pubs.push_back(keys.back().public_key());
    }
    nodes.resize(n);
    received.resize(n);
    received_high.resize(n);
  }

  PeerSetConfig config(std::size_t i) const {
    return PeerSetConfig{lh, pubs, OperatorIdx{static_cast<std::uint32_t>(i)}, {}};
  }

  Node& make(std::size_t i, NodeOptions o = fast_options()) {
    auto sk = k1::SecretKey::from_bytes(keys[i].bytes()).value();
    auto n = Node::create(ioc.get_executor(), config(i), std::move(sk), o);
    PHX_ASSERT(n.has_value());
    nodes[i] = std::move(*n);
    auto* rx = &received[i];
    PHX_ASSERT(nodes[i]
                   ->register_protocol(ProtocolSpec{kTestProto,
                                                    kTestMax,
                                                    Priority::kLow,
                                                    [rx](OperatorIdx from, ByteSpan b) {
                                                      (*rx)[from.value].emplace_back(b.begin(), b.end());
                                                    },
                                                    {}})
                   .has_value());
    PHX_ASSERT(
        nodes[i]
            ->register_protocol(ProtocolSpec{kEchoProto,
                                             1024,
                                             Priority::kHigh,
                                             {},
                                             [](OperatorIdx from, Bytes b) -> runtime::Task<Result<Bytes>> {
                                               if (b.empty()) co_return fail(P2PError::kRemoteError);
                                               if (b.size() == 1 && b[0] == kThrowByte)
                                                 throw std::runtime_error("handler bug (test)");
                                               if (b.size() == 1 && b[0] == kSlowByte) co_await sleep_for(1500ms);
                                               b.push_back(static_cast<std::uint8_t>(from.value));
                                               co_return b;
                                             }})
            .has_value());
    auto* rx_high = &received_high[i];
    PHX_ASSERT(nodes[i]
                   ->register_protocol(ProtocolSpec{kHighProto,
                                                    1024,
                                                    Priority::kHigh,
                                                    [rx_high](OperatorIdx from, ByteSpan b) {
                                                      (*rx_high)[from.value].emplace_back(b.begin(), b.end());
                                                    },
                                                    {}})
                   .has_value());
    PHX_ASSERT(nodes[i]->start().has_value());
    return *nodes[i];
  }

  /// Tells every running node where every other running node listens.
  void wire() {
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      for (std::size_t j = 0; j < nodes.size(); ++j) {
        if (i != j && nodes[i] && nodes[j])
          nodes[i]->set_peer_address(OperatorIdx{static_cast<std::uint32_t>(j)}, nodes[j]->local_endpoint());
      }
    }
  }

  runtime::Task<bool> all_connected(Duration timeout) {
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      for (std::size_t j = 0; j < nodes.size(); ++j) {
        if (i == j || !nodes[i] || !nodes[j]) continue;
        if (!co_await nodes[i]->wait_connected(OperatorIdx{static_cast<std::uint32_t>(j)}, timeout))
          co_return false;
      }
    }
    co_return true;
  }

  runtime::Task<void> stop_all() {
    for (auto& n : nodes) {
      if (n) co_await n->stop();
    }
  }

  asio::io_context& ioc;
  Root lh;
  std::vector<k1::SecretKey> keys;
  std::vector<k1::PublicKey> pubs;
  std::vector<std::unique_ptr<Node>> nodes;
  std::vector<std::map<std::uint32_t, std::vector<Bytes>>> received;
  std::vector<std::map<std::uint32_t, std::vector<Bytes>>> received_high;
};

using runtime::eventually;
using runtime::run_test;

}  // namespace phx::p2p::testing
