#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cluster/definition.hpp"
#include "cluster/lock_verify.hpp"

namespace phx::cluster {
namespace {

std::string read_vector(const std::string& name) {
  std::ifstream in(std::string(PHX_CHARON_VECTORS) + "/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const char* kVersions[] = {"1_0_0", "1_1_0", "1_2_0", "1_3_0", "1_4_0", "1_5_0",
                           "1_6_0", "1_7_0", "1_8_0", "1_9_0", "1_10_0", "1_11_0"};

TEST(CharonLock, ReproducesEveryGoldenHash) {
  int checked = 0;
  for (const char* v : kVersions) {
    auto lock = parse_lock(read_vector(std::string("cluster_lock_v") + v + ".json"));
    ASSERT_TRUE(lock) << v << ": " << lock.error().message();
    auto ok = verify_hashes(*lock);
    EXPECT_TRUE(ok) << v << ": " << (ok ? "" : ok.error().message());
    auto def = parse_definition(read_vector(std::string("cluster_definition_v") + v + ".json"));
    ASSERT_TRUE(def) << v << ": " << def.error().message();
    auto dok = verify_definition_hashes(*def);
    EXPECT_TRUE(dok) << v << ": " << (dok ? "" : dok.error().message());
    ++checked;
  }
  EXPECT_EQ(checked, 12);
  EXPECT_EQ(layouts().size(), 12u);
}

TEST(CharonLock, JsonRoundTripsExactly) {
  for (const char* v : kVersions) {
    for (const char* kind : {"cluster_lock_v", "cluster_definition_v"}) {
      std::string text = read_vector(std::string(kind) + v + ".json");
      std::string again;
      if (std::string(kind) == "cluster_lock_v") {
        auto l = parse_lock(text);
        ASSERT_TRUE(l);
        again = write_lock(*l);
      } else {
        auto d = parse_definition(text);
        ASSERT_TRUE(d);
        again = write_definition(*d);
      }
      EXPECT_EQ(nlohmann::json::parse(again), nlohmann::json::parse(text)) << kind << v;
      EXPECT_TRUE(again == text) << kind << v << " (byte layout differs)";
    }
  }
}

TEST(CharonLock, DetectsATamperedFieldThroughTheHashes) {
  for (const char* v : {"1_1_0", "1_4_0", "1_6_0", "1_10_0", "1_11_0"}) {
    auto lock = parse_lock(read_vector(std::string("cluster_lock_v") + v + ".json"));
    ASSERT_TRUE(lock);
    auto t1 = *lock;
    t1.definition.threshold += 1;
    EXPECT_EQ(verify_hashes(t1).error().code, LockError::kConfigHashMismatch) << v;
    auto t2 = *lock;
    t2.definition.operators[0].enr += "x";
    EXPECT_EQ(verify_hashes(t2).error().code, LockError::kDefinitionHashMismatch) << v;
    auto t3 = *lock;
    t3.validators[0].public_shares[0][5] ^= 1;
    EXPECT_EQ(verify_hashes(t3).error().code, LockError::kLockHashMismatch) << v;
    auto t4 = *lock;
    t4.validators.pop_back();
    EXPECT_EQ(verify_hashes(t4).error().code, LockError::kBadField) << v;  // fewer validators than num_validators
  }
}

TEST(CharonLock, V1_11SignatureListsHashDifferentlyFromV1_10) {
  // The same unsigned definition hashes differently: v1.11's empty List[Bytes65, 32] is not v1.10's zero Bytes65.
  auto d = parse_definition(read_vector("cluster_definition_v1_10_0.json"));
  ASSERT_TRUE(d);
  for (auto& o : d->operators) o.config_signature.clear(), o.enr_signature.clear();
  const Root h10 = *compute_definition_hash(*d);
  d->version = "v1.11.0";
  const Root h11 = *compute_definition_hash(*d);
  EXPECT_NE(h10, h11);
  d->operators[0].config_signature = Bytes(130, 7);  // two concatenated signatures are fine in v1.11
  EXPECT_TRUE(compute_definition_hash(*d));
  d->operators[0].config_signature = Bytes(100, 7);  // not a whole number of signatures
  EXPECT_EQ(compute_definition_hash(*d).error().code, LockError::kBadField);
  d->operators[0].config_signature = Bytes(33 * 65, 7);  // over the 32-signature limit
  EXPECT_EQ(compute_definition_hash(*d).error().code, LockError::kBadField);
}

TEST(CharonLock, StrictParsingNamesTheField) {
  auto j = nlohmann::ordered_json::parse(read_vector("cluster_lock_v1_10_0.json"));
  auto extra = j;
  extra["cluster_definition"]["surprise"] = 1;
  auto r = parse_lock(extra.dump());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, LockError::kBadJson);
  EXPECT_NE(r.error().detail.find("$.cluster_definition.surprise"), std::string::npos) << r.error().detail;

  auto missing = j;
  missing["distributed_validators"][0].erase("builder_registration");
  r = parse_lock(missing.dump());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("distributed_validators[0].builder_registration"), std::string::npos);

  auto badhex = j;
  badhex["cluster_definition"]["operators"][1]["config_signature"] = "0x1234";
  r = parse_lock(badhex.dump());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("operators[1].config_signature"), std::string::npos);

  auto num = j;
  num["cluster_definition"]["threshold"] = "3";
  EXPECT_FALSE(parse_lock(num.dump()));

  auto ver = j;
  ver["cluster_definition"]["version"] = "v1.12.0";
  r = parse_lock(ver.dump());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, LockError::kUnsupportedVersion);

  auto count = j;  // Charon refuses a definition whose validators list disagrees with num_validators
  count["cluster_definition"]["num_validators"] = 3;
  r = parse_lock(count.dump());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("num_validators"), std::string::npos);

  auto amounts = j;  // …or whose deposit amounts break its rules
  amounts["cluster_definition"]["deposit_amounts"] = {"500000000", "32000000000"};
  r = parse_lock(amounts.dump());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("at least 1 ETH"), std::string::npos) << r.error().detail;
  amounts["cluster_definition"]["deposit_amounts"] = {"16000000000"};
  EXPECT_NE(parse_lock(amounts.dump()).error().detail.find("add up to at least 32 ETH"), std::string::npos);
  amounts["cluster_definition"]["deposit_amounts"] = {"64000000000"};
  EXPECT_NE(parse_lock(amounts.dump()).error().detail.find("without compounding"), std::string::npos);

  auto legacy = nlohmann::ordered_json::parse(read_vector("cluster_lock_v1_1_0.json"));
  legacy["cluster_definition"]["operators"][0]["nonce"] = 1;  // Charon never supported a non-zero nonce
  EXPECT_NE(parse_lock(legacy.dump()).error().detail.find("nonce"), std::string::npos);
  legacy = nlohmann::ordered_json::parse(read_vector("cluster_lock_v1_1_0.json"));
  legacy["cluster_definition"]["num_validators"] = 1u << 20;  // never allocates a million legacy validators
  EXPECT_FALSE(parse_lock(legacy.dump()));

  EXPECT_EQ(parse_lock("{not json").error().code, LockError::kBadJson);
  EXPECT_EQ(parse_lock("[]").error().code, LockError::kBadJson);
  EXPECT_EQ(parse_lock("{}").error().code, LockError::kBadJson);
}

TEST(CharonLock, WritesGoEscapingAndOmitsEmptyKeys) {
  auto d = parse_definition(read_vector("cluster_definition_v1_11_0.json"));
  ASSERT_TRUE(d);
  d->name = "a<b>&c\u2028";
  d->timestamp.clear();
  const std::string text = write_definition(*d);
  EXPECT_NE(text.find(R"("name": "a\u003cb\u003e\u0026c\u2028")"), std::string::npos) << text.substr(0, 80);
  EXPECT_EQ(text.find("\"timestamp\""), std::string::npos);
  auto again = parse_definition(text);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->name, d->name);
  d->name = std::string("bad\xff utf-8");  // never throws; invalid bytes become U+FFFD as in Go
  EXPECT_NE(write_definition(*d).find("bad\xef\xbf\xbd"), std::string::npos);
}

// ---- Charon's cluster/examples: real files from Charon and the Launchpad, verified like Charon's TestExamples.

std::vector<std::string> example_files(const std::string& kind) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(std::string(PHX_CHARON_VECTORS) + "/examples"))
    if (e.path().filename().string().starts_with(kind)) out.push_back("examples/" + e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(CharonExamples, EveryLockVerifies) {
  const auto files = example_files("cluster-lock-");
  ASSERT_EQ(files.size(), 4u);
  for (const auto& f : files) {
    auto l = parse_lock(read_vector(f));
    ASSERT_TRUE(l) << f << ": " << l.error().message();
    auto v = check_lock(*l);
    EXPECT_TRUE(v.ok()) << f << ": " << (v.problem ? v.problem->message() : "");
    EXPECT_EQ(v.checks.size(), 7u) << f;
    // The JSON we write for it parses back to the same lock hash.
    auto again = parse_lock(write_lock(*l));
    ASSERT_TRUE(again) << f;
    EXPECT_EQ(*compute_lock_hash(*again), l->lock_hash) << f;
  }
}

TEST(CharonExamples, OlderLocksSayWhatWasNotVerified) {
  auto l = parse_lock(read_vector("examples/cluster-lock-000.json"));  // v1.1.0
  ASSERT_TRUE(l);
  auto v = check_lock(*l);
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v.complete());
  auto status = [&](const std::string& what) {
    for (const auto& c : v.checks)
      if (c.what == what) return c.status;
    ADD_FAILURE() << "no check " << what;
    return CheckStatus::kFailed;
  };
  EXPECT_EQ(status("hashes"), CheckStatus::kPassed);
  EXPECT_EQ(status("operator signatures"), CheckStatus::kNotInVersion);
  EXPECT_EQ(status("public shares"), CheckStatus::kPassed);
  EXPECT_EQ(status("signature_aggregate"), CheckStatus::kPassed);
  EXPECT_EQ(status("builder registrations"), CheckStatus::kNotInVersion);
  EXPECT_EQ(status("deposit data"), CheckStatus::kNotInVersion);
  EXPECT_EQ(status("node signatures"), CheckStatus::kNotInVersion);

  // v1.7.0 with empty deposit_data strings (read as zero bytes, as Charon does): everything else verified.
  auto l7 = parse_lock(read_vector("examples/cluster-lock-003.json"));
  ASSERT_TRUE(l7);
  EXPECT_EQ(l7->validators[0].partial_deposit_data.size(), 1u);
  auto v7 = check_lock(*l7);
  ASSERT_TRUE(v7.ok()) << v7.problem->message();
  for (const auto& c : v7.checks) {
    if (c.what == "deposit data") EXPECT_EQ(c.status, CheckStatus::kAbsent);
    else EXPECT_EQ(c.status, CheckStatus::kPassed) << c.what << ": " << c.detail;
  }
  // The signed v1.7 example's checks catch tampering too.
  auto bad = *l7;
  std::swap(bad.node_signatures[0], bad.node_signatures[1]);
  EXPECT_EQ(verify_lock(bad).error().code, LockError::kBadNodeSignature);
  bad = *l7;
  bad.validators[1].builder_registration.signature = bad.validators[0].builder_registration.signature;
  bad.lock_hash = *compute_lock_hash(bad);
  EXPECT_FALSE(verify_lock(bad));
}

TEST(CharonExamples, EveryDefinitionVerifies) {
  const auto files = example_files("cluster-definition-");
  ASSERT_EQ(files.size(), 7u);
  int signed_fields = 0;
  for (const auto& f : files) {
    auto d = parse_definition(read_vector(f));
    ASSERT_TRUE(d) << f << ": " << d.error().message();
    auto v = verify_definition(*d);
    EXPECT_TRUE(v.ok()) << f << ": " << (v.problem ? v.problem->message() : "");
    for (const auto& s : v.signatures) {
      EXPECT_NE(s.status, SignatureStatus::kInvalid) << f << " " << s.signer << " " << s.field;
      if (s.status == SignatureStatus::kValid) ++signed_fields;
    }
    auto tampered = *d;
    tampered.name += "!";
    EXPECT_FALSE(verify_definition(tampered).ok()) << f;
  }
  EXPECT_GT(signed_fields, 10);  // the examples carry real EOA signatures, and they verify
}

}  // namespace
}  // namespace phx::cluster
