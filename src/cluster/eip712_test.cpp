#include <gtest/gtest.h>

#include "cluster/eip712.hpp"
#include "cluster/enr.hpp"

namespace phx::cluster {
namespace {

Definition sepolia_definition() {
  Definition d;
  d.version = "v1.10.0";
  d.fork_version = {0x90, 0x00, 0x00, 0x69};
  d.config_hash = *from_hex_fixed<32>("0xe57f66637bdfa05cce6a78e8cf4120d67d305b485367a69baa5f738436533bcb");
  return d;
}

TEST(Eip712, CreatorDigestMatchesCharonsVector) {
  // Known answer from Charon's eth2util/eip712 tests (Sepolia, CreatorConfigHash).
  auto dig = creator_config_digest(sepolia_definition());
  ASSERT_TRUE(dig);
  EXPECT_EQ(to_hex(*dig, false), "7c8fe012e2f872ca7ec870164184f57b921166f80565ff74af7bee5796f973e4");
}

TEST(Eip712, UnknownNetworkIsAnError) {
  auto d = sepolia_definition();
  d.fork_version = {9, 9, 9, 9};
  EXPECT_EQ(creator_config_digest(d).error().code, LockError::kBadField);
}

TEST(Eip712, AddressOfKnownKey) {
  // Private key 1 → the well-known address 0x7e5f4552091a69125d5dfcb7b8c2659029395bdf.
  ByteArray<32> one{};
  one[31] = 1;
  EXPECT_EQ(eth_address(crypto::k1::SecretKey::from_bytes(one)->public_key()),
            "0x7e5f4552091a69125d5dfcb7b8c2659029395bdf");
}

struct SignedDefinition {
  Definition d;
  std::vector<crypto::k1::SecretKey> keys;
};

SignedDefinition signed_definition(std::size_t n) {
  SignedDefinition s;
  s.d = sepolia_definition();
  auto creator = crypto::k1::SecretKey::generate();
  s.d.creator.address = eth_address(creator.public_key());
  for (std::size_t i = 0; i < n; ++i) {
    s.keys.push_back(crypto::k1::SecretKey::generate());
    Operator o;
    o.address = eth_address(s.keys.back().public_key());
    o.enr = Enr::create(crypto::k1::SecretKey::generate()).to_text();
    s.d.operators.push_back(o);
  }
  auto opd = *operator_config_digest(s.d);
  for (std::size_t i = 0; i < n; ++i) {
    auto cs = s.keys[i].sign_recoverable(opd);
    s.d.operators[i].config_signature.assign(cs.begin(), cs.end());
    auto es = s.keys[i].sign_recoverable(*enr_digest(s.d, s.d.operators[i].enr));
    s.d.operators[i].enr_signature.assign(es.begin(), es.end());
  }
  auto csig = creator.sign_recoverable(*creator_config_digest(s.d));
  s.d.creator.config_signature.assign(csig.begin(), csig.end());
  return s;
}

TEST(Eip712, VerifiesSignedDefinitionsAndNamesTheBadOperator) {
  auto s = signed_definition(4);
  auto ok = check_definition_signatures(s.d);
  EXPECT_TRUE(ok.ok()) << ok.problem->message();
  ASSERT_EQ(ok.signatures.size(), 9u);  // creator + 2 per operator
  for (const auto& c : ok.signatures) EXPECT_EQ(c.status, SignatureStatus::kValid) << c.signer << " " << c.field;
  EXPECT_EQ(ok.signatures[0].signer, "creator");

  auto wrong = s.d;
  wrong.operators[2].enr_signature = wrong.operators[1].enr_signature;
  auto r = check_definition_signatures(wrong);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.problem->code, LockError::kBadOperatorSignature);
  EXPECT_NE(r.problem->detail.find("operator 2"), std::string::npos) << r.problem->detail;
  EXPECT_EQ(r.signatures[6].status, SignatureStatus::kInvalid);  // operator 2's enr_signature

  auto changed = s.d;
  changed.config_hash[0] ^= 1;  // operators signed another config
  EXPECT_FALSE(check_definition_signatures(changed).ok());

  auto nocreator = s.d;
  nocreator.creator.config_signature.clear();
  EXPECT_EQ(check_definition_signatures(nocreator).problem->code, LockError::kBadCreatorSignature);
  nocreator.creator.address.clear();
  EXPECT_EQ(check_definition_signatures(nocreator).problem->code, LockError::kBadCreatorSignature);

  auto partial = s.d;
  partial.operators[0] = Operator{"", partial.operators[0].enr, {}, {}};
  EXPECT_EQ(check_definition_signatures(partial).problem->code, LockError::kBadOperatorSignature);

  auto half = s.d;  // an operator with an address that has signed only one field
  half.operators[3].enr_signature.clear();
  auto h = check_definition_signatures(half);
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.problem->detail.find("has not signed its ENR"), std::string::npos) << h.problem->detail;
}

TEST(Eip712, ConcatenatedContractSignaturesAreUnverifiableOfflineNotValid) {
  auto s = signed_definition(3);
  s.d.version = "v1.11.0";  // the EIP-712 digests do not depend on the version (v1.4+)
  Bytes multisig = s.d.operators[1].config_signature;
  append(multisig, s.d.operators[2].config_signature);  // two owners' signatures, as a Safe collects them
  s.d.operators[1].config_signature = multisig;
  auto r = check_definition_signatures(s.d);
  EXPECT_TRUE(r.ok()) << r.problem->message();
  EXPECT_EQ(r.unverifiable(), 1u);
  EXPECT_EQ(r.signatures[3].status, SignatureStatus::kUnverifiableOffline);
  EXPECT_EQ(r.signatures[3].signatures, 2u);
  EXPECT_NE(r.note.find("EIP-1271"), std::string::npos) << r.note;
  EXPECT_STREQ(to_string(SignatureStatus::kUnverifiableOffline), "unverifiable offline (contract signature, EIP-1271)");
  // A single 65-byte signature is always judged as an EOA signature.
  s.d.operators[1].config_signature = s.d.operators[2].config_signature;
  EXPECT_EQ(check_definition_signatures(s.d).problem->code, LockError::kBadOperatorSignature);
}

TEST(Eip712, AcceptsAFullyUnsignedDefinitionAndACreatorAlone) {
  Definition d = sepolia_definition();
  d.operators.resize(4);
  auto r = check_definition_signatures(d);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.unsigned_operators);
  for (const auto& c : r.signatures) EXPECT_EQ(c.status, SignatureStatus::kUnsigned);
  // Charon accepts a creator-signed definition whose operators have not signed yet (a Launchpad invitation).
  auto creator = crypto::k1::SecretKey::generate();
  d.creator.address = eth_address(creator.public_key());
  auto sig = creator.sign_recoverable(*creator_config_digest(d));
  d.creator.config_signature.assign(sig.begin(), sig.end());
  EXPECT_TRUE(check_definition_signatures(d).ok());
  d.creator.config_signature.clear();  // an address without its signature is not
  EXPECT_FALSE(check_definition_signatures(d).ok());
}

TEST(Eip712, VersionsBeforeV1_3HaveNoSignatures) {
  Definition d = sepolia_definition();
  d.version = "v1.2.0";
  d.operators.resize(2);
  auto r = check_definition_signatures(d);
  EXPECT_TRUE(r.ok());
  EXPECT_NE(r.note.find("predates"), std::string::npos);
  d.operators[1].config_signature = Bytes(65, 1);
  EXPECT_EQ(check_definition_signatures(d).problem->code, LockError::kBadOperatorSignature);
}

TEST(NodeSignatures, EachOperatorSignsTheLockHash) {
  Lock l;
  std::vector<crypto::k1::SecretKey> enr_keys;
  for (int i = 0; i < 3; ++i) {
    enr_keys.push_back(crypto::k1::SecretKey::generate());
    l.definition.operators.push_back(Operator{"", Enr::create(enr_keys.back()).to_text(), {}, {}});
  }
  l.lock_hash[0] = 0x42;
  for (auto& k : enr_keys) {
    auto s = k.sign_recoverable(l.lock_hash);
    l.node_signatures.emplace_back(s.begin(), s.end());
  }
  EXPECT_TRUE(verify_node_signatures(l));
  auto swapped = l;
  std::swap(swapped.node_signatures[0], swapped.node_signatures[1]);
  auto r = verify_node_signatures(swapped);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("operator 0"), std::string::npos);
  auto missing = l;
  missing.node_signatures.pop_back();
  EXPECT_EQ(verify_node_signatures(missing).error().code, LockError::kBadNodeSignature);
}

}  // namespace
}  // namespace phx::cluster
