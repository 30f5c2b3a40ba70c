#pragma once
/// `phalanx dkg`: runs one node's side of a DKG ceremony (dkg::Ceremony) over the p2p transport (TLS 1.3,
/// only the definition's operators, identified by their ENR keys, get in; protocol kDkgProtocol), with real
/// timers, the sealed journal (fsync before sending; resume after a crash), the local preflight, progress
/// output, and the artifacts `phalanx create cluster` writes plus the transcript. Threads: the calling thread
/// runs the network (Asio); a worker thread owns the ceremony, the journal and the files.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "cluster/definition.hpp"
#include "cluster/dkg_inputs.hpp"
#include "crypto/bls/bls.hpp"
#include "crypto/k1/k1.hpp"
#include "crypto/keystore/eip2335.hpp"
#include "dkg/failure.hpp"
#include "p2p/node.hpp"

namespace phx::dkg::runner {

/// p2p protocol id of DKG envelopes ("/phalanx/dkg/1", docs/formats/p2p.md §4); high priority.
inline constexpr p2p::ProtocolId kDkgProtocol = 40;

/// A reshare (issue 15): the ceremony deals the old lock's shares to `definition`'s operators (which must be
/// reshare_definition(old_lock, …)); see reshare.hpp.
struct ReshareConfig {
  cluster::Lock old_lock;                          ///< verified by the caller
  std::vector<std::string> leaving_dealers;        ///< NewOperators::leaving_dealers (participants after the new operators)
  std::vector<crypto::bls::SecretKey> old_shares;  ///< [v] this node's old shares (old operators; else empty)
};

/// What one node needs to run its side.
struct RunnerConfig {
  std::filesystem::path data_dir;  ///< holds charon-enr-private-key; receives the artifacts
  std::filesystem::path output_dir;  ///< receives the artifacts and holds the journal (empty: data_dir)
  cluster::Definition definition;  ///< parsed, hashes and signatures verified by the caller
  std::optional<ReshareConfig> reshare;  ///< set for `phalanx reshare`
  crypto::k1::SecretKey enr_key;   ///< this operator's ENR key (one of the definition's operators)
  std::vector<std::optional<p2p::Endpoint>> peers;  ///< where to dial each participant (own entry ignored):
                                                    ///< the operators, then a reshare's leaving dealers
  p2p::Endpoint listen{"0.0.0.0", 3610};            ///< listen address
  bool insecure_keys = false;                       ///< scrypt N = 16 keystores (test clusters only)
  /// The new keystores' KDF at cost 2^18 (without insecure_keys): PBKDF2 as Charon, or scrypt.
  crypto::keystore::Kdf keystore_kdf = crypto::keystore::Kdf::kPbkdf2;
  std::chrono::milliseconds connect_timeout = std::chrono::minutes(30);  ///< R0 deadline
  std::chrono::milliseconds round_timeout = std::chrono::seconds(120);   ///< R1–R5 deadline per round
  std::uint32_t chunk_validators = 1000;                                 ///< validators per R1/R3/R4 message
  std::chrono::milliseconds linger = std::chrono::seconds(3);  ///< keep answering peers after finishing
  std::chrono::milliseconds progress_interval = std::chrono::seconds(2);  ///< status line period
  std::function<void(const std::string&)> log;  ///< progress and summary lines (nullptr: stdout)
  /// Called once every operator reported identical artifacts (R5), right before they are published, with the
  /// new lock hash (reshare: records the superseded lock); an error keeps the journal and fails the run.
  std::function<Result<void, std::string>(const Root& lock_hash)> before_publish;
};

/// The outcome of a run.
struct RunReport {
  bool ok = false;                    ///< artifacts published
  std::optional<Failure> failure;     ///< the ceremony's failure (code, operators, cause, next action)
  std::string error;                  ///< a local error before the ceremony could start
  bool resumed = false;               ///< continued from a journal
  std::uint32_t self = 0;             ///< this node's operator index
  Root lock_hash{};                   ///< of the published lock
  std::vector<double> round_seconds;  ///< wall time spent in R0..R5
  double keystore_seconds = 0;        ///< after R5: keystores, transcript, publication
  double total_seconds = 0;           ///< from start to published artifacts
  std::vector<std::uint64_t> bytes_in, bytes_out;  ///< per operator
};

/// Runs the ceremony to its end (finished, failed, or a local error). Blocks.
RunReport run_dkg(RunnerConfig cfg);

/// A failure as the operator reads it: "E_ROUND_TIMEOUT in R1: <cause>\n  operator 2 (enr:…): …\n  next: …".
std::string describe_failure(const Failure& f, const cluster::DkgInputs& in);

/// "operator 2 (enr:-HW4QH…)" for participant `i`.
std::string operator_name(const cluster::DkgInputs& in, std::uint32_t i);

}  // namespace phx::dkg::runner
