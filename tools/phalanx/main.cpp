// phalanx: the distributed validator node's command-line entry point.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Phalanx: a distributed validator node for Ethereum"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "phalanx 0.1.0");
  auto* create = app.add_subcommand("create", "Create cluster artifacts (ENR keys, clusters)");
  create->require_subcommand(1);
  phx::tools::add_enr_commands(app, *create);
  phx::tools::add_cluster_commands(app, *create);
  phx::tools::add_dkg_command(app);
  phx::tools::add_reshare_command(app);
  phx::tools::add_run_command(app);
  phx::tools::add_vc_sim_command(app);
  phx::tools::add_devnet_command(app);
  phx::tools::add_slashing_commands(app);
  phx::tools::add_exit_commands(app);
  phx::tools::add_explain_command(app);
  phx::tools::add_test_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Help and version print and exit 0; every usage error (unknown or missing flag, bad value) exits 2.
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  return 0;
}
