// Untrusted input from peers and beacon nodes, at the node's adapters: peers' partial-signature batches
// (ParSigExAdapter::on_frame: undecodable payloads, a frame duty id that does not match its batch, partials for
// another operator's share) and the beacon nodes' event streams (BnEvents: undecodable events, the same head from
// two beacon nodes). The bad-input table of docs/RELIABILITY.md names these cases.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <string>
#include <vector>

#include "app/bn_events.hpp"
#include "app/parsigex.hpp"
#include "core/codec.hpp"
#include "crypto/bls/bls.hpp"
#include "crypto/k1/k1.hpp"
#include "dv/parsig_transport.hpp"
#include "p2p/node.hpp"

namespace phx::app {
namespace {

namespace asio = boost::asio;
using core::Duty;
using core::DutyType;
using core::ParSignedData;
using core::PubKey;

PubKey pk(std::uint8_t b) {
  PubKey p{};
  p[0] = b;
  return p;
}

crypto::bls::Signature sig(std::uint8_t seed) {
  ByteArray<32> ikm{};
  ikm.fill(seed);
  auto sk = crypto::bls::SecretKey::keygen(ikm);
  Root r{};
  r[0] = seed;
  return sk->sign(r);
}

/// Operator 0's adapter over a p2p node that is never started: frames are handed to on_frame directly.
struct AdapterUnderTest {
  asio::io_context ioc;
  std::vector<crypto::k1::SecretKey> keys;
  std::unique_ptr<p2p::Node> node;
  std::unique_ptr<dv::ParSigTransport> transport;
  std::unique_ptr<ParSigExAdapter> adapter;
  std::vector<std::pair<Duty, ParSignedData>> received;

  AdapterUnderTest() {
    std::vector<crypto::k1::PublicKey> pubs;
    for (int i = 0; i < 4; ++i) {
      keys.push_back(crypto::k1::SecretKey::generate());
      pubs.push_back(keys.back().public_key());
    }
    Root lock{};
    lock.fill(3);
    auto n = p2p::Node::create(ioc.get_executor(), p2p::PeerSetConfig{lock, pubs, OperatorIdx{0}, {}},
                               crypto::k1::SecretKey::from_bytes(keys[0].bytes()).value());
    EXPECT_TRUE(n.has_value());
    node = std::move(*n);
    auto t = dv::ParSigTransport::create(*node, OperatorIdx{0}, 4);
    EXPECT_TRUE(t.has_value());
    transport = std::move(*t);
    adapter = std::make_unique<ParSigExAdapter>(*transport);
    adapter->subscribe_received(
        [this](const Duty& d, const PubKey&, const ParSignedData& p) { received.emplace_back(d, p); });
  }
};

std::pair<PubKey, ParSignedData> randao_partial(std::uint8_t key, std::uint32_t share, std::uint8_t seed) {
  return {pk(key), ParSignedData{core::SignedData{core::RandaoMessage{Epoch{3}}, sig(seed)}, ShareIdx{share}}};
}

TEST(ParSigExAdapterInput, OnlyThePeersOwnSharesOfAWellFormedBatchReachTheWorkflow) {
  AdapterUnderTest a;
  const Duty duty{Slot{100}, DutyType::kRandao};
  const Bytes id = core::encode_duty(duty);
  // Operator 2 holds share 3: its own partial passes, one claimed for share 1 (operator 0's) is dropped.
  std::vector<std::pair<PubKey, ParSignedData>> batch{randao_partial(9, 3, 1), randao_partial(4, 1, 2)};
  a.adapter->on_frame(OperatorIdx{2}, id, core::encode_partials(duty, batch));
  ASSERT_EQ(a.received.size(), 1u);
  EXPECT_TRUE(a.received[0].first == duty);
  EXPECT_EQ(a.received[0].second.share_idx, ShareIdx{3});
  EXPECT_EQ(a.adapter->metrics().batches_in, 1u);
  EXPECT_EQ(a.adapter->metrics().partials_spoofed, 1u);
  EXPECT_EQ(a.adapter->metrics().batches_malformed, 0u);
}

TEST(ParSigExAdapterInput, ABatchUnderAnotherDutysIdOrUndecodableIsDroppedWhole) {
  AdapterUnderTest a;
  const Duty duty{Slot{100}, DutyType::kRandao};
  std::vector<std::pair<PubKey, ParSignedData>> batch{randao_partial(9, 3, 1)};
  const Bytes payload = core::encode_partials(duty, batch);
  // The frame names slot 101: a peer cannot slip partials of one duty in under another's id.
  a.adapter->on_frame(OperatorIdx{2}, core::encode_duty(Duty{Slot{101}, DutyType::kRandao}), payload);
  a.adapter->on_frame(OperatorIdx{2}, core::encode_duty(Duty{Slot{100}, DutyType::kAttester}), payload);
  a.adapter->on_frame(OperatorIdx{2}, Bytes{1, 2, 3}, payload);  // an id that does not decode
  Bytes truncated = payload;
  truncated.resize(payload.size() / 2);
  a.adapter->on_frame(OperatorIdx{2}, core::encode_duty(duty), truncated);
  a.adapter->on_frame(OperatorIdx{2}, core::encode_duty(duty), Bytes{});
  // The signature's compression flag cleared: no longer a valid compressed G2 encoding.
  Bytes bad_sig = payload;
  const auto sig_bytes = sig(1).to_bytes();
  const auto at = std::search(bad_sig.begin(), bad_sig.end(), sig_bytes.begin(), sig_bytes.end());
  ASSERT_NE(at, bad_sig.end());
  *at &= 0x7f;
  a.adapter->on_frame(OperatorIdx{2}, core::encode_duty(duty), bad_sig);
  EXPECT_TRUE(a.received.empty());
  EXPECT_EQ(a.adapter->metrics().batches_malformed, 6u);
  EXPECT_EQ(a.adapter->metrics().batches_in, 0u);
  // The same batch under its own id still passes afterwards.
  a.adapter->on_frame(OperatorIdx{2}, core::encode_duty(duty), payload);
  EXPECT_EQ(a.received.size(), 1u);
}

const std::string kHead141 =
    R"({"slot":"141","block":"0x3dd18eaf6bfccfd86572fc93bfc94bf0b2db63c5b3b5f14a4ee6ec82daa18ee8",)"
    R"("state":"0xee3b18440761a6ef0d611fafb7f6eb91920d6dba63bad8b991ab5cabfa782e02","epoch_transition":false,)"
    R"("previous_duty_dependent_root":"0x78eda6c51e2d7eb8e5dea13d16b1afaf4213dc4647df1633fafa5593d3352671",)"
    R"("current_duty_dependent_root":"0x8573c50664ff4f57def3b1b935847848d4e8e9decc6205d79c5c876497ff6676",)"
    R"("execution_optimistic":false})";

TEST(BnEventsInput, UndecodableEventsAreCountedAndTheSameHeadFromTwoBeaconNodesIsPassedOnOnce) {
  std::vector<core::HeadEvent> heads;
  const beaconapi::http::Endpoint a{"127.0.0.1", 1}, b{"127.0.0.1", 2};
  BnEvents events({a, b}, [&](const core::HeadEvent& h) { heads.push_back(h); });
  bool delivered = false;
  events.on_event(a, "head", kHead141, delivered);
  EXPECT_TRUE(delivered);
  delivered = false;
  events.on_event(b, "head", kHead141, delivered);  // the second BN's copy of the same block
  EXPECT_TRUE(delivered);                          // the stream works; the head is not passed on again
  ASSERT_EQ(heads.size(), 1u);
  EXPECT_EQ(heads[0].slot, Slot{141});
  EXPECT_EQ(events.stats().duplicate_heads, 1u);
  for (const std::string& bad : {std::string("{"), std::string(R"({"slot":"x"})"), kHead141.substr(0, 40),
                                std::string(R"({"slot":"-1","block":"0x00"})")}) {
    delivered = false;
    events.on_event(a, "head", bad, delivered);
    EXPECT_FALSE(delivered) << bad;
    events.on_event(a, "chain_reorg", bad, delivered);
    EXPECT_FALSE(delivered) << bad;
  }
  EXPECT_EQ(events.stats().bad_events, 8u);
  delivered = false;
  events.on_event(a, "block", "{}", delivered);  // a topic not asked for: ignored, not counted
  EXPECT_FALSE(delivered);
  EXPECT_EQ(events.stats().bad_events, 8u);
  EXPECT_EQ(heads.size(), 1u);
  EXPECT_EQ(events.stats().heads, 1u);
}

}  // namespace
}  // namespace phx::app
