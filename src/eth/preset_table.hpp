#pragma once
/// Every preset value of every fork (phase0 … fulu) of the mainnet and minimal presets, as in consensus-specs
/// `presets/<preset>/<fork>.yaml` (checked against copies of those files by eth_preset_test). A beacon node's
/// `/eth/v1/config/spec` is compared with this table: a BN of another preset is told apart from an unreachable one,
/// with every differing key named. The gnosis preset is known here only by the values that size containers.
#include <cstdint>
#include <string_view>
#include <vector>

#include "eth/fork.hpp"

namespace phx::eth {

/// One preset key: the fork that introduced it and its value in each preset.
struct PresetKey {
  std::string_view key;
  Fork fork;
  std::uint64_t mainnet;
  std::uint64_t minimal;
};

/// All keys of the mainnet and minimal presets, phase0 … fulu, in the spec files' order.
const std::vector<PresetKey>& preset_keys();

/// A key and its value in one preset.
struct PresetValue {
  std::string_view key;
  Fork fork;
  std::uint64_t value;
};

/// The values of `preset`: every key for mainnet and minimal; for gnosis only the keys whose gnosis value is
/// known to this build (the container sizes: mainnet's, except MAX_WITHDRAWALS_PER_PAYLOAD 8 and SLOTS_PER_EPOCH
/// 16), so that a gnosis BN is never refused over a value Phalanx does not know.
std::vector<PresetValue> preset_values(Preset preset);

}  // namespace phx::eth
