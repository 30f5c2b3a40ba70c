#pragma once
/// Deposit data (staking-deposit-cli layout) and pre-signed builder registrations for a cluster's validators.
/// Deposits and registrations are signed in the genesis fork's domain with a zero genesis_validators_root
/// (consensus-specs phase0 deposits; builder-specs DOMAIN_APPLICATION_BUILDER).
#include <span>
#include <string>
#include <vector>

#include "cluster/definition.hpp"
#include "crypto/bls/bls.hpp"

namespace phx::cluster {

/// Charon's deposit amount rules (eth2util/deposit VerifyDepositAmounts): each amount at least 1 ETH and at most
/// 32 ETH (2048 ETH when compounding), at least 32 ETH in total (repeats allowed); none is fine (the default
/// deposits). The error (kBadField) says which rule broke.
LockResult<void> check_deposit_amounts(std::span<const std::uint64_t> amounts_gwei, bool compounding);

/// 0x01 (execution address) or 0x02 (compounding, EIP-7251) withdrawal credentials for `address` (0x + 40 hex).
LockResult<Root> withdrawal_credentials(const std::string& address, bool compounding);

/// The deposit message signing root for (pubkey, credentials, amount) on the network of `genesis_fork_version`.
Root deposit_signing_root(const ByteArray<48>& pubkey, const Root& credentials, std::uint64_t amount_gwei,
                          const ByteArray<4>& genesis_fork_version);
/// hash_tree_root(DepositMessage) and hash_tree_root(DepositData).
Root deposit_message_root(const DepositData& dd);
Root deposit_data_root(const DepositData& dd);

/// Signs a deposit with `sk` (or, in a cluster, the caller signs with shares and recombines).
DepositData make_deposit(const crypto::bls::SecretKey& sk, const Root& credentials, std::uint64_t amount_gwei,
                         const ByteArray<4>& genesis_fork_version);
/// True when dd.signature is the validator's signature over the deposit message.
bool verify_deposit(const DepositData& dd, const ByteArray<4>& genesis_fork_version);

/// Signing root of a ValidatorRegistrationV1 (DOMAIN_APPLICATION_BUILDER, genesis fork version).
Root registration_signing_root(const Registration& r, const ByteArray<4>& genesis_fork_version);
bool verify_registration(const BuilderRegistration& br, const ByteArray<4>& genesis_fork_version);

/// The network name of a genesis fork version ("mainnet", "sepolia", "hoodi", "gnosis", …), empty if unknown.
std::string network_name_of(const ByteArray<4>& genesis_fork_version);

/// A deposit-data JSON file (array of entries, staking-deposit-cli 2.7.0 layout, hex without 0x).
std::string write_deposit_data_json(const std::vector<DepositData>& deposits, const ByteArray<4>& genesis_fork_version);
/// File name for deposits of `amount_gwei`: deposit-data.json for 32 ETH, deposit-data-<N>eth.json otherwise.
std::string deposit_data_file_name(std::uint64_t amount_gwei);

}  // namespace phx::cluster
