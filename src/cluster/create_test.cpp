#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cluster/create.hpp"
#include "cluster/deposit.hpp"
#include "cluster/eip712.hpp"
#include "cluster/enr.hpp"
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
  EXPECT_EQ(c->lock.definition.version, "v1.11.0");
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

TEST(CreateCluster, WritesV1_10OnRequest) {
  auto p = params(4, 1);
  p.version = "v1.10.0";
  auto c = create_cluster(std::move(p));
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->lock.definition.version, "v1.10.0");
  EXPECT_TRUE(verify_lock(*parse_lock(write_lock(c->lock))));
  p = params(4, 1);
  p.version = "v1.9.0";
  EXPECT_NE(create_cluster(std::move(p)).error().detail.find("v1.11.0 (default) or v1.10.0"), std::string::npos);
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

namespace phx::cluster {
namespace {

std::vector<std::string> enrs(std::size_t n) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(Enr::create(crypto::k1::SecretKey::generate()).to_text());
  return out;
}

CreateDkgParams dkg_params(std::size_t operators = 4) {
  CreateDkgParams p;
  p.operator_enrs = enrs(operators);
  p.num_validators = 2;
  p.network = "hoodi";
  p.withdrawal_addresses = {"0x000000000000000000000000000000000000dEaD"};
  p.fee_recipient_addresses = {"0x1111111111111111111111111111111111111111"};
  p.timestamp = "2026-01-02T03:04:05Z";
  return p;
}

TEST(CreateDkg, WritesAnUnsignedV1_11DefinitionThatVerifies) {
  auto p = dkg_params();
  p.name = "dkg test";
  auto d = create_dkg_definition(p);
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(d->version, "v1.11.0");
  EXPECT_EQ(d->threshold, 3u);
  EXPECT_EQ(d->num_validators, 2u);
  ASSERT_EQ(d->validators.size(), 2u);
  EXPECT_EQ(d->validators[1].withdrawal_address, "0x000000000000000000000000000000000000dEaD");
  EXPECT_EQ(d->target_gas_limit, 60'000'000u);
  EXPECT_EQ(d->fork_version, (ByteArray<4>{0x10, 0x00, 0x09, 0x10}));
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(d->operators[i].enr, p.operator_enrs[i]);
    EXPECT_TRUE(d->operators[i].address.empty());
  }
  auto v = verify_definition(*d);
  EXPECT_TRUE(v.ok()) << v.problem->message();
  EXPECT_TRUE(v.unsigned_operators);
  // Written as Charon writes it: null deposit amounts, empty creator, reads back to the same hashes.
  const std::string text = write_definition(*d);
  EXPECT_NE(text.find("\"deposit_amounts\": null"), std::string::npos);
  EXPECT_NE(text.find("\"creator\": {\n  \"address\": \"\",\n  \"config_signature\": \"\"\n }"), std::string::npos)
      << text;
  auto again = parse_definition(text);
  ASSERT_TRUE(again);
  EXPECT_TRUE(verify_definition_hashes(*again));
  EXPECT_EQ(write_definition(*again), text);
}

TEST(CreateDkg, MirrorsCharonsFlagRules) {
  auto msg = [](CreateDkgParams p) {
    auto r = create_dkg_definition(p);
    return r ? std::string("ok") : r.error().detail;
  };
  auto has = [&](CreateDkgParams p, const std::string& what) {
    const std::string m = msg(std::move(p));
    EXPECT_NE(m.find(what), std::string::npos) << "got: " << m;
  };
  auto p = dkg_params();
  p.threshold = 1;
  has(p, "below the minimum of 2");
  p.threshold = 0;  // an explicit 0 is a bad flag too, as in Charon
  has(p, "below the minimum of 2");
  p.threshold = 5;
  has(p, "exceeds the number of operators (4)");
  p.threshold = 4;
  EXPECT_EQ(msg(p), "ok");
  has(dkg_params(2), "at least 3 are needed");
  p = dkg_params();
  p.operator_enrs[2] = p.operator_enrs[1];
  has(p, "operators 1 and 2 have the same node key");
  p = dkg_params();
  p.operator_enrs[0] = "enr:nonsense";
  has(p, "operator 0: invalid ENR");
  p = dkg_params();
  p.operator_enrs.clear();
  has(p, "--operator-enrs is required");
  p = dkg_params();
  p.withdrawal_addresses = {"0x000000000000000000000000000000000000dead"};
  has(p, "not EIP-55 checksummed (did you mean 0x000000000000000000000000000000000000dEaD?)");
  p = dkg_params();
  p.network = "mainnet";
  p.withdrawal_addresses = {"0x0000000000000000000000000000000000000000"};
  has(p, "zero address is forbidden on mainnet");
  p = dkg_params();
  p.fee_recipient_addresses = {"0x1111111111111111111111111111111111111111", "0x2222222222222222222222222222222222222222",
                               "0x3333333333333333333333333333333333333333"};
  has(p, "exactly 2 (one per validator), not 3");
  p = dkg_params();
  p.fee_recipient_addresses.clear();
  has(p, "--fee-recipient-addresses is required");
  p = dkg_params();
  p.deposit_amounts_gwei = {16'000'000'000, 8'000'000'000};
  has(p, "at least 32 ETH");
  p.deposit_amounts_gwei = {64'000'000'000};
  has(p, "32 ETH without compounding");
  p.compounding = true;
  EXPECT_EQ(msg(p), "ok");
  p.deposit_amounts_gwei = {4096'000'000'000};
  has(p, "2048 ETH");
  p = dkg_params();
  p.deposit_amounts_gwei = {1'000'000'000, 32'000'000'000, 32'000'000'000};  // repeats are fine
  auto d = create_dkg_definition(p);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->deposit_amounts.size(), 3u);
  p = dkg_params();
  p.target_gas_limit = 0;
  has(p, "--target-gas-limit");
  p = dkg_params();
  p.network = "moonnet";
  has(p, "--network: unknown network");
  p = dkg_params();
  p.consensus_protocol = "abft";
  has(p, "unsupported protocol");
  p.consensus_protocol = "QBFT";
  EXPECT_EQ(msg(p), "ok");
  p = dkg_params();
  p.dkg_algorithm = "magic";
  has(p, "--dkg-algorithm");
  p = dkg_params();
  p.num_validators = 0;
  has(p, "--num-validators");
}

TEST(Eip55, ChecksumsKnownAddresses) {
  // Test vectors from EIP-55.
  for (const char* a : {"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
                        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"}) {
    std::string lower_case = a;
    for (auto& c : lower_case) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_EQ(checksum_address(lower_case), std::string(a));
  }
  EXPECT_FALSE(checksum_address("0x1234"));
  EXPECT_FALSE(checksum_address("5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"));
}

}  // namespace
}  // namespace phx::cluster
