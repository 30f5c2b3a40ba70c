#pragma once
/// `phalanx run` configuration: every NodeConfig field is settable by a flag (`--kebab-case`), an environment
/// variable (`PHALANX_UPPER_SNAKE`) and a config-file key (`snake_case`). Precedence: flag > environment >
/// config file > default. The config file (`--config-file`, env PHALANX_CONFIG_FILE) is TOML-like: one
/// `key = "value"` per line (bare values allowed for numbers and booleans), `#` comments, blank lines; lists
/// are comma-separated inside one value. Format: docs/formats/config.md. Pure parsing: the only I/O is reading
/// the config file named by the caller's arguments or environment.
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "app/node.hpp"
#include "base/result.hpp"

namespace phx::app {

/// One setting of NodeConfig: its config-file key (snake_case), the value placeholder shown in --help, and
/// the help text. The flag and environment names are derived from the key (flag_name / env_name).
struct ConfigOption {
  std::string_view key;
  std::string_view value_name;  ///< e.g. "PATH", "DURATION"; empty for booleans
  std::string_view help;
};

/// Every NodeConfig setting in --help order.
std::span<const ConfigOption> config_options();

/// "beacon_node_endpoints" → "--beacon-node-endpoints".
std::string flag_name(std::string_view key);
/// "beacon_node_endpoints" → "PHALANX_BEACON_NODE_ENDPOINTS".
std::string env_name(std::string_view key);

/// Looks up an environment variable by name (nullopt when unset). Tests pass a map-backed lookup.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
/// The process environment (getenv).
EnvLookup process_env();

/// An environment variable named PHALANX_… that is no setting of `phalanx run`, with the setting's variable it
/// most likely misspells (edit distance ≤ 3, else empty).
struct UnknownEnv {
  std::string name;
  std::string suggestion;
};
/// The names of `names` (e.g. every variable of the process environment) that start with PHALANX_ but name no
/// setting: a misspelt variable would otherwise be ignored without a word. `phalanx run` warns about each.
std::vector<UnknownEnv> unknown_env_names(std::span<const std::string> names);

/// A parsed `phalanx run` command line.
struct RunArgs {
  NodeConfig config;
  bool help = false;  ///< `--help` / `-h` was given (config is then the defaults; nothing else is checked)
};

/// Builds a NodeConfig from `args` (the arguments after `run`: `--flag value`, `--flag=value`, bare boolean
/// flags), the environment and the config file (`--config-file` or PHALANX_CONFIG_FILE). Precedence: flag >
/// env > file > default. Errors (a message naming the flag, variable or file line at fault): unknown flag,
/// missing value, unknown config-file key, malformed file line, bad value (signer mode, duration, boolean,
/// log level, test fault, graffiti over 32 bytes, empty list entry), unreadable config file.
/// Does not check that files exist or addresses parse: that is app::validate().
Result<RunArgs, std::string> parse_run_args(std::span<const std::string> args, const EnvLookup& env);

/// Parses a config file's text into key → raw value (quotes removed, escapes \" and \\ resolved). Errors name
/// the line: malformed line, unterminated string, duplicate key, unknown key (checked against config_options()
/// and "config_file" is refused inside a file).
Result<std::map<std::string, std::string>, std::string> parse_config_text(std::string_view text);

/// The --help text of `phalanx run`: every flag with its value name, help, environment variable and default.
std::string run_help();

/// The flags that reproduce `config` exactly (every field, in config_options() order) for spawning
/// `phalanx run` child processes: parse_run_args(to_flags(c)) == c.
std::vector<std::string> to_flags(const NodeConfig& config);

/// Parses a duration: a non-negative integer with unit ms, s, m or h ("500ms", "2s", "1m"). Errors: a message
/// quoting the value.
Result<std::chrono::milliseconds, std::string> parse_duration(std::string_view text);
/// "2s" for 2000 ms, "1500ms" otherwise (round-trips through parse_duration).
std::string format_duration(std::chrono::milliseconds d);

/// "vc" / "embedded".
std::string_view to_string(SignerMode m);
/// Inverse of to_string(SignerMode); nullopt for anything else.
std::optional<SignerMode> signer_mode_from_string(std::string_view s);
/// "none" / "bad-partials" / "equivocate".
std::string_view to_string(TestFault f);
/// Inverse of to_string(TestFault); nullopt for anything else.
std::optional<TestFault> test_fault_from_string(std::string_view s);

/// Field-wise equality of two configurations (tests, round-trips).
bool same_config(const NodeConfig& a, const NodeConfig& b);

}  // namespace phx::app
