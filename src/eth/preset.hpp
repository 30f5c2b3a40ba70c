#pragma once
/// Preset constants that size consensus containers. Spec: consensus-specs presets/{mainnet,minimal}/*.yaml.
/// Sepolia and hoodi use the mainnet preset; gnosis and minimal override a few values below. `eth::preset` (the
/// containers of `eth::`, which the node signs with) is the preset this build was compiled for: mainnet, or
/// minimal with `-DPHX_PRESET=minimal` (as Lighthouse's `spec-minimal` and Prysm's `minimal` builds): the
/// minimal preset's blocks and sync aggregates are other containers, so one binary signs for one of the two.
#include <cstddef>

namespace phx::eth::mainnet::preset {

inline constexpr std::size_t kMaxValidatorsPerCommittee = 2048;
inline constexpr std::size_t kMaxCommitteesPerSlot = 64;
inline constexpr std::size_t kMaxProposerSlashings = 16;
inline constexpr std::size_t kMaxAttesterSlashings = 2;
inline constexpr std::size_t kMaxAttestations = 128;
inline constexpr std::size_t kMaxDeposits = 16;
inline constexpr std::size_t kMaxVoluntaryExits = 16;
inline constexpr std::size_t kDepositContractTreeDepth = 32;
inline constexpr std::size_t kSyncCommitteeSize = 512;
inline constexpr std::size_t kSyncCommitteeSubnetCount = 4;
inline constexpr std::size_t kBytesPerLogsBloom = 256;
inline constexpr std::size_t kMaxExtraDataBytes = 32;
inline constexpr std::size_t kMaxBytesPerTransaction = std::size_t{1} << 30;
inline constexpr std::size_t kMaxTransactionsPerPayload = std::size_t{1} << 20;
inline constexpr std::size_t kMaxWithdrawalsPerPayload = 16;
inline constexpr std::size_t kMaxBlsToExecutionChanges = 16;
inline constexpr std::size_t kMaxBlobCommitmentsPerBlock = 4096;
inline constexpr std::size_t kFieldElementsPerBlob = 4096;
inline constexpr std::size_t kBytesPerFieldElement = 32;
inline constexpr std::size_t kMaxAttesterSlashingsElectra = 1;
inline constexpr std::size_t kMaxAttestationsElectra = 8;
inline constexpr std::size_t kMaxDepositRequestsPerPayload = 8192;
inline constexpr std::size_t kMaxWithdrawalRequestsPerPayload = 16;
inline constexpr std::size_t kMaxConsolidationRequestsPerPayload = 2;
inline constexpr std::size_t kFieldElementsPerExtBlob = 8192;
inline constexpr std::size_t kSlotsPerEpoch = 32;

}  // namespace phx::eth::mainnet::preset

/// Gnosis preset: the mainnet values except these (gnosischain/configs presets/gnosis).
namespace phx::eth::gnosis::preset {
using namespace ::phx::eth::mainnet::preset;  // NOLINT: inherit the rest
inline constexpr std::size_t kMaxWithdrawalsPerPayload = 8;
inline constexpr std::size_t kSlotsPerEpoch = 16;
}  // namespace phx::eth::gnosis::preset

/// Minimal preset: the mainnet values except these (consensus-specs presets/minimal).
namespace phx::eth::minimal::preset {
using namespace ::phx::eth::mainnet::preset;  // NOLINT: inherit the rest
inline constexpr std::size_t kMaxCommitteesPerSlot = 4;
inline constexpr std::size_t kSyncCommitteeSize = 32;
inline constexpr std::size_t kMaxWithdrawalsPerPayload = 4;
inline constexpr std::size_t kSlotsPerEpoch = 8;
}  // namespace phx::eth::minimal::preset

/// The preset of this build (see the file comment): `eth::preset::kX` and the containers of `eth::`.
namespace phx::eth::preset {
#if defined(PHX_PRESET_MINIMAL)
using namespace ::phx::eth::minimal::preset;  // NOLINT: the whole preset
inline constexpr bool kCompiledMinimal = true;
#else
using namespace ::phx::eth::mainnet::preset;  // NOLINT: the whole preset
inline constexpr bool kCompiledMinimal = false;
#endif
}  // namespace phx::eth::preset
