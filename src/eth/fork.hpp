#pragma once
/// Consensus forks and the chain configuration a DV node needs: fork versions and epochs, genesis, slot
/// timing. Spec: consensus-specs configs/*.yaml, specs/<fork>/fork.md (compute_fork_version).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "base/ids.hpp"

namespace phx::eth {

/// The consensus forks in activation order.
enum class Fork : std::uint8_t { kPhase0, kAltair, kBellatrix, kCapella, kDeneb, kElectra, kFulu };
inline constexpr std::size_t kForkCount = 7;
inline constexpr std::array<Fork, kForkCount> kAllForks = {Fork::kPhase0,  Fork::kAltair, Fork::kBellatrix,
                                                           Fork::kCapella, Fork::kDeneb,  Fork::kElectra,
                                                           Fork::kFulu};

/// FAR_FUTURE_EPOCH: a fork not scheduled.
inline constexpr Epoch kFarFutureEpoch{UINT64_MAX};

/// Lower-case fork name as used by the Beacon API `version` field ("phase0" … "fulu").
std::string_view fork_name(Fork f);
/// Inverse of fork_name; nullopt for an unknown name.
std::optional<Fork> fork_from_name(std::string_view name);

/// The preset that sizes a network's containers: mainnet (also sepolia, hoodi), gnosis, minimal.
/// Containers: phx::eth::<fork>, phx::eth::gnosis::<fork>, phx::eth::minimal::<fork> (eth/types.hpp).
enum class Preset : std::uint8_t { kMainnet, kGnosis, kMinimal };
/// The preset whose containers this build signs with (eth/preset.hpp): mainnet, or minimal when built with
/// -DPHX_PRESET=minimal. A node refuses a beacon node of any other preset.
#if defined(PHX_PRESET_MINIMAL)
inline constexpr Preset kCompiledPreset = Preset::kMinimal;
#else
inline constexpr Preset kCompiledPreset = Preset::kMainnet;
#endif
/// "mainnet", "gnosis", "minimal" (the PRESET_BASE config value).
std::string_view preset_name(Preset p);
/// Inverse of preset_name; nullopt for an unknown name.
std::optional<Preset> preset_from_name(std::string_view name);
/// EPOCHS_PER_SYNC_COMMITTEE_PERIOD of a preset (mainnet 256, minimal 8, gnosis 512).
std::uint64_t epochs_per_sync_committee_period(Preset p);

/// One fork's version and activation epoch.
struct ForkEntry {
  ByteArray<4> version{};
  Epoch epoch = kFarFutureEpoch;
  bool operator==(const ForkEntry&) const = default;
};

/// A network's configuration: fork schedule (index = Fork), genesis, slot timing.
struct ChainConfig {
  std::string name;
  Preset preset = Preset::kMainnet;
  std::array<ForkEntry, kForkCount> forks{};  ///< forks[0] is {GENESIS_FORK_VERSION, 0}
  std::uint64_t seconds_per_slot = 12;
  std::uint64_t slots_per_epoch = 32;
  std::uint64_t epochs_per_sync_committee_period = 256;  ///< EPOCHS_PER_SYNC_COMMITTEE_PERIOD (minimal 8, gnosis 512)
  std::uint64_t genesis_time = 0;
  Root genesis_validators_root{};

  /// GENESIS_FORK_VERSION.
  const ByteArray<4>& genesis_fork_version() const { return forks[0].version; }
  /// The fork active at `epoch`: the latest fork whose epoch is <= epoch.
  Fork fork_at(Epoch epoch) const;
  /// compute_fork_version(epoch).
  const ByteArray<4>& version_at(Epoch epoch) const {
    return forks[static_cast<std::size_t>(fork_at(epoch))].version;
  }
  /// The version of fork `f`.
  const ByteArray<4>& version_of(Fork f) const { return forks[static_cast<std::size_t>(f)].version; }
  /// compute_epoch_at_slot.
  Epoch epoch_at(Slot slot) const { return Epoch{slot.value / slots_per_epoch}; }
  /// Checks the schedule: versions distinct, epochs non-decreasing, phase0 at epoch 0, slot timing non-zero.
  bool valid() const;
  bool operator==(const ChainConfig&) const = default;
};

/// Built-in networks (consensus-specs configs, eth-clients/{sepolia,hoodi}, gnosischain/configs).
const ChainConfig& mainnet_config();
const ChainConfig& sepolia_config();
const ChainConfig& hoodi_config();
const ChainConfig& gnosis_config();
/// A built-in network by name ("mainnet", "sepolia", "hoodi", "gnosis"); nullopt otherwise.
std::optional<ChainConfig> network_config(std::string_view name);
/// A custom devnet: all forks up to and including `last_fork` active from epoch 0, later ones unscheduled;
/// fork versions are {fork index, 0, 0, id} style: version[0] = fork index, version[3] = `network_id_byte`.
/// Slot timing is 12 s and the preset's SLOTS_PER_EPOCH (by default the preset of this build).
ChainConfig devnet_config(Fork last_fork, std::uint64_t genesis_time, const Root& genesis_validators_root,
                          std::uint8_t network_id_byte = 0x42, Preset preset = kCompiledPreset);

}  // namespace phx::eth
