#pragma once
/// The DV node (`phalanx run`): configuration and the one entry point that wires the duty workflow (core),
/// the beacon-node client, the validator API, p2p consensus and partial-signature exchange, slashing
/// protection, the embedded signer and the monitoring endpoint. Wire() is in node.cpp, in one readable place.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "app/superseded_locks.hpp"  // record_superseded_lock, check_not_superseded (phalanx reshare)
#include "base/bytes.hpp"
#include "base/clock.hpp"
#include "base/result.hpp"

namespace phx::app {

/// Who signs with this node's key shares.
enum class SignerMode : std::uint8_t {
  kVc,        ///< an external validator client holding the share keystores talks to the validator API
  kEmbedded,  ///< the node signs itself with its share keystores (no validator client)
};

/// Test-only misbehaviour of a node, for `phalanx devnet --fault byzantine-one` and the integration tests.
/// Never set in production: `phalanx run` accepts it only with --test-fault, documented as such.
enum class TestFault : std::uint8_t {
  kNone,
  kBadPartials,  ///< this node's partial signatures are replaced by valid-looking signatures of wrong data
  kEquivocate,   ///< this node sends conflicting, validly signed QBFT PREPAREs and COMMITs (equivocates)
  kByzantine,    ///< both: bad partial signatures and equivocating consensus messages
  kLyingBn,      ///< this node's attestation data has another target root, as if its BN were on a minority fork
  kUnknownHead,  ///< this node's attestation data has a head block root no BN knows (others' head check refuses it)
};

/// Everything `phalanx run` needs. Every field has a flag (`--kebab-case`), an environment variable
/// (`PHALANX_UPPER_SNAKE`) and a config-file key (`snake_case`) of the same name.
struct NodeConfig {
  std::filesystem::path lock_file = ".charon/cluster-lock.json";         ///< cluster lock (Charon format)
  std::filesystem::path private_key_file = ".charon/charon-enr-private-key";  ///< operator secp256k1 key
  std::filesystem::path data_dir = ".phalanx";      ///< slashing database and other state (created 0700)
  std::vector<std::string> beacon_node_endpoints;   ///< http://host:port, preference order (≥ 1)
  std::chrono::milliseconds beacon_node_timeout{2000};  ///< per BN call
  std::string validator_api_address = "127.0.0.1:3600";  ///< where the VC connects
  std::string p2p_tcp_address = "127.0.0.1:3610";        ///< p2p listen address
  /// Peers' p2p addresses "host:port" in operator order (this node's own entry is ignored). Empty: the
  /// addresses in the lock's ENRs (ip/tcp).
  std::vector<std::string> p2p_peers;
  std::string monitoring_address = "127.0.0.1:3620";  ///< /metrics, /livez, /readyz; operator API when loopback
  SignerMode signer = SignerMode::kVc;
  /// Embedded signer: folder with this node's share keystores (keystore-*.json) and password files
  /// (keystore-*.txt), as written by `phalanx create cluster` (nodeI/validator_keys).
  std::filesystem::path keystores_dir = ".charon/validator_keys";
  bool builder_api = false;                   ///< request blinded blocks / builder registrations
  /// Doppelganger protection (app/doppelganger.hpp): sign nothing for a validator until 2 epochs after start
  /// show it live only through this cluster; never for one seen live otherwise.
  bool doppelganger_protection = true;
  std::string graffiti;                       ///< up to 32 bytes, embedded signer's blocks
  std::string log_level = "info";             ///< trace, debug, info, warn, error
  /// When set, one JSON line per finished duty (tracker report + latencies) is appended here; `phalanx
  /// devnet` reads these files to build its report.
  std::optional<std::filesystem::path> duty_report_file;
  TestFault test_fault = TestFault::kNone;    ///< see TestFault
  std::chrono::milliseconds test_link_delay{0};  ///< TEST ONLY: every p2p message this node sends waits this long
  /// TEST ONLY: this node's wall clock runs this far ahead (negative: behind) of the system clock (chaos runs).
  std::chrono::milliseconds test_clock_offset{0};
};

/// Checks a configuration before anything starts (files exist, addresses parse, ≥ 1 BN endpoint, keystores
/// present in embedded mode). Errors: a message naming the flag at fault.
Result<void, std::string> validate(const NodeConfig& config);

/// Runs the node until `stop_requested` returns true (polled) or SIGINT/SIGTERM. Returns 0 on a clean stop,
/// non-zero after printing the reason (bad lock, unreachable files, bind failure…).
int run_node(const NodeConfig& config, std::function<bool()> stop_requested = {});

}  // namespace phx::app
