#pragma once
// One registration function per subcommand file.
#include <CLI/CLI.hpp>

namespace phx::tools {

/// `phalanx create enr` and `phalanx enr`.
void add_enr_commands(CLI::App& root, CLI::App& create);

/// `phalanx create cluster`, `phalanx combine`, `phalanx lock verify` (and the definition commands below).
void add_cluster_commands(CLI::App& root, CLI::App& create);

/// `phalanx create dkg`, `phalanx definition verify` (registered by add_cluster_commands).
void add_definition_commands(CLI::App& root, CLI::App& create);

/// `phalanx dkg`, `phalanx dkg verify` (the ceremony and its offline check).
void add_dkg_command(CLI::App& root);

/// `phalanx reshare add-operators|remove-operators|replace-operator|recreate-private-keys`.
void add_reshare_command(CLI::App& root);

/// `phalanx run` (the node; flags parsed by app/config).
void add_run_command(CLI::App& root);

/// `phalanx vc-sim` (the validator-client simulator).
void add_vc_sim_command(CLI::App& root);

/// `phalanx devnet` (a whole cluster on this machine).
void add_devnet_command(CLI::App& root);

/// `phalanx slashing export|import` (EIP-3076 interchange of the data directory's slashing database).
void add_slashing_commands(CLI::App& root);

/// `phalanx exit sign|list` (voluntary exits through a running node's operator API).
void add_exit_commands(CLI::App& root);

/// `phalanx explain SLOT TYPE` (a duty's explanation from a running node's monitoring address).
void add_explain_command(CLI::App& root);

/// `phalanx test peers|beacon|validator|mev|infra|all` (cmd_test.cpp).
void add_test_commands(CLI::App& root);

}  // namespace phx::tools
