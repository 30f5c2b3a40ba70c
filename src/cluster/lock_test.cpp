#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cluster/definition.hpp"

namespace phx::cluster {
namespace {

std::string read_vector(const std::string& name) {
  std::ifstream in(std::string(PHX_CHARON_VECTORS) + "/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const char* kVersions[] = {"1_7_0", "1_8_0", "1_9_0", "1_10_0"};

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
  EXPECT_EQ(checked, 4);
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
  auto lock = parse_lock(read_vector("cluster_lock_v1_10_0.json"));
  ASSERT_TRUE(lock);
  auto t1 = *lock;
  t1.definition.threshold += 1;
  EXPECT_EQ(verify_hashes(t1).error().code, LockError::kConfigHashMismatch);
  auto t2 = *lock;
  t2.definition.operators[0].enr += "x";
  EXPECT_EQ(verify_hashes(t2).error().code, LockError::kDefinitionHashMismatch);
  auto t3 = *lock;
  t3.validators[0].public_shares[0][5] ^= 1;
  EXPECT_EQ(verify_hashes(t3).error().code, LockError::kLockHashMismatch);
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
  missing["distributed_validators"][0].erase("public_shares");
  r = parse_lock(missing.dump());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("distributed_validators[0].public_shares"), std::string::npos);

  auto badhex = j;
  badhex["cluster_definition"]["operators"][1]["config_signature"] = "0x1234";
  r = parse_lock(badhex.dump());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("operators[1].config_signature"), std::string::npos);

  auto num = j;
  num["cluster_definition"]["threshold"] = "3";
  EXPECT_FALSE(parse_lock(num.dump()));

  auto ver = j;
  ver["cluster_definition"]["version"] = "v1.2.0";
  r = parse_lock(ver.dump());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, LockError::kUnsupportedVersion);

  EXPECT_EQ(parse_lock("{not json").error().code, LockError::kBadJson);
  EXPECT_EQ(parse_lock("[]").error().code, LockError::kBadJson);
}

}  // namespace
}  // namespace phx::cluster
