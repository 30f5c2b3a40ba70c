#pragma once
// One registration function per subcommand file.
#include <CLI/CLI.hpp>

namespace phx::tools {

/// `phalanx create enr` and `phalanx enr`.
void add_enr_commands(CLI::App& root, CLI::App& create);

/// `phalanx create cluster`, `phalanx combine`, `phalanx lock verify`.
void add_cluster_commands(CLI::App& root, CLI::App& create);

}  // namespace phx::tools
