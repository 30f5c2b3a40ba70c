#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cluster/create.hpp"
#include "cluster/deposit.hpp"
#include "cluster/lock_verify.hpp"

namespace phx::cluster {
namespace {

namespace bls = crypto::bls;

CreateParams params(std::uint32_t nodes = 4, std::uint32_t validators = 2) {
  CreateParams p;
  p.nodes = nodes;
  p.num_validators = validators;
  p.network = "hoodi";
  p.withdrawal_addresses = {"0x000000000000000000000000000000000000dEaD"};
  p.fee_recipient_addresses = {"0x1111111111111111111111111111111111111111"};
  return p;
}

TEST(CreateCluster, ProducesALockThatVerifies) {
  auto c = create_cluster(params());
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->lock.definition.threshold, 3u);
  EXPECT_EQ(c->lock.definition.version, "v1.10.0");
  auto ok = verify_lock(c->lock);
  EXPECT_TRUE(ok) << (ok ? "" : ok.error().message());
  // The JSON we write parses back to a lock that still verifies.
  auto again = parse_lock(write_lock(c->lock));
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_TRUE(verify_lock(*again));
  ASSERT_EQ(c->nodes.size(), 4u);
  for (const auto& n : c->nodes) EXPECT_EQ(n.shares.size(), 2u);
  ASSERT_EQ(c->deposits.size(), 1u);
  EXPECT_EQ(c->deposits.begin()->first, 32'000'000'000ull);
}

TEST(CreateCluster, EveryLockCheckCatchesItsTamper) {
  auto c = create_cluster(params());
  ASSERT_TRUE(c);
  const Lock& good = c->lock;
  auto expect = [](const Lock& l, LockError e, const char* what) {
    auto r = verify_lock(l);
    ASSERT_FALSE(r) << what;
    EXPECT_EQ(r.error().code, e) << what << ": " << r.error().message();
  };
  Lock a = good;
  a.node_signatures[1] = a.node_signatures[0];
  expect(a, LockError::kBadNodeSignature, "node signature");
  Lock b = good;
  b.signature_aggregate[10] ^= 1;
  expect(b, LockError::kBadSignatureAggregate, "aggregate bytes");
  Lock b2 = good;
  b2.signature_aggregate = Bytes(96, 0);  // not a point encoding
  expect(b2, LockError::kBadSignatureAggregate, "aggregate encoding");
  Lock e = good;
  e.lock_hash[0] ^= 1;
  expect(e, LockError::kLockHashMismatch, "lock hash");
  Lock f = good;
  f.definition.operators[0].enr_signature = Bytes(65, 1);
  expect(f, LockError::kDefinitionHashMismatch, "signature changes definition hash");
}

TEST(CreateCluster, InconsistentSharesAreRejectedEvenWithMatchingHashes) {
  // Replace one public share by another point, then re-hash and re-sign so only the share check can catch it.
  auto c = create_cluster(params());
  ASSERT_TRUE(c);
  Lock l = c->lock;
  l.validators[0].public_shares[3] = bls::SecretKey::from_scalar(bls::Fr::random()).public_key().to_bytes();
  l.lock_hash = *compute_lock_hash(l);
  auto r = verify_lock(l);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, LockError::kInconsistentShares);
  EXPECT_NE(r.error().detail.find("validator 0"), std::string::npos);
}

TEST(CreateCluster, SplitExistingKeysKeepsTheirPublicKeysAndSharesRecover) {
  auto p = params(5, 0);
  std::vector<ByteArray<48>> pubkeys;
  for (int i = 0; i < 3; ++i) {
    p.existing_keys.push_back(bls::SecretKey::from_scalar(bls::Fr::random()));
    pubkeys.push_back(p.existing_keys.back().public_key().to_bytes());
  }
  auto c = create_cluster(std::move(p));
  ASSERT_TRUE(c) << c.error().message();
  ASSERT_EQ(c->lock.validators.size(), 3u);
  EXPECT_EQ(c->lock.definition.threshold, 4u);
  for (std::size_t v = 0; v < 3; ++v) {
    EXPECT_EQ(c->lock.validators[v].distributed_public_key, pubkeys[v]);
    // Any threshold of nodes recovers the key: use nodes 4, 2, 0, 3.
    std::vector<crypto::threshold::KeyShare> shares;
    for (int n : {4, 2, 0, 3})
      shares.push_back({c->nodes[n].shares[v].idx,
                        bls::SecretKey::from_bytes(c->nodes[n].shares[v].secret.to_bytes().view()).value()});
    auto sk = crypto::threshold::recover_secret(shares, 4);
    ASSERT_TRUE(sk);
    EXPECT_EQ(sk->public_key().to_bytes(), pubkeys[v]);
  }
}

TEST(CreateCluster, BadParametersAreClearErrors) {
  auto msg = [](CreateParams p) {
    auto r = create_cluster(std::move(p));
    return r ? std::string("ok") : r.error().detail;
  };
  auto p = params();
  p.threshold = 5;
  EXPECT_NE(msg(std::move(p)).find("exceeds --nodes"), std::string::npos);
  p = params();
  p.threshold = 1;
  EXPECT_NE(msg(std::move(p)).find("at least 2"), std::string::npos);
  p = params();
  p.network = "moonnet";
  EXPECT_NE(msg(std::move(p)).find("unknown network"), std::string::npos);
  p = params();
  p.withdrawal_addresses = {"0x1234"};
  EXPECT_NE(msg(std::move(p)).find("not an address"), std::string::npos);
  p = params(4, 3);
  p.fee_recipient_addresses = {"0x1111111111111111111111111111111111111111", "0x2222222222222222222222222222222222222222"};
  EXPECT_NE(msg(std::move(p)).find("exactly 3"), std::string::npos);
  p = params();
  p.deposit_amounts_gwei = {31'000'000'000};
  EXPECT_NE(msg(std::move(p)).find("32 ETH"), std::string::npos);
  p = params(2);
  EXPECT_NE(msg(std::move(p)).find("--nodes"), std::string::npos);
}

TEST(CreateCluster, PartialDepositsAndCompoundingCredentials) {
  auto p = params(4, 1);
  p.deposit_amounts_gwei = *parse_eth_amounts("1,31");
  auto c = create_cluster(std::move(p));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->deposits.size(), 2u);
  EXPECT_EQ(deposit_data_file_name(1'000'000'000), "deposit-data-1eth.json");
  EXPECT_EQ(deposit_data_file_name(32'000'000'000), "deposit-data.json");
  EXPECT_EQ(c->lock.validators[0].partial_deposit_data[0].withdrawal_credentials[0], 0x01);
  auto q = params(4, 1);
  q.compounding = true;
  q.deposit_amounts_gwei = *parse_eth_amounts("64");
  auto cc = create_cluster(std::move(q));
  ASSERT_TRUE(cc) << cc.error().message();
  EXPECT_EQ(cc->lock.validators[0].partial_deposit_data[0].withdrawal_credentials[0], 0x02);
  EXPECT_TRUE(verify_lock(cc->lock));
  EXPECT_FALSE(parse_eth_amounts("1,x"));
  EXPECT_FALSE(parse_eth_amounts(""));
  EXPECT_FALSE(parse_eth_amounts("0"));
}

TEST(DepositData, GoldenFileRootsAndSignaturesReproduce) {
  std::ifstream in(std::string(PHX_CHARON_VECTORS) + "/deposit_data_golden.json");
  auto j = nlohmann::json::parse(in);
  int checked = 0;
  for (const auto& e : j) {
    DepositData dd;
    dd.pubkey = *from_hex_fixed<48>(e["pubkey"].get<std::string>());
    dd.withdrawal_credentials = *from_hex_fixed<32>(e["withdrawal_credentials"].get<std::string>());
    dd.amount = e["amount"].get<std::uint64_t>();
    dd.signature = *from_hex_fixed<96>(e["signature"].get<std::string>());
    auto fork = *from_hex_fixed<4>(e["fork_version"].get<std::string>());
    EXPECT_EQ(to_hex(deposit_message_root(dd), false), e["deposit_message_root"].get<std::string>());
    EXPECT_EQ(to_hex(deposit_data_root(dd), false), e["deposit_data_root"].get<std::string>());
    EXPECT_TRUE(verify_deposit(dd, fork)) << checked;
    EXPECT_EQ(network_name_of(fork), e["network_name"].get<std::string>());
    ++checked;
  }
  EXPECT_EQ(checked, 4);
}

}  // namespace
}  // namespace phx::cluster
