#pragma once
/// The networks a cluster can be created for: genesis fork version, genesis time and execution chain id (for
/// EIP-712). Fork schedules live in eth::ChainConfig; this adds what Charon's artifacts need, including the
/// legacy testnets (goerli, holesky, chiado) whose locks Phalanx still reads.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.hpp"

namespace phx::cluster {

struct NetworkInfo {
  std::string name;
  ByteArray<4> genesis_fork_version;
  std::uint64_t genesis_time;
  std::uint64_t chain_id;
};

std::optional<NetworkInfo> network_by_name(std::string_view name);
std::optional<NetworkInfo> network_by_fork_version(const ByteArray<4>& genesis_fork_version);

}  // namespace phx::cluster
