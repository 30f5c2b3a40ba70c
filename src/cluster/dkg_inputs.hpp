#pragma once
/// The cluster side of a DKG ceremony: what the DKG reads from a cluster definition (DkgInputs) and how its
/// cryptographic results become a cluster lock (assemble_lock, then complete_lock), so the DKG supplies only
/// keys and signatures. Mirrors what Charon's dkg package takes from and gives to cluster/. Pure: no I/O.
#include <cstdint>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "base/ids.hpp"
#include "cluster/definition.hpp"
#include "cluster/network.hpp"
#include "crypto/k1/k1.hpp"

namespace phx::cluster {

/// One operator as the DKG sees it (definition order is share order).
struct DkgOperator {
  OperatorIdx operator_idx;            ///< 0-based position in the definition
  ShareIdx share_idx;                  ///< operator_idx + 1: the Shamir x of this operator's shares
  std::string enr;                     ///< "enr:…" as in the definition
  crypto::k1::PublicKey node_key;      ///< the ENR's secp256k1 key (p2p identity, node signature key)
  std::string address;                 ///< operator's Ethereum address, "" when unsigned
};

/// One validator's addresses, decoded.
struct DkgValidator {
  std::string fee_recipient_address;   ///< as written in the definition
  std::string withdrawal_address;
  ByteArray<20> fee_recipient{};       ///< for the builder registration
  Root withdrawal_credentials{};       ///< 0x01 (or 0x02 when compounding) ‖ zeros ‖ address, for deposits
};

/// Everything the DKG needs from a definition, checked and decoded.
struct DkgInputs {
  std::string version;
  std::string name;
  std::string uuid;
  std::string dkg_algorithm;           ///< "default", "frost" or "pedersen"
  std::vector<DkgOperator> operators;
  std::uint32_t threshold = 0;         ///< 1..operators
  std::uint32_t num_validators = 0;
  std::vector<DkgValidator> validators;     ///< num_validators entries
  /// The deposits to sign for every validator (gwei), in lock order: the definition's amounts deduplicated and
  /// sorted; without amounts Charon's defaults: 1 and 32 ETH (compounding: 1, 8, 32, 256 ETH); before v1.8 one
  /// 32 ETH deposit; before v1.6 none.
  std::vector<std::uint64_t> deposit_amounts;
  bool compounding = false;
  ByteArray<4> fork_version{};         ///< genesis fork version: the deposit and registration signing domain
  NetworkInfo network;                 ///< name, genesis time, chain id of fork_version
  bool builder_registrations = false;  ///< v1.7+: pre-generate one builder registration per validator
  std::uint64_t registration_gas_limit = 0;   ///< target_gas_limit (30,000,000 before v1.10)
  std::uint64_t registration_timestamp = 0;   ///< the network's genesis time
  bool node_signatures = false;        ///< v1.7+: each node signs lock_hash with its ENR key
  Root config_hash{};
  Root definition_hash{};
};

/// Checks and decodes a definition for a DKG: its hashes (call verify_definition first to judge and show its
/// signatures), every operator has a valid ENR with a distinct key, 1 <= threshold <= operators, at least one
/// validator with valid addresses, a known network. Errors name the field.
LockResult<DkgInputs> dkg_inputs(const Definition& d);

/// One validator's DKG results.
struct DkgValidatorResult {
  ByteArray<48> distributed_public_key{};
  std::vector<ByteArray<48>> public_shares;   ///< one per operator, in operator order
  std::vector<DepositData> deposit_data;      ///< one per DkgInputs::deposit_amounts, in that order
  BuilderRegistration builder_registration;   ///< ignored before v1.7
};

/// The lock of `d` holding the DKG's validators, with its lock_hash computed and no signatures yet: the DKG
/// signs lock_hash with every key share (aggregated into signature_aggregate) and with every node key, then
/// calls complete_lock. Checks counts and that deposits and registrations belong to their validator.
LockResult<Lock> assemble_lock(const Definition& d, std::vector<DkgValidatorResult> validators);

/// Sets signature_aggregate (96 bytes) and node_signatures (one 65-byte signature per operator, v1.7+) and
/// verifies the whole lock (verify_lock): the returned lock is ready to be written as cluster-lock.json.
LockResult<Lock> complete_lock(Lock lock, const ByteArray<96>& signature_aggregate,
                               std::vector<ByteArray<65>> node_signatures);

}  // namespace phx::cluster
