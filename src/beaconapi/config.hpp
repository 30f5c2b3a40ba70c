#pragma once
/// Reading a beacon node's chain configuration from its JSON bodies: /eth/v1/config/spec,
/// /eth/v1/config/fork_schedule and /eth/v1/beacon/genesis. Pure functions over parsed JSON (no I/O).
/// Spec: ethereum/beacon-APIs (getSpec, getForkSchedule, getGenesis).
#include <vector>

#include "eth/fork.hpp"
#include "eth/types.hpp"
#include "ssz/json.hpp"

namespace phx::beaconapi {

/// /eth/v1/beacon/genesis `data`.
struct Genesis {
  std::uint64_t genesis_time = 0;
  Root genesis_validators_root{};
  eth::Version genesis_fork_version{};
  PHX_SSZ_FIELDS(Genesis, genesis_time, genesis_validators_root, genesis_fork_version)
};

/// Decodes a getGenesis response body `{"data":{…}}`. Errors name the field.
Result<Genesis, ssz::JsonError> parse_genesis(const ssz::Json& body);

/// Decodes a getForkSchedule response body `{"data":[Fork…]}`.
Result<std::vector<eth::phase0::Fork>, ssz::JsonError> parse_fork_schedule(const ssz::Json& body);

/// Builds a ChainConfig from a getSpec response body `{"data":{…}}` (all values strings) and the genesis.
/// Reads GENESIS_FORK_VERSION, <FORK>_FORK_VERSION/_EPOCH (absent forks stay unscheduled), SECONDS_PER_SLOT
/// (or SLOT_DURATION_MS), SLOTS_PER_EPOCH, CONFIG_NAME, PRESET_BASE (mainnet, gnosis or minimal; absent means
/// mainnet) and checks that the container sizes the node reports equal the compiled ones of that preset
/// (a mismatch is an error naming the key).
Result<eth::ChainConfig, ssz::JsonError> parse_spec(const ssz::Json& body, const Genesis& genesis);

/// Cross-checks a fork schedule against a config: every listed fork's current_version/epoch must be in the
/// config's schedule. Errors name the offending entry.
Result<void, ssz::JsonError> check_fork_schedule(const eth::ChainConfig& config,
                                                 const std::vector<eth::phase0::Fork>& schedule);

}  // namespace phx::beaconapi
