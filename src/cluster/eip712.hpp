#pragma once
/// EIP-712 typed-data digests of Charon's cluster definition signatures (domain "Obol", version "1", the
/// chain id of the definition's genesis fork version) and operator addresses. Operators sign
/// OperatorConfigHash{operator_config_hash} and ENR{enr}; the creator signs CreatorConfigHash{creator_config_hash}.
#include <optional>
#include <string>

#include "base/bytes.hpp"
#include "cluster/definition.hpp"
#include "crypto/k1/k1.hpp"

namespace phx::cluster {

/// The execution chain id of a network by its genesis fork version (mainnet 1, sepolia 11155111, …).
std::optional<std::uint64_t> chain_id_of(const ByteArray<4>& genesis_fork_version);

/// Digests to sign/verify. Errors when the fork version names no known network.
LockResult<Root> operator_config_digest(const Definition& d);
LockResult<Root> creator_config_digest(const Definition& d);
LockResult<Root> enr_digest(const Definition& d, const std::string& enr);

/// The Ethereum address (0x + 40 lower-case hex digits) of a secp256k1 key.
std::string eth_address(const crypto::k1::PublicKey& pk);

/// True when `sig65` (r‖s‖v) over `digest` recovers to `address` (compared case-insensitively).
bool signed_by_address(const Root& digest, ByteSpan sig65, const std::string& address);

/// Verifies the operator and creator EIP-712 signatures with Charon's rules: either every operator is fully
/// unsigned (no address, no signatures: a single-operator cluster made by `create cluster`) and the creator is
/// empty, or every operator and the creator signed correctly.
LockResult<void> verify_definition_signatures(const Definition& d);

/// Verifies node_signatures: one per operator, each by the operator's ENR key over lock_hash.
LockResult<void> verify_node_signatures(const Lock& l);

}  // namespace phx::cluster
