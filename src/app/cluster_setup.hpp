#pragma once
/// What a node reads before it starts, shared by `phalanx run` and the standalone `phalanx exit` commands: the
/// operator's secp256k1 key and the cluster lock (verified, not superseded by a reshare) with this operator's
/// position, the peers' keys and addresses, and the key book of the validators.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "app/node.hpp"
#include "cluster/definition.hpp"
#include "core/types.hpp"
#include "crypto/k1/k1.hpp"
#include "p2p/node.hpp"

namespace phx::app {

/// The secp256k1 operator key (Charon's charon-enr-private-key: 64 hex digits). The error names --private-key-file.
Result<crypto::k1::SecretKey, std::string> load_operator_key(const std::filesystem::path& path);

/// A verified lock and its validators' keys.
struct LockKeys {
  cluster::Lock lock;  ///< the verified lock
  core::KeyBook book;  ///< its validators' keys
};
/// Reads and verifies cfg.lock_file, refused when a reshare superseded it (checked in the folders of
/// cfg.private_key_file, cfg.lock_file and cfg.data_dir), and builds the key book. Errors name --lock-file.
Result<LockKeys, std::string> load_lock(const NodeConfig& cfg);

/// Everything read from the lock and the key file.
struct ClusterSetup {
  cluster::Lock lock;                                   ///< the verified lock
  core::KeyBook book;                                   ///< its validators' keys
  OperatorIdx self{};                                   ///< this operator's position (share index = self + 1)
  std::vector<crypto::k1::PublicKey> operators;         ///< every operator's identity key, in lock order
  std::vector<std::optional<p2p::Endpoint>> addresses;  ///< peers' p2p addresses (this node's: nullopt)
};

/// load_lock, then finds `key` among the lock's operators; cfg.p2p_peers override the ENRs' addresses. Errors: a
/// message naming the flag at fault.
Result<ClusterSetup, std::string> load_cluster(const NodeConfig& cfg, const crypto::k1::SecretKey& key);

}  // namespace phx::app
