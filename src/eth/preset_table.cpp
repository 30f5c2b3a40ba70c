// The mainnet and minimal preset tables (consensus-specs presets/, see the header) and their per-preset view.
#include "eth/preset_table.hpp"

#include <algorithm>
#include <array>

namespace phx::eth {

const std::vector<PresetKey>& preset_keys() {
  // clang-format off
  static const std::vector<PresetKey> kKeys = {
    {"MAX_COMMITTEES_PER_SLOT", Fork::kPhase0, 64ull, 4ull},
    {"TARGET_COMMITTEE_SIZE", Fork::kPhase0, 128ull, 4ull},
    {"MAX_VALIDATORS_PER_COMMITTEE", Fork::kPhase0, 2048ull, 2048ull},
    {"SHUFFLE_ROUND_COUNT", Fork::kPhase0, 90ull, 10ull},
    {"HYSTERESIS_QUOTIENT", Fork::kPhase0, 4ull, 4ull},
    {"HYSTERESIS_DOWNWARD_MULTIPLIER", Fork::kPhase0, 1ull, 1ull},
    {"HYSTERESIS_UPWARD_MULTIPLIER", Fork::kPhase0, 5ull, 5ull},
    {"MIN_DEPOSIT_AMOUNT", Fork::kPhase0, 1000000000ull, 1000000000ull},
    {"MAX_EFFECTIVE_BALANCE", Fork::kPhase0, 32000000000ull, 32000000000ull},
    {"EFFECTIVE_BALANCE_INCREMENT", Fork::kPhase0, 1000000000ull, 1000000000ull},
    {"MIN_ATTESTATION_INCLUSION_DELAY", Fork::kPhase0, 1ull, 1ull},
    {"SLOTS_PER_EPOCH", Fork::kPhase0, 32ull, 8ull},
    {"MIN_SEED_LOOKAHEAD", Fork::kPhase0, 1ull, 1ull},
    {"MAX_SEED_LOOKAHEAD", Fork::kPhase0, 4ull, 4ull},
    {"EPOCHS_PER_ETH1_VOTING_PERIOD", Fork::kPhase0, 64ull, 4ull},
    {"SLOTS_PER_HISTORICAL_ROOT", Fork::kPhase0, 8192ull, 64ull},
    {"MIN_EPOCHS_TO_INACTIVITY_PENALTY", Fork::kPhase0, 4ull, 4ull},
    {"EPOCHS_PER_HISTORICAL_VECTOR", Fork::kPhase0, 65536ull, 64ull},
    {"EPOCHS_PER_SLASHINGS_VECTOR", Fork::kPhase0, 8192ull, 64ull},
    {"HISTORICAL_ROOTS_LIMIT", Fork::kPhase0, 16777216ull, 16777216ull},
    {"VALIDATOR_REGISTRY_LIMIT", Fork::kPhase0, 1099511627776ull, 1099511627776ull},
    {"BASE_REWARD_FACTOR", Fork::kPhase0, 64ull, 64ull},
    {"WHISTLEBLOWER_REWARD_QUOTIENT", Fork::kPhase0, 512ull, 512ull},
    {"PROPOSER_REWARD_QUOTIENT", Fork::kPhase0, 8ull, 8ull},
    {"INACTIVITY_PENALTY_QUOTIENT", Fork::kPhase0, 67108864ull, 33554432ull},
    {"MIN_SLASHING_PENALTY_QUOTIENT", Fork::kPhase0, 128ull, 64ull},
    {"PROPORTIONAL_SLASHING_MULTIPLIER", Fork::kPhase0, 1ull, 2ull},
    {"MAX_PROPOSER_SLASHINGS", Fork::kPhase0, 16ull, 16ull},
    {"MAX_ATTESTER_SLASHINGS", Fork::kPhase0, 2ull, 2ull},
    {"MAX_ATTESTATIONS", Fork::kPhase0, 128ull, 128ull},
    {"MAX_DEPOSITS", Fork::kPhase0, 16ull, 16ull},
    {"MAX_VOLUNTARY_EXITS", Fork::kPhase0, 16ull, 16ull},
    {"INACTIVITY_PENALTY_QUOTIENT_ALTAIR", Fork::kAltair, 50331648ull, 50331648ull},
    {"MIN_SLASHING_PENALTY_QUOTIENT_ALTAIR", Fork::kAltair, 64ull, 64ull},
    {"PROPORTIONAL_SLASHING_MULTIPLIER_ALTAIR", Fork::kAltair, 2ull, 2ull},
    {"SYNC_COMMITTEE_SIZE", Fork::kAltair, 512ull, 32ull},
    {"EPOCHS_PER_SYNC_COMMITTEE_PERIOD", Fork::kAltair, 256ull, 8ull},
    {"MIN_SYNC_COMMITTEE_PARTICIPANTS", Fork::kAltair, 1ull, 1ull},
    {"UPDATE_TIMEOUT", Fork::kAltair, 8192ull, 64ull},
    {"INACTIVITY_PENALTY_QUOTIENT_BELLATRIX", Fork::kBellatrix, 16777216ull, 16777216ull},
    {"MIN_SLASHING_PENALTY_QUOTIENT_BELLATRIX", Fork::kBellatrix, 32ull, 32ull},
    {"PROPORTIONAL_SLASHING_MULTIPLIER_BELLATRIX", Fork::kBellatrix, 3ull, 3ull},
    {"MAX_BYTES_PER_TRANSACTION", Fork::kBellatrix, 1073741824ull, 1073741824ull},
    {"MAX_TRANSACTIONS_PER_PAYLOAD", Fork::kBellatrix, 1048576ull, 1048576ull},
    {"BYTES_PER_LOGS_BLOOM", Fork::kBellatrix, 256ull, 256ull},
    {"MAX_EXTRA_DATA_BYTES", Fork::kBellatrix, 32ull, 32ull},
    {"MAX_BLS_TO_EXECUTION_CHANGES", Fork::kCapella, 16ull, 16ull},
    {"MAX_WITHDRAWALS_PER_PAYLOAD", Fork::kCapella, 16ull, 4ull},
    {"MAX_VALIDATORS_PER_WITHDRAWALS_SWEEP", Fork::kCapella, 16384ull, 16ull},
    {"MAX_BLOB_COMMITMENTS_PER_BLOCK", Fork::kDeneb, 4096ull, 4096ull},
    {"KZG_COMMITMENT_INCLUSION_PROOF_DEPTH", Fork::kDeneb, 17ull, 17ull},
    {"FIELD_ELEMENTS_PER_BLOB", Fork::kDeneb, 4096ull, 4096ull},
    {"MIN_ACTIVATION_BALANCE", Fork::kElectra, 32000000000ull, 32000000000ull},
    {"MAX_EFFECTIVE_BALANCE_ELECTRA", Fork::kElectra, 2048000000000ull, 2048000000000ull},
    {"MIN_SLASHING_PENALTY_QUOTIENT_ELECTRA", Fork::kElectra, 4096ull, 4096ull},
    {"WHISTLEBLOWER_REWARD_QUOTIENT_ELECTRA", Fork::kElectra, 4096ull, 4096ull},
    {"PENDING_DEPOSITS_LIMIT", Fork::kElectra, 134217728ull, 134217728ull},
    {"PENDING_PARTIAL_WITHDRAWALS_LIMIT", Fork::kElectra, 134217728ull, 64ull},
    {"PENDING_CONSOLIDATIONS_LIMIT", Fork::kElectra, 262144ull, 64ull},
    {"MAX_ATTESTER_SLASHINGS_ELECTRA", Fork::kElectra, 1ull, 1ull},
    {"MAX_ATTESTATIONS_ELECTRA", Fork::kElectra, 8ull, 8ull},
    {"MAX_DEPOSIT_REQUESTS_PER_PAYLOAD", Fork::kElectra, 8192ull, 8192ull},
    {"MAX_WITHDRAWAL_REQUESTS_PER_PAYLOAD", Fork::kElectra, 16ull, 16ull},
    {"MAX_CONSOLIDATION_REQUESTS_PER_PAYLOAD", Fork::kElectra, 2ull, 2ull},
    {"MAX_PENDING_PARTIALS_PER_WITHDRAWALS_SWEEP", Fork::kElectra, 8ull, 2ull},
    {"MAX_PENDING_DEPOSITS_PER_EPOCH", Fork::kElectra, 16ull, 16ull},
    {"KZG_COMMITMENTS_INCLUSION_PROOF_DEPTH", Fork::kFulu, 4ull, 4ull},
    {"FIELD_ELEMENTS_PER_CELL", Fork::kFulu, 64ull, 64ull},
    {"FIELD_ELEMENTS_PER_EXT_BLOB", Fork::kFulu, 8192ull, 8192ull},
    {"CELLS_PER_EXT_BLOB", Fork::kFulu, 128ull, 128ull},
    {"NUMBER_OF_COLUMNS", Fork::kFulu, 128ull, 128ull},
  };
  // clang-format on
  return kKeys;
}

std::vector<PresetValue> preset_values(Preset preset) {
  std::vector<PresetValue> out;
  if (preset == Preset::kGnosis) {
    // The keys that size containers or slot arithmetic, with gnosischain/configs' values.
    static constexpr std::array<std::string_view, 9> kSizes = {
        "MAX_VALIDATORS_PER_COMMITTEE", "MAX_COMMITTEES_PER_SLOT",  "MAX_ATTESTATIONS",
        "SYNC_COMMITTEE_SIZE",          "MAX_WITHDRAWALS_PER_PAYLOAD", "MAX_BLOB_COMMITMENTS_PER_BLOCK",
        "SLOTS_PER_EPOCH",              "MAX_ATTESTATIONS_ELECTRA", "MAX_ATTESTER_SLASHINGS_ELECTRA"};
    for (const auto& k : preset_keys()) {
      if (std::find(kSizes.begin(), kSizes.end(), k.key) == kSizes.end()) continue;
      std::uint64_t v = k.mainnet;
      if (k.key == "MAX_WITHDRAWALS_PER_PAYLOAD") v = 8;
      if (k.key == "SLOTS_PER_EPOCH") v = 16;
      out.push_back({k.key, k.fork, v});
    }
    return out;
  }
  for (const auto& k : preset_keys()) out.push_back({k.key, k.fork, preset == Preset::kMinimal ? k.minimal : k.mainnet});
  return out;
}

}  // namespace phx::eth
