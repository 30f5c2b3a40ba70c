#pragma once
/// Consensus containers for phase0 … fulu, each declared once with its SSZ field list (eth/types_forks.inc).
/// Namespaces phx::eth::<fork> (mainnet preset, also used by sepolia and hoodi), phx::eth::gnosis::<fork> and
/// phx::eth::minimal::<fork> hold every container a validator signs or a DV node handles; a fork's namespace
/// re-exports the previous fork's containers it leaves unchanged (so electra::Checkpoint works).
/// Spec: consensus-specs specs/<fork>/beacon-chain.md, validator.md, builder-specs, beacon-APIs.
#include <array>
#include <cstdint>

#include "base/bytes.hpp"
#include "base/ids.hpp"
#include "eth/preset.hpp"
#include "ssz/types.hpp"

namespace phx::eth {

using ssz::Bitlist;
using ssz::Bitvector;
using ssz::ByteList;
using ssz::List;
using ssz::Uint256;

using Version = ByteArray<4>;
using DomainType = ByteArray<4>;
using Domain = ByteArray<32>;
using ForkDigest = ByteArray<4>;
using Hash32 = ByteArray<32>;
using BLSPubkey = ByteArray<48>;
using BLSSignature = ByteArray<96>;
using ExecutionAddress = ByteArray<20>;
using KZGCommitment = ByteArray<48>;
using KZGProof = ByteArray<48>;
using Gwei = std::uint64_t;
using CommitteeIndex = std::uint64_t;
using WithdrawalIndex = std::uint64_t;
using Blob = ByteArray<preset::kFieldElementsPerBlob * preset::kBytesPerFieldElement>;

/// A signed envelope {message, signature} (SignedBeaconBlock, SignedVoluntaryExit, …).
template <class M>
/// Signed (consensus-specs phase0/beacon-chain.md).
struct Signed {
  M message{};
  BLSSignature signature{};
  PHX_SSZ_FIELDS(Signed, message, signature)
};

/// BeaconBlock / BlindedBeaconBlock over a fork's body type.
template <class Body>
/// BeaconBlockOf (consensus-specs phase0/beacon-chain.md).
struct BeaconBlockOf {
  Slot slot{};
  ValidatorIndex proposer_index{};
  Root parent_root{};
  Root state_root{};
  Body body{};
  PHX_SSZ_FIELDS(BeaconBlockOf, slot, proposer_index, parent_root, state_root, body)
};

#include "eth/types_forks.inc"

/// The same containers sized by the gnosis preset (MAX_WITHDRAWALS_PER_PAYLOAD = 8):
/// phx::eth::gnosis::<fork>::<Container>.
namespace gnosis {
#include "eth/types_forks.inc"
}  // namespace gnosis

/// The same containers sized by the minimal preset (devnets, spec tests):
/// phx::eth::minimal::<fork>::<Container>.
namespace minimal {
#include "eth/types_forks.inc"
}  // namespace minimal

}  // namespace phx::eth
