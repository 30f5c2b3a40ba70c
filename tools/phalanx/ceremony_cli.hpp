#pragma once
// What `phalanx dkg` and `phalanx reshare` share: the network and timing flags and the run with its report.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "cluster/dkg_inputs.hpp"
#include "dkg/runner/runner.hpp"

namespace phx::tools {

/// The flags of a ceremony run (both commands).
struct CeremonyOptions {
  std::string data_dir = ".charon";
  std::string p2p_peers;
  std::string p2p_listen;
  bool insecure_keys = false;
  std::string keystore_kdf = "pbkdf2";  ///< --keystore-kdf: pbkdf2 or scrypt (ignored with --insecure-keys)
  double connect_timeout_s = 1800;
  double round_timeout_s = 120;
  double linger_s = 3;
};

/// "enr:a, enr:b,,enr:c" → {"enr:a", "enr:b", "enr:c"} (blanks trimmed, empty items dropped).
std::vector<std::string> split_enr_list(const std::string& s);

/// Registers --data-dir (described by `data_dir_help`), --p2p-peers, --p2p-listen, --insecure-keys,
/// --keystore-kdf and the timeouts on `c`.
void add_ceremony_options(CLI::App* c, CeremonyOptions& o, const std::string& data_dir_help);

/// Fills cfg's ENR key (from <data dir>/charon-enr-private-key), peers (--p2p-peers, else each participant's ENR
/// ip/tcp; participants = the operators, then a reshare's leaving dealers), listen address, keystore mode and timeouts from `o`, runs the ceremony and prints its report
/// (`what`: "DKG" or "Reshare"). Returns the exit code: 0 done, 1 local error, 2 ceremony failure.
int run_ceremony(dkg::runner::RunnerConfig cfg, const cluster::DkgInputs& in, const CeremonyOptions& o,
                 const char* what);

}  // namespace phx::tools
