// `phalanx run`: one distributed-validator node. Flags, environment and config file are parsed by
// app/config (precedence flag > env > file > default); the node itself is app::run_node.
#include <cstdio>
#include <cstdlib>
#include <unistd.h>
#include <string>
#include <vector>

#include "app/config.hpp"
#include "app/node.hpp"
#include "base/log.hpp"
#include "commands.hpp"

namespace phx::tools {
namespace {

/// Exit codes: 0 clean stop, 2 bad configuration, otherwise run_node's.
int run_cmd(const std::vector<std::string>& args) {
  auto parsed = app::parse_run_args(args, app::process_env());
  if (!parsed) {
    std::fprintf(stderr, "error: %s\n", parsed.error().c_str());
    return 2;
  }
  if (parsed->help) {
    std::fputs(app::run_help().c_str(), stdout);
    return 0;
  }
  const app::NodeConfig& config = parsed->config;
  log::set_level(config.log_level);
  std::vector<std::string> env_names;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry(*e);
    env_names.push_back(entry.substr(0, entry.find('=')));
  }
  for (const auto& u : app::unknown_env_names(env_names))
    log::warn("environment variable {} is not a setting of phalanx run and is ignored{}", u.name,
              u.suggestion.empty() ? std::string(" (`phalanx run --help` lists them)") : " (did you mean " + u.suggestion + "?)");
  if (auto ok = app::validate(config); !ok) {
    std::fprintf(stderr, "error: %s\n", ok.error().c_str());
    return 2;
  }
  return app::run_node(config);
}

}  // namespace

void add_run_command(CLI::App& root) {
  auto* run = root.add_subcommand("run", "Run a distributed-validator node (`phalanx run --help` lists every flag)");
  // app/config parses the arguments itself (flags, env, config file share one table), so CLI11 passes them on.
  run->set_help_flag();
  run->prefix_command();
  run->allow_extras();
  run->callback([run] { std::exit(run_cmd(run->remaining())); });
}

}  // namespace phx::tools
