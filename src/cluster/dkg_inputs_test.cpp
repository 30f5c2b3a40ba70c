#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "cluster/create.hpp"
#include "cluster/deposit.hpp"
#include "cluster/dkg_inputs.hpp"
#include "cluster/enr.hpp"
#include "cluster/lock_verify.hpp"
#include "crypto/threshold/threshold.hpp"

namespace phx::cluster {
namespace {

namespace bls = crypto::bls;
namespace th = crypto::threshold;

struct Ceremony {
  std::vector<crypto::k1::SecretKey> node_keys;
  Definition definition;
};

Ceremony new_ceremony(std::size_t operators, std::uint32_t validators, std::vector<std::uint64_t> amounts = {},
                      bool compounding = false) {
  Ceremony c;
  CreateDkgParams p;
  for (std::size_t i = 0; i < operators; ++i) {
    c.node_keys.push_back(crypto::k1::SecretKey::generate());
    p.operator_enrs.push_back(Enr::create(c.node_keys.back()).to_text());
  }
  p.num_validators = validators;
  p.network = "hoodi";
  p.withdrawal_addresses = {"0x000000000000000000000000000000000000dEaD"};
  p.fee_recipient_addresses = {"0x1111111111111111111111111111111111111111"};
  p.deposit_amounts_gwei = std::move(amounts);
  p.compounding = compounding;
  c.definition = *create_dkg_definition(p);
  return c;
}

/// Test double of a DKG: a trusted dealer makes each validator key and its shares, then produces exactly what a
/// real DKG hands to the cluster module (keys, shares' public keys, aggregated deposit and registration
/// signatures, the share signatures over lock_hash, node signatures).
struct DealerResults {
  std::vector<DkgValidatorResult> validators;
  std::vector<std::vector<th::KeyShare>> shares;  // [validator][operator]
};
DealerResults dealer_dkg(const DkgInputs& in) {
  DealerResults out;
  for (std::uint32_t v = 0; v < in.num_validators; ++v) {
    auto sk = bls::SecretKey::from_scalar(bls::Fr::random());
    auto split = th::split(sk, in.threshold, static_cast<std::uint32_t>(in.operators.size()));
    DkgValidatorResult r;
    r.distributed_public_key = sk.public_key().to_bytes();
    for (const auto& s : split->shares) r.public_shares.push_back(s.secret.public_key().to_bytes());
    for (auto amount : in.deposit_amounts)
      r.deposit_data.push_back(make_deposit(sk, in.validators[v].withdrawal_credentials, amount, in.fork_version));
    auto& reg = r.builder_registration;
    reg.message = {in.validators[v].fee_recipient, in.registration_gas_limit, in.registration_timestamp,
                   r.distributed_public_key};
    reg.signature = sk.sign(registration_signing_root(reg.message, in.fork_version)).to_bytes();
    out.validators.push_back(std::move(r));
    out.shares.push_back(std::move(split->shares));
  }
  return out;
}

ByteArray<96> aggregate_over(const DealerResults& r, const Root& lock_hash) {
  std::vector<bls::Signature> sigs;
  for (const auto& v : r.shares)
    for (const auto& s : v) sigs.push_back(s.secret.sign(lock_hash));
  return bls::aggregate(sigs)->to_bytes();
}

std::vector<ByteArray<65>> node_signatures(const Ceremony& c, const Root& lock_hash) {
  std::vector<ByteArray<65>> out;
  for (const auto& k : c.node_keys) out.push_back(k.sign_recoverable(lock_hash));
  return out;
}

TEST(DkgInputs, DecodesWhatTheDkgNeeds) {
  auto c = new_ceremony(4, 3, {32'000'000'000, 1'000'000'000, 32'000'000'000});
  auto in = dkg_inputs(c.definition);
  ASSERT_TRUE(in) << in.error().message();
  EXPECT_EQ(in->operators.size(), 4u);
  EXPECT_EQ(in->operators[2].share_idx.value, 3u);
  EXPECT_EQ(in->operators[2].node_key, c.node_keys[2].public_key());
  EXPECT_EQ(in->threshold, 3u);
  EXPECT_EQ(in->num_validators, 3u);
  ASSERT_EQ(in->validators.size(), 3u);
  EXPECT_EQ(in->validators[0].withdrawal_credentials[0], 0x01);
  EXPECT_EQ(in->validators[2].fee_recipient[0], 0x11);
  EXPECT_EQ(in->deposit_amounts, (std::vector<std::uint64_t>{1'000'000'000, 32'000'000'000}));  // dedup, sorted
  EXPECT_EQ(in->network.name, "hoodi");
  EXPECT_EQ(in->registration_gas_limit, 60'000'000u);
  EXPECT_EQ(in->registration_timestamp, in->network.genesis_time);
  EXPECT_TRUE(in->builder_registrations);
  EXPECT_TRUE(in->node_signatures);
  EXPECT_EQ(in->definition_hash, c.definition.definition_hash);

  // Charon's default deposit amounts when the definition names none.
  auto plain = dkg_inputs(new_ceremony(3, 1).definition);
  EXPECT_EQ(plain->deposit_amounts, (std::vector<std::uint64_t>{1'000'000'000, 32'000'000'000}));
  auto comp = dkg_inputs(new_ceremony(3, 1, {}, true).definition);
  EXPECT_EQ(comp->deposit_amounts.size(), 4u);
  EXPECT_EQ(comp->validators[0].withdrawal_credentials[0], 0x02);
}

TEST(DkgInputs, RejectsDefinitionsADkgCannotRun) {
  auto c = new_ceremony(4, 1);
  auto d = c.definition;
  d.threshold = 5;  // hashes now disagree first
  EXPECT_EQ(dkg_inputs(d).error().code, LockError::kConfigHashMismatch);
  auto rehash = [](Definition x) {
    x.config_hash = *compute_config_hash(x);
    x.definition_hash = *compute_definition_hash(x);
    return x;
  };
  EXPECT_NE(dkg_inputs(rehash(d)).error().detail.find("threshold 5 with 4 operators"), std::string::npos);
  d = c.definition;
  d.operators[1].enr.clear();  // a Launchpad operator that has not joined yet
  EXPECT_NE(dkg_inputs(rehash(d)).error().detail.find("operator 1 has no ENR"), std::string::npos);
  d = c.definition;
  d.operators[3].enr = d.operators[0].enr;
  EXPECT_NE(dkg_inputs(rehash(d)).error().detail.find("same node key as operator 0"), std::string::npos);
  d = c.definition;
  d.fork_version = {9, 9, 9, 9};
  EXPECT_NE(dkg_inputs(rehash(d)).error().detail.find("no known network"), std::string::npos);
}

Definition example(const std::string& name) {
  std::ifstream f(std::string(PHX_CHARON_VECTORS) + "/examples/" + name);
  std::stringstream ss;
  ss << f.rdbuf();
  return *parse_definition(ss.str());
}

TEST(DkgInputs, CharonsExampleDefinitions) {
  auto d = example("cluster-definition-006.json");  // v1.10.0 from `charon create dkg`, hoodi
  EXPECT_TRUE(verify_definition(d).ok());
  auto in = dkg_inputs(d);
  ASSERT_TRUE(in) << in.error().message();
  EXPECT_EQ(in->operators.size(), 4u);
  EXPECT_EQ(in->network.name, "hoodi");
  EXPECT_EQ(in->deposit_amounts.size(), 2u);

  auto signed_def = example("cluster-definition-000.json");  // v1.3.0 signed on the Launchpad, goerli
  auto v = verify_definition(signed_def);
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(v.signatures.size(), 8u);
  for (const auto& s : v.signatures) EXPECT_EQ(s.status, SignatureStatus::kValid);
  auto old = dkg_inputs(signed_def);
  ASSERT_TRUE(old) << old.error().message();
  EXPECT_FALSE(old->operators[0].address.empty());
  EXPECT_TRUE(old->deposit_amounts.empty());  // v1.3 locks carry no deposit data
  EXPECT_FALSE(old->builder_registrations);
  EXPECT_FALSE(old->node_signatures);
  EXPECT_EQ(old->registration_gas_limit, 30'000'000u);

  // A Launchpad invitation whose operators have not joined: valid, but not ready for a DKG.
  auto invite = example("cluster-definition-002.json");
  EXPECT_TRUE(verify_definition(invite).ok());
  EXPECT_NE(dkg_inputs(invite).error().detail.find("operator 0 has no ENR"), std::string::npos);
  // Signed, but with placeholder ENRs ("enr://…"): named precisely.
  auto fake = example("cluster-definition-001.json");
  EXPECT_TRUE(verify_definition(fake).ok());
  EXPECT_NE(dkg_inputs(fake).error().detail.find("operator 0: invalid ENR"), std::string::npos);
}

TEST(AssembleLock, DkgResultsBecomeAVerifiedLockThatRoundTrips) {
  auto c = new_ceremony(4, 2, {31'000'000'000, 1'000'000'000});
  auto in = dkg_inputs(c.definition);
  ASSERT_TRUE(in);
  auto results = dealer_dkg(*in);
  auto lock = assemble_lock(c.definition, results.validators);
  ASSERT_TRUE(lock) << lock.error().message();
  EXPECT_EQ(lock->lock_hash, *compute_lock_hash(*lock));
  EXPECT_TRUE(lock->signature_aggregate.empty());
  auto done = complete_lock(*lock, aggregate_over(results, lock->lock_hash), node_signatures(c, lock->lock_hash));
  ASSERT_TRUE(done) << done.error().message();
  auto report = check_lock(*done);
  ASSERT_TRUE(report.ok());
  for (const auto& ck : report.checks) {
    if (ck.what == "operator signatures") EXPECT_EQ(ck.status, CheckStatus::kAbsent);  // `create dkg` is unsigned
    else EXPECT_EQ(ck.status, CheckStatus::kPassed) << ck.what << ": " << ck.detail;
  }
  auto again = parse_lock(write_lock(*done));
  ASSERT_TRUE(again);
  EXPECT_TRUE(verify_lock(*again));
  EXPECT_EQ(write_lock(*again), write_lock(*done));
}

TEST(AssembleLock, ContractSignedDefinitionGivesALockWhoseSignaturesAreReportedUnverifiable) {
  // Every operator and the creator are 2-owner Safes (v1.11 concatenated signatures): the lock verifies, and its
  // report says the operator signatures could not be verified offline.
  auto c = new_ceremony(4, 1);
  Definition& d = c.definition;
  auto multisig = [](std::uint8_t seed) {
    Bytes b(2 * kK1SigLen);
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<std::uint8_t>(seed + i);
    return b;
  };
  d.creator = Creator{"0x5555555555555555555555555555555555555555", multisig(1)};
  for (std::size_t i = 0; i < d.operators.size(); ++i) {
    d.operators[i].address = "0x" + std::string(39, '6') + std::to_string(i);
    d.operators[i].config_signature = multisig(static_cast<std::uint8_t>(10 + i));
    d.operators[i].enr_signature = multisig(static_cast<std::uint8_t>(20 + i));
  }
  d.config_hash = *compute_config_hash(d);
  d.definition_hash = *compute_definition_hash(d);
  auto v = verify_definition(d);
  ASSERT_TRUE(v.ok()) << v.problem->message();
  EXPECT_EQ(v.unverifiable(), 9u);
  auto results = dealer_dkg(*dkg_inputs(d));
  auto lock = assemble_lock(d, results.validators);
  ASSERT_TRUE(lock);
  auto done = complete_lock(*lock, aggregate_over(results, lock->lock_hash), node_signatures(c, lock->lock_hash));
  ASSERT_TRUE(done) << done.error().message();
  auto report = check_lock(*parse_lock(write_lock(*done)));
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report.complete());
  EXPECT_EQ(report.checks[1].what, "operator signatures");
  EXPECT_EQ(report.checks[1].status, CheckStatus::kUnverifiable);
  EXPECT_NE(report.checks[1].detail.find("EIP-1271"), std::string::npos) << report.checks[1].detail;
}

TEST(AssembleLock, CatchesResultsThatDoNotFit) {
  auto c = new_ceremony(4, 2);
  auto in = *dkg_inputs(c.definition);
  auto results = dealer_dkg(in);
  auto expect = [&](std::vector<DkgValidatorResult> v, const std::string& what) {
    auto r = assemble_lock(c.definition, std::move(v));
    ASSERT_FALSE(r) << what;
    EXPECT_NE(r.error().detail.find(what), std::string::npos) << r.error().detail;
  };
  auto v = results.validators;
  v.pop_back();
  expect(v, "1 validators for num_validators 2");
  v = results.validators;
  v[1].public_shares.pop_back();
  expect(v, "validator 1: 3 public shares for 4 operators");
  v = results.validators;
  v[0].deposit_data.pop_back();
  expect(v, "validator 0: 1 deposits");
  v = results.validators;
  std::swap(v[0].deposit_data, v[1].deposit_data);
  expect(v, "deposit 0 is not for this validator");
  v = results.validators;
  v[1].builder_registration.message.fee_recipient[0] ^= 1;
  expect(v, "builder registration is not for this validator");

  // Wrong signatures are caught by complete_lock's full verification.
  auto lock = *assemble_lock(c.definition, results.validators);
  auto agg = aggregate_over(results, lock.lock_hash);
  auto nodes = node_signatures(c, lock.lock_hash);
  auto wrong_agg = aggregate_over(results, Root{});
  EXPECT_EQ(complete_lock(lock, wrong_agg, nodes).error().code, LockError::kBadSignatureAggregate);
  auto swapped = nodes;
  std::swap(swapped[0], swapped[3]);
  EXPECT_EQ(complete_lock(lock, agg, swapped).error().code, LockError::kBadNodeSignature);
  nodes.pop_back();
  EXPECT_EQ(complete_lock(lock, agg, nodes).error().code, LockError::kBadNodeSignature);
}

}  // namespace
}  // namespace phx::cluster
