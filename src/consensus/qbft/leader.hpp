#pragma once
/// Deterministic leader rotation per (instance, round).
#include <cstdint>

#include "base/bytes.hpp"
#include "base/ids.hpp"
#include "consensus/qbft/types.hpp"

namespace phx::consensus::qbft {

/// Leader of `round` (≥ 1) of instance `instance_id` among n ≥ 1 nodes:
/// (BE64(SHA-256(instance_id)[0..8]) mod n + round - 1) mod n. Every node leads once in any n consecutive
/// rounds, and the first leader differs between instances (duties). Public data only.
OperatorIdx leader(ByteSpan instance_id, Round round, std::uint32_t n);

/// Same as leader() with the instance hash precomputed as BE64(SHA-256(instance_id)[0..8]) mod n.
inline OperatorIdx leader_from_offset(std::uint32_t offset, Round round, std::uint32_t n) {
  return OperatorIdx{static_cast<std::uint32_t>((std::uint64_t{offset} + round - 1) % n)};
}

/// BE64(SHA-256(instance_id)[0..8]) mod n.
std::uint32_t leader_offset(ByteSpan instance_id, std::uint32_t n);

}  // namespace phx::consensus::qbft
