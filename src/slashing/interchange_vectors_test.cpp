// Runs every EIP-3076 interchange test case (eth-clients/slashing-protection-interchange-tests v5.3.0, copied
// to tests/vectors/slashing_interchange) against SlashingDb with the "complete" strategy: each signing
// attempt must succeed iff should_succeed_complete. Fails if any case file is skipped.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "slashing/store.hpp"

namespace phx::slashing {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

std::string read_text(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::uint64_t dec(const Json& j) {
  return std::stoull(j.get<std::string>());
}

Root root_or_zero(const Json& item) {
  if (!item.contains("signing_root")) return Root{};
  auto r = from_hex_fixed<32>(item["signing_root"].get<std::string>());
  EXPECT_TRUE(r.has_value());
  return r ? *r : Root{};
}

struct CaseStats {
  std::size_t steps = 0, blocks = 0, attestations = 0;
};

void run_case(const fs::path& file, CaseStats& stats) {
  SCOPED_TRACE(file.filename().string());
  Json tc = Json::parse(read_text(file));
  auto gvr = from_hex_fixed<32>(tc["genesis_validators_root"].get<std::string>());
  ASSERT_TRUE(gvr);
  auto db = SlashingDb::open_in_memory(*gvr);
  ASSERT_TRUE(db) << db.error().message();
  for (std::size_t i = 0; i < tc["steps"].size(); ++i) {
    const auto& step = tc["steps"][i];
    SCOPED_TRACE("step " + std::to_string(i));
    ++stats.steps;
    auto imported = db->import_interchange(step["interchange"].dump());
    if (step["should_succeed"].get<bool>()) {
      ASSERT_TRUE(imported) << imported.error().detail;
    } else {
      ASSERT_FALSE(imported);
      EXPECT_EQ(imported.error().code, SlashingError::kWrongGenesis) << imported.error().detail;
    }
    for (const auto& b : step["blocks"]) {
      ++stats.blocks;
      auto pk = from_hex_fixed<48>(b["pubkey"].get<std::string>());
      ASSERT_TRUE(pk);
      auto v = db->check_and_record_block(*pk, Slot{dec(b["slot"])}, root_or_zero(b));
      EXPECT_EQ(v.has_value(), b["should_succeed_complete"].get<bool>())
          << "block slot " << b["slot"] << ": " << (v ? "allowed" : v.error().message());
    }
    for (const auto& a : step["attestations"]) {
      ++stats.attestations;
      auto pk = from_hex_fixed<48>(a["pubkey"].get<std::string>());
      ASSERT_TRUE(pk);
      auto v = db->check_and_record_attestation(*pk, Epoch{dec(a["source_epoch"])},
                                                Epoch{dec(a["target_epoch"])}, root_or_zero(a));
      EXPECT_EQ(v.has_value(), a["should_succeed_complete"].get<bool>())
          << "attestation " << a["source_epoch"] << "->" << a["target_epoch"] << ": "
          << (v ? "allowed" : v.error().message());
    }
  }
}

TEST(SlashingInterchangeVectors, EveryCasePassesWithCompleteStrategy) {
  const fs::path dir = PHX_SLASHING_VECTORS;
  std::size_t files = 0, consumed = 0;
  CaseStats stats;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".json") continue;
    ++files;
    if (e.path().filename() == "interchange.schema.json") {
      ++consumed;  // schema, not a case
      continue;
    }
    run_case(e.path(), stats);
    ++consumed;
  }
  EXPECT_EQ(consumed, files) << "a vector file was skipped";
  EXPECT_EQ(files, 39u) << "expected 38 cases + schema (v5.3.0)";
  EXPECT_GT(stats.blocks, 50u);
  EXPECT_GT(stats.attestations, 50u);
  std::cout << "slashing interchange vectors: " << files - 1 << " cases, " << stats.steps << " steps, "
            << stats.blocks << " blocks, " << stats.attestations << " attestations\n";
}

}  // namespace
}  // namespace phx::slashing
