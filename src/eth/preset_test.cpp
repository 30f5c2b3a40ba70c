// The preset table against the consensus-specs preset files (tests/vectors/consensus_presets) and the compiled
// container sizes of eth/preset.hpp against the table.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <string>

#include "eth/preset.hpp"
#include "eth/preset_table.hpp"

namespace phx::eth {
namespace {

/// key → (fork, value) of one preset, read from its seven yaml files.
std::map<std::string, std::pair<Fork, std::uint64_t>> read_preset(const std::string& preset) {
  std::map<std::string, std::pair<Fork, std::uint64_t>> out;
  const std::regex line_re(R"(^([A-Z_0-9]+):\s*([0-9]+)\s*$)");
  for (Fork f : kAllForks) {
    const std::string path = std::string(PHX_PRESET_VECTORS) + "/" + preset + "/" + std::string(fork_name(f)) + ".yaml";
    std::ifstream in(path);
    EXPECT_TRUE(in.good()) << path;
    std::string line;
    std::smatch m;
    while (std::getline(in, line)) {
      if (std::regex_match(line, m, line_re)) out[m[1]] = {f, std::stoull(m[2])};
    }
  }
  return out;
}

void expect_table_is(Preset p, const std::string& name) {
  auto spec = read_preset(name);
  ASSERT_GT(spec.size(), 60u) << "the vectors of " << name << " were not read";
  auto ours = preset_values(p);
  EXPECT_EQ(ours.size(), spec.size()) << name;
  for (const auto& v : ours) {
    auto it = spec.find(std::string(v.key));
    ASSERT_NE(it, spec.end()) << name << ": " << v.key << " is not in the spec files";
    EXPECT_EQ(v.fork, it->second.first) << name << ": " << v.key;
    EXPECT_EQ(v.value, it->second.second) << name << ": " << v.key;
  }
}

std::uint64_t value_of(Preset p, std::string_view key) {
  for (const auto& v : preset_values(p))
    if (v.key == key) return v.value;
  ADD_FAILURE() << key << " missing";
  return 0;
}

TEST(PresetTable, MainnetIsEveryKeyOfTheSpecFiles) { expect_table_is(Preset::kMainnet, "mainnet"); }
TEST(PresetTable, MinimalIsEveryKeyOfTheSpecFiles) { expect_table_is(Preset::kMinimal, "minimal"); }

TEST(PresetTable, CompiledContainerSizesAgreeWithTheTable) {
  EXPECT_EQ(value_of(Preset::kMainnet, "MAX_VALIDATORS_PER_COMMITTEE"), preset::kMaxValidatorsPerCommittee);
  EXPECT_EQ(value_of(Preset::kMainnet, "MAX_COMMITTEES_PER_SLOT"), preset::kMaxCommitteesPerSlot);
  EXPECT_EQ(value_of(Preset::kMainnet, "MAX_PROPOSER_SLASHINGS"), preset::kMaxProposerSlashings);
  EXPECT_EQ(value_of(Preset::kMainnet, "MAX_ATTESTER_SLASHINGS"), preset::kMaxAttesterSlashings);
  EXPECT_EQ(value_of(Preset::kMainnet, "MAX_ATTESTATIONS"), preset::kMaxAttestations);
  EXPECT_EQ(value_of(Preset::kMainnet, "MAX_DEPOSITS"), preset::kMaxDeposits);
  EXPECT_EQ(value_of(Preset::kMainnet, "MAX_VOLUNTARY_EXITS"), preset::kMaxVoluntaryExits);
  EXPECT_EQ(value_of(Preset::kMainnet, "SYNC_COMMITTEE_SIZE"), preset::kSyncCommitteeSize);
  EXPECT_EQ(value_of(Preset::kMainnet, "BYTES_PER_LOGS_BLOOM"), preset::kBytesPerLogsBloom);
  EXPECT_EQ(value_of(Preset::kMainnet, "MAX_EXTRA_DATA_BYTES"), preset::kMaxExtraDataBytes);
  EXPECT_EQ(value_of(Preset::kMainnet, "MAX_BYTES_PER_TRANSACTION"), preset::kMaxBytesPerTransaction);
  EXPECT_EQ(value_of(Preset::kMainnet, "MAX_TRANSACTIONS_PER_PAYLOAD"), preset::kMaxTransactionsPerPayload);
  EXPECT_EQ(value_of(Preset::kMainnet, "MAX_WITHDRAWALS_PER_PAYLOAD"), preset::kMaxWithdrawalsPerPayload);
  EXPECT_EQ(value_of(Preset::kMainnet, "MAX_BLS_TO_EXECUTION_CHANGES"), preset::kMaxBlsToExecutionChanges);
  EXPECT_EQ(value_of(Preset::kMainnet, "MAX_BLOB_COMMITMENTS_PER_BLOCK"), preset::kMaxBlobCommitmentsPerBlock);
  EXPECT_EQ(value_of(Preset::kMainnet, "FIELD_ELEMENTS_PER_BLOB"), preset::kFieldElementsPerBlob);
  EXPECT_EQ(value_of(Preset::kMainnet, "MAX_ATTESTER_SLASHINGS_ELECTRA"), preset::kMaxAttesterSlashingsElectra);
  EXPECT_EQ(value_of(Preset::kMainnet, "MAX_ATTESTATIONS_ELECTRA"), preset::kMaxAttestationsElectra);
  EXPECT_EQ(value_of(Preset::kMainnet, "MAX_DEPOSIT_REQUESTS_PER_PAYLOAD"), preset::kMaxDepositRequestsPerPayload);
  EXPECT_EQ(value_of(Preset::kMainnet, "MAX_WITHDRAWAL_REQUESTS_PER_PAYLOAD"),
            preset::kMaxWithdrawalRequestsPerPayload);
  EXPECT_EQ(value_of(Preset::kMainnet, "MAX_CONSOLIDATION_REQUESTS_PER_PAYLOAD"),
            preset::kMaxConsolidationRequestsPerPayload);
  EXPECT_EQ(value_of(Preset::kMainnet, "FIELD_ELEMENTS_PER_EXT_BLOB"), preset::kFieldElementsPerExtBlob);
  EXPECT_EQ(value_of(Preset::kMainnet, "SLOTS_PER_EPOCH"), preset::kSlotsPerEpoch);
  // The minimal overrides.
  EXPECT_EQ(value_of(Preset::kMinimal, "MAX_COMMITTEES_PER_SLOT"), minimal::preset::kMaxCommitteesPerSlot);
  EXPECT_EQ(value_of(Preset::kMinimal, "SYNC_COMMITTEE_SIZE"), minimal::preset::kSyncCommitteeSize);
  EXPECT_EQ(value_of(Preset::kMinimal, "MAX_WITHDRAWALS_PER_PAYLOAD"), minimal::preset::kMaxWithdrawalsPerPayload);
  EXPECT_EQ(value_of(Preset::kMinimal, "SLOTS_PER_EPOCH"), minimal::preset::kSlotsPerEpoch);
  EXPECT_EQ(value_of(Preset::kMinimal, "MAX_BLOB_COMMITMENTS_PER_BLOCK"),
            minimal::preset::kMaxBlobCommitmentsPerBlock);
  EXPECT_EQ(value_of(Preset::kMinimal, "EPOCHS_PER_SYNC_COMMITTEE_PERIOD"), 8u);
  // Gnosis: only the container sizes.
  EXPECT_EQ(value_of(Preset::kGnosis, "MAX_WITHDRAWALS_PER_PAYLOAD"), gnosis::preset::kMaxWithdrawalsPerPayload);
  EXPECT_EQ(value_of(Preset::kGnosis, "SLOTS_PER_EPOCH"), gnosis::preset::kSlotsPerEpoch);
  EXPECT_EQ(preset_values(Preset::kGnosis).size(), 9u);
}

}  // namespace
}  // namespace phx::eth
