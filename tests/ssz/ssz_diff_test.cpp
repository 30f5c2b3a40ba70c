// Differential test against @lodestar/types (npm): Lodestar → Phalanx (our decoder re-encodes Lodestar's
// random values identically, computes the same hash_tree_root, and produces/accepts the same JSON) and
// Phalanx → Lodestar (Lodestar accepts our random values' bytes, root and JSON). Also signing roots computed
// by Lodestar.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "eth/duty_signing.hpp"
#include "eth/fork.hpp"
#include "eth/signing.hpp"
#include "registry.hpp"
#include "ssz/codec.hpp"

namespace phx::ssz::testing {
namespace {

namespace fs = std::filesystem;

fs::path work_dir() {
  fs::path d = fs::temp_directory_path() / ("phx_ssz_diff_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}

int run_node(const std::string& args, const fs::path& log, const std::string& preset = "mainnet") {
  if (std::string(PHX_NODE) == "node-not-found") {
    std::ofstream(log) << "Node.js was not found at configure time; install it and tests/oracle's npm packages";
    return -1;
  }
  const std::string cmd = std::string("cd '") + PHX_ORACLE_DIR + "' && LODESTAR_PRESET=" + preset + " '" +
                          PHX_NODE + "' " + args + " > '" + log.string() + "' 2>&1";
  return std::system(cmd.c_str());
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void lodestar_to_phalanx(const std::vector<TypeCase>& cases, const std::string& preset) {
  const fs::path dir = work_dir();
  {
    std::ofstream names(dir / "names.txt");
    for (const auto& c : cases) names << c.name << "\n";
  }
  constexpr int kPerType = 6;
  ASSERT_EQ(0, run_node("ssz_diff.mjs gen '" + (dir / "names.txt").string() + "' '" +
                            (dir / "lodestar.jsonl").string() + "' 20261124 " + std::to_string(kPerType),
                        dir / "gen.log", preset))
      << slurp(dir / "gen.log");
  std::map<std::string, CheckFn> by_name;
  for (const auto& c : cases) by_name[c.name] = c.check;
  std::ifstream in(dir / "lodestar.jsonl");
  std::string line;
  std::size_t checked = 0;
  std::set<std::string> seen;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const Json c = Json::parse(line);
    const std::string name = c.at("name").get<std::string>();
    ASSERT_TRUE(by_name.count(name)) << name;
    EXPECT_EQ(by_name[name](c), "") << preset << " " << name;
    seen.insert(name);
    ++checked;
  }
  EXPECT_EQ(checked, cases.size() * kPerType);  // every generated value was consumed
  EXPECT_EQ(seen.size(), cases.size());
  fs::remove_all(dir);
}

void phalanx_to_lodestar(const std::vector<TypeCase>& cases, const std::string& preset) {
  const fs::path dir = work_dir();
  Rng rng(42);
  {
    std::ofstream out(dir / "phalanx.jsonl");
    for (const auto& c : cases) {
      for (int i = 0; i < 5; ++i) {
        Json j = c.gen(rng);
        j["name"] = c.name;
        out << j.dump() << "\n";
      }
    }
  }
  EXPECT_EQ(0, run_node("ssz_diff.mjs verify '" + (dir / "phalanx.jsonl").string() + "'", dir / "verify.log",
                        preset))
      << preset << "\n"
      << slurp(dir / "verify.log");
  fs::remove_all(dir);
}

TEST(SszDiffLodestar, LodestarValuesRoundTripThroughPhalanx) {
  lodestar_to_phalanx(all_type_cases(), "mainnet");
}
TEST(SszDiffLodestar, PhalanxValuesAcceptedByLodestar) {
  phalanx_to_lodestar(all_type_cases(), "mainnet");
}
TEST(SszDiffLodestar, GnosisPresetBothDirections) {
  lodestar_to_phalanx(preset_type_cases("gnosis"), "gnosis");
  phalanx_to_lodestar(preset_type_cases("gnosis"), "gnosis");
}
TEST(SszDiffLodestar, MinimalPresetBothDirections) {
  lodestar_to_phalanx(preset_type_cases("minimal"), "minimal");
  phalanx_to_lodestar(preset_type_cases("minimal"), "minimal");
}

TEST(SszDiffLodestar, SigningRootsMatchChainSafeSsz) {
  const fs::path dir = work_dir();
  ASSERT_EQ(0, run_node("ssz_signing_roots.mjs", dir / "roots.log")) << slurp(dir / "roots.log");
  const Json j = Json::parse(slurp(dir / "roots.log"));
  const auto& m = eth::mainnet_config();
  EXPECT_EQ(to_hex(eth::compute_fork_digest(m.genesis_fork_version(), m.genesis_validators_root)),
            j.at("mainnet_genesis_fork_digest").get<std::string>());
  // A deposit signed for mainnet: domain from GENESIS_FORK_VERSION and a zero genesis_validators_root.
  eth::phase0::DepositMessage dm;
  dm.pubkey.fill(0xaa);
  dm.withdrawal_credentials.fill(0x01);
  dm.amount = 32000000000;
  EXPECT_EQ(to_hex(eth::compute_signing_root_of(dm, eth::get_domain(m, eth::domain::kDeposit, Epoch{0}))),
            j.at("deposit_signing_root").get<std::string>());
  // A mainnet attestation at epoch 400000 (fulu fork version), and an exit pinned to capella (EIP-7044).
  eth::phase0::AttestationData ad;
  ad.slot = Slot{400000 * 32};
  ad.index = 3;
  ad.beacon_block_root.fill(0x11);
  ad.source = {Epoch{399999}, {}};
  ad.target = {Epoch{400000}, {}};
  ad.target.root.fill(0x22);
  EXPECT_EQ(to_hex(eth::compute_signing_root_of(
                ad, eth::get_domain(m, eth::domain::kBeaconAttester, Epoch{400000}))),
            j.at("attestation_signing_root").get<std::string>());
  const eth::phase0::VoluntaryExit ve{Epoch{100}, ValidatorIndex{12345}};
  EXPECT_EQ(
      to_hex(eth::compute_signing_root_of(ve, eth::voluntary_exit_domain(m, Epoch{100}, Epoch{420000}))),
      j.at("exit_signing_root").get<std::string>());
  eth::phase0::ValidatorRegistrationV1 reg;
  reg.fee_recipient.fill(0x33);
  reg.gas_limit = 30000000;
  reg.timestamp = 1700000000;
  reg.pubkey.fill(0x44);
  EXPECT_EQ(to_hex(eth::compute_signing_root_of(
                reg, eth::get_domain(m, eth::domain::kApplicationBuilder, Epoch{0}))),
            j.at("registration_signing_root").get<std::string>());
  fs::remove_all(dir);
}

TEST(SszDiffLodestar, DutySigningRootsMatchChainSafeSsz) {
  const fs::path dir = work_dir();
  ASSERT_EQ(0, run_node("ssz_signing_roots.mjs", dir / "roots.log")) << slurp(dir / "roots.log");
  const Json j = Json::parse(slurp(dir / "roots.log"));
  const auto& m = eth::mainnet_config();
  const Epoch e{420000};
  const Slot s{420000 * 32 + 5};
  eth::fulu::BeaconBlock block;
  block.slot = s;
  block.proposer_index = ValidatorIndex{9};
  EXPECT_EQ(to_hex(eth::block_signing_root(m, block)), j.at("block_signing_root").get<std::string>());
  EXPECT_EQ(to_hex(eth::randao_signing_root(m, e)), j.at("randao_signing_root").get<std::string>());
  EXPECT_EQ(to_hex(eth::selection_proof_signing_root(m, s)),
            j.at("selection_proof_signing_root").get<std::string>());
  eth::electra::AggregateAndProof agg;
  agg.aggregator_index = ValidatorIndex{77};
  agg.aggregate.data.slot = s;
  EXPECT_EQ(to_hex(eth::aggregate_and_proof_signing_root(m, agg)),
            j.at("aggregate_and_proof_signing_root").get<std::string>());
  Root bbr;
  bbr.fill(0x55);
  EXPECT_EQ(to_hex(eth::sync_committee_message_signing_root(m, s, bbr)),
            j.at("sync_message_signing_root").get<std::string>());
  EXPECT_EQ(to_hex(eth::sync_selection_proof_signing_root(m, {s, 2})),
            j.at("sync_selection_signing_root").get<std::string>());
  eth::altair::ContributionAndProof cp;
  cp.aggregator_index = ValidatorIndex{5};
  cp.contribution.slot = s;
  cp.contribution.subcommittee_index = 3;
  EXPECT_EQ(to_hex(eth::contribution_and_proof_signing_root(m, cp)),
            j.at("contribution_signing_root").get<std::string>());
  fs::remove_all(dir);
}

TEST(SszDiffLodestar, FuzzSeedsAreValidEncodings) {
  // The seeds written by tests/oracle/ssz_fuzz_seeds.mjs (named <fork>_<kind>.ssz / .json) must hold real
  // blocks, or fuzzing starts cold. The inputs fuzz campaigns merged in (named by their SHA-1, no extension)
  // are mostly invalid on purpose and are replayed by the fuzz targets' own tests instead.
  std::size_t n = 0;
  for (const auto& e :
       fs::directory_iterator(fs::path(PHX_SOURCE_DIR) / "fuzz/corpus/ssz_signed_block_fuzz")) {
    if (e.path().extension() != ".ssz") continue;
    std::ifstream in(e.path(), std::ios::binary);
    const Bytes b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const bool ok = ssz::deserialize<eth::fulu::SignedBeaconBlock>(b).has_value() ||
                    ssz::deserialize<eth::fulu::SignedBlindedBeaconBlock>(b).has_value() ||
                    ssz::deserialize<eth::fulu::SignedBlockContents>(b).has_value();
    EXPECT_TRUE(ok) << e.path();
    ++n;
  }
  EXPECT_GE(n, 10u);
  n = 0;
  for (const auto& e : fs::directory_iterator(fs::path(PHX_SOURCE_DIR) / "fuzz/corpus/json_versioned_fuzz")) {
    if (e.path().extension() != ".json") continue;
    EXPECT_TRUE(ssz::parse_json(slurp(e.path()))) << e.path();
    ++n;
  }
  EXPECT_GE(n, 10u);
}

}  // namespace
}  // namespace phx::ssz::testing
