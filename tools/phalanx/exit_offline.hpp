#pragma once
// `phalanx exit` without a running node: the beacon-node calls of the exit commands, signing this operator's
// partial exits from its keystores into a partial-exits file, and reading exit files (full exits and other
// operators' partial-exits files, each partial verified against the lock) into verified full exits.
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/exit_partials.hpp"
#include "app/node.hpp"
#include "base/clock.hpp"
#include "beaconapi/http/client.hpp"
#include "beaconapi/http/types.hpp"

namespace phx::tools::exits {

/// A beacon node for the exit commands: its client (calls run on `io`) and the chain's configuration (fork
/// versions and genesis validators root: the exit domain).
struct Bn {
  boost::asio::io_context io;
  std::unique_ptr<beaconapi::http::BeaconNodeClient> client;
  eth::ChainConfig config;
};

/// Connects to the first answering of `urls` and reads the chain configuration. Errors: a message naming
/// --beacon-node-endpoints.
Result<std::unique_ptr<Bn>, std::string> connect_bn(const std::vector<std::string>& urls, Duration timeout);
/// The beacon node's record of each of `pubkeys` (index, status, exit epoch); unknown validators are absent.
Result<std::map<core::PubKey, beaconapi::http::ValidatorInfo>, std::string> lookup_validators(
    Bn& bn, const std::vector<core::PubKey>& pubkeys);
/// Submits a full exit (POST /eth/v1/beacon/pool/voluntary_exits). Errors: the node's message.
Result<void, std::string> submit_exit(Bn& bn, const eth::phase0::SignedVoluntaryExit& exit);
/// The chain's current epoch by the system clock.
Epoch current_epoch(const eth::ChainConfig& config);

/// What standalone signing needs.
struct SignRequest {
  app::NodeConfig node;                   ///< lock_file, private_key_file, data_dir (superseded check), keystores_dir
  std::vector<core::PubKey> pubkeys;      ///< the validators (empty with `all`)
  bool all = false;                       ///< every validator of the lock
  std::optional<Epoch> exit_epoch;        ///< default: the current epoch
  std::optional<ValidatorIndex> validator_index;  ///< skips the BN lookup (one validator only)
  std::filesystem::path out;              ///< the partial-exits file (empty: partial-exits-share-<i>.json)
};
/// What standalone signing did.
struct SignOutcome {
  std::filesystem::path file;            ///< the partial-exits file written (0600)
  ShareIdx share_idx{};                  ///< this operator's share
  std::vector<app::PartialExit> signed_now;  ///< this run's partials
};
/// Signs this operator's partial exit of each requested validator with its share keystore (zeroized after use;
/// each partial verified against the lock's public share) and merges them into the partial-exits file, which
/// carries the lock hash (an existing file of another lock or share is refused). Errors: a message naming the
/// flag or file at fault.
Result<SignOutcome, std::string> sign_standalone(const SignRequest& req, Bn& bn);

/// The *.json files of `dir`, sorted. Errors: not a readable folder, or no such file in it.
Result<std::vector<std::filesystem::path>, std::string> json_files_in(const std::filesystem::path& dir);

/// Full exits gathered from files, and what was missing.
struct Collected {
  std::map<core::PubKey, eth::phase0::SignedVoluntaryExit> full;  ///< recombined or read, not yet verified
  std::map<core::PubKey, std::string> incomplete;  ///< validators with partials but fewer than t agreeing
};
/// Reads each file as a full exit (SignedVoluntaryExit JSON; its validator from the name exit-0x<pubkey>.json,
/// else from the lock's validators by index at the BN, else `only_pubkey`) or as a partial-exits file (needs the
/// lock of `lock_cfg`; its lock_hash must match; every partial must verify against the lock's public share, and
/// t of them are recombined). Any bad file or partial is an error naming the file and the reason.
Result<Collected, std::string> collect_files(const std::vector<std::filesystem::path>& files,
                                             const app::NodeConfig& lock_cfg,
                                             std::optional<core::PubKey> only_pubkey, Bn& bn);

/// Writes full exits for later: one exit to `out`; several to the folder `out` (created 0700), one
/// exit-0x<pubkey>.json each (Charon's names, read back by --exit-from-dir). Files 0600. Returns the paths.
Result<std::vector<std::filesystem::path>, std::string> write_full_exits(
    const std::filesystem::path& out, const std::map<core::PubKey, eth::phase0::SignedVoluntaryExit>& exits);

}  // namespace phx::tools::exits
