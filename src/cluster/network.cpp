#include "cluster/network.hpp"

#include "eth/fork.hpp"

namespace phx::cluster {
namespace {

struct Row {
  std::string_view name;
  std::uint64_t chain_id;
  ByteArray<4> legacy_fork_version;  // only for networks eth:: has no config for
  std::uint64_t legacy_genesis_time;
};
constexpr Row kRows[] = {
    {"mainnet", 1, {}, 0},
    {"sepolia", 11155111, {}, 0},
    {"hoodi", 560048, {}, 0},
    {"gnosis", 100, {}, 0},
    {"holesky", 17000, {0x01, 0x01, 0x70, 0x00}, 1695902400},
    {"goerli", 5, {0x00, 0x00, 0x10, 0x20}, 1616508000},
    {"chiado", 10200, {0x00, 0x00, 0x00, 0x6f}, 1665396300},
};

NetworkInfo info_of(const Row& r) {
  if (auto cfg = eth::network_config(r.name))
    return NetworkInfo{std::string(r.name), cfg->genesis_fork_version(), cfg->genesis_time, r.chain_id};
  return NetworkInfo{std::string(r.name), r.legacy_fork_version, r.legacy_genesis_time, r.chain_id};
}

}  // namespace

std::optional<NetworkInfo> network_by_name(std::string_view name) {
  for (const auto& r : kRows)
    if (r.name == name) return info_of(r);
  return std::nullopt;
}

std::optional<NetworkInfo> network_by_fork_version(const ByteArray<4>& v) {
  for (const auto& r : kRows) {
    auto i = info_of(r);
    if (i.genesis_fork_version == v) return i;
  }
  return std::nullopt;
}

}  // namespace phx::cluster
