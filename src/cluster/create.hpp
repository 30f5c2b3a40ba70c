#pragma once
/// Creating cluster artifacts. Trusted dealer (`phalanx create cluster`): validator keys (fresh or given), Shamir
/// shares, operator identities, a signed v1.11.0 lock, deposit data and builder registrations. For a DKG
/// (`phalanx create dkg`): the unsigned cluster definition Charon's `create dkg` writes. Pure: no file I/O.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cluster/definition.hpp"
#include "cluster/network.hpp"
#include "crypto/bls/bls.hpp"
#include "crypto/k1/k1.hpp"
#include "crypto/threshold/threshold.hpp"

namespace phx::cluster {

struct CreateParams {
  std::string name = "phalanx cluster";
  std::uint32_t nodes = 4;
  std::uint32_t threshold = 0;  ///< 0: ⌈2·nodes/3⌉
  std::uint32_t num_validators = 1;
  std::string network = "mainnet";
  /// A custom network instead of `network` (Charon's --testnet-fork-version/-chain-id/-genesis-timestamp/-name),
  /// e.g. a local `lodestar dev` chain with the minimal preset (GENESIS_FORK_VERSION 0x00000001).
  std::optional<NetworkInfo> testnet;
  std::vector<std::string> withdrawal_addresses;     ///< one for all validators, or one each
  std::vector<std::string> fee_recipient_addresses;  ///< one for all validators, or one each
  std::vector<std::uint64_t> deposit_amounts_gwei;   ///< empty: one 32 ETH deposit
  bool compounding = false;                          ///< 0x02 withdrawal credentials
  std::uint64_t target_gas_limit = 36'000'000;
  std::string timestamp;                             ///< RFC 3339; empty: now
  std::string version{kLatestVersion};               ///< schema version: v1.11.0 or v1.10.0
  /// Keys to split instead of fresh ones (`--split-existing-keys`); their count sets num_validators.
  std::vector<crypto::bls::SecretKey> existing_keys;
};

/// ⌈2n/3⌉, the default threshold.
std::uint32_t default_threshold(std::uint32_t nodes);

/// What one operator's node folder receives.
struct NodeArtifacts {
  crypto::k1::SecretKey enr_key;
  std::vector<crypto::threshold::KeyShare> shares;  ///< one per validator, in lock order
};

struct CreatedCluster {
  Lock lock;
  std::vector<NodeArtifacts> nodes;
  /// Deposit data per amount (gwei), one entry per validator, in lock order.
  std::map<std::uint64_t, std::vector<DepositData>> deposits;
};

/// Validates the parameters (clear errors, nothing produced on error) and creates the cluster.
LockResult<CreatedCluster> create_cluster(CreateParams params);

/// Parses a comma-separated list of ETH amounts ("31,1" → gwei), each a whole number of ETH ≥ 1.
LockResult<std::vector<std::uint64_t>> parse_eth_amounts(std::string_view list);

/// The parameters of `phalanx create dkg`, named and defaulted like Charon's `charon create dkg` flags.
struct CreateDkgParams {
  std::string name;                                  ///< --name (optional, cosmetic)
  std::vector<std::string> operator_enrs;            ///< --operator-enrs: at least 3, distinct, valid ENRs
  std::optional<std::uint32_t> threshold;            ///< --threshold: 2..operators; default ⌈2n/3⌉
  std::uint32_t num_validators = 1;                  ///< --num-validators
  std::string network = "mainnet";                   ///< --network
  std::vector<std::string> withdrawal_addresses;     ///< one for all validators or one each; EIP-55 checksummed
  std::vector<std::string> fee_recipient_addresses;  ///< one for all validators or one each
  /// --deposit-amounts (gwei): each 1..32 ETH (2048 when compounding), at least 32 ETH in total; empty: the
  /// DKG's default amounts (written as null, as Charon does).
  std::vector<std::uint64_t> deposit_amounts_gwei;
  bool compounding = false;                          ///< --compounding: 0x02 withdrawal credentials
  std::uint64_t target_gas_limit = 60'000'000;       ///< --target-gas-limit (Charon's create dkg default)
  std::string consensus_protocol;                    ///< --consensus-protocol: "" (automatic) or "qbft"
  std::string dkg_algorithm = "default";             ///< --dkg-algorithm: default, frost or pedersen
  std::string timestamp;                             ///< RFC 3339; empty: now
};

/// Validates the parameters (an error names the flag) and returns the v1.11.0 definition with its config and
/// definition hashes: operators carry only their ENRs (unsigned, no addresses) and the creator is empty.
LockResult<Definition> create_dkg_definition(const CreateDkgParams& params);

}  // namespace phx::cluster
