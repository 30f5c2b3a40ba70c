#include "app/config.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "app/fs.hpp"

namespace phx::app {
namespace {

constexpr std::array<ConfigOption, 20> kOptions = {{
    {"config_file", "PATH", "Config file of `key = \"value\"` lines (keys are the snake_case flag names)"},
    {"lock_file", "PATH", "Cluster lock file (Charon format)"},
    {"private_key_file", "PATH", "This operator's secp256k1 identity key (hex)"},
    {"data_dir", "PATH", "Folder for the slashing database and other state (created 0700)"},
    {"beacon_node_endpoints", "URL,...", "Beacon nodes, http://host:port, comma-separated, in preference order (several: duty data asked of all in-sync BNs at once and the best answer used, submissions sent to all; docs/architecture.md)"},
    {"beacon_node_timeout", "DURATION", "Timeout of one beacon-node call (e.g. 500ms, 2s)"},
    {"validator_api_address", "HOST:PORT", "Listen address of the validator API (the VC connects here)"},
    {"p2p_tcp_address", "HOST:PORT", "Listen address of the p2p transport"},
    {"p2p_peers", "HOST:PORT,...",
     "Peers' p2p addresses in operator order (own entry ignored); empty: the addresses in the lock's ENRs"},
    {"monitoring_address", "HOST:PORT",
     "Listen address of /metrics, /livez, /readyz and, when loopback, the operator API (phalanx exit)"},
    {"signer", "vc|embedded", "Who signs: an external validator client (vc) or the node itself (embedded)"},
    {"keystores_dir", "PATH", "Embedded signer: folder of keystore-*.json with keystore-*.txt passwords"},
    {"builder_api", "", "Use the builder API (blinded blocks, builder registrations)"},
    {"doppelganger_protection", "",
     "Watch the chain for 2 epochs after start and sign nothing for a validator seen live without this cluster "
     "(default true; =false to start signing at once)"},
    {"graffiti", "TEXT", "Block graffiti of the embedded signer (at most 32 bytes)"},
    {"log_level", "LEVEL", "Log level: trace, debug, info, warn, error"},
    {"duty_report_file", "PATH", "Append one JSON line per finished duty here (used by phalanx devnet)"},
    {"test_link_delay", "DURATION", "TEST ONLY: delay every p2p message this node sends by this much (devnet --link-delay; 0 = none)"},
    {"test_clock_offset", "DURATION", "TEST ONLY: shift this node's wall clock by this much, e.g. 500ms or -2s (devnet --chaos clock faults; 0 = none)"},
    {"test_fault", "none|bad-partials|equivocate|byzantine|lying-bn|unknown-head", "TEST ONLY: make this node misbehave (devnet fault injection; byzantine = both; lying-bn = its attestation data names another target; unknown-head = another head block root)"},
}};

using Values = std::map<std::string, std::string>;

bool known_key(std::string_view key) {
  return std::any_of(kOptions.begin(), kOptions.end(), [&](const ConfigOption& o) { return o.key == key; });
}

std::string trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

Result<std::vector<std::string>, std::string> parse_list(std::string_view what, const std::string& v) {
  std::vector<std::string> out;
  if (trim(v).empty()) return out;
  std::size_t start = 0;
  while (true) {
    auto end = v.find(',', start);
    std::string item = trim(std::string_view(v).substr(start, end == std::string::npos ? end : end - start));
    if (item.empty()) return std::unexpected(std::string(what) + ": empty entry in list \"" + v + "\"");
    out.push_back(std::move(item));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

Result<bool, std::string> parse_bool(std::string_view what, std::string_view v) {
  if (v == "true" || v == "1" || v == "yes") return true;
  if (v == "false" || v == "0" || v == "no") return false;
  return std::unexpected(std::string(what) + ": \"" + std::string(v) + "\" is not a boolean (true/false)");
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

/// Applies one raw value to the config; `what` names its source for errors ("--signer", "PHALANX_SIGNER",
/// "config file line 3").
Result<void, std::string> apply(NodeConfig& c, std::string_view key, const std::string& v, const std::string& what) {
  auto bad = [&](std::string_view why) {
    return std::unexpected(what + ": " + std::string(why) + " (got \"" + v + "\")");
  };
  if (key == "lock_file") {
    if (v.empty()) return bad("must not be empty");
    c.lock_file = v;
  } else if (key == "private_key_file") {
    if (v.empty()) return bad("must not be empty");
    c.private_key_file = v;
  } else if (key == "data_dir") {
    if (v.empty()) return bad("must not be empty");
    c.data_dir = v;
  } else if (key == "beacon_node_endpoints") {
    auto l = parse_list(what, v);
    if (!l) return std::unexpected(l.error());
    c.beacon_node_endpoints = std::move(*l);
  } else if (key == "beacon_node_timeout") {
    auto d = parse_duration(v);
    if (!d) return std::unexpected(what + ": " + d.error());
    if (d->count() == 0) return bad("must be positive");
    c.beacon_node_timeout = *d;
  } else if (key == "validator_api_address") {
    c.validator_api_address = v;
  } else if (key == "p2p_tcp_address") {
    c.p2p_tcp_address = v;
  } else if (key == "p2p_peers") {
    auto l = parse_list(what, v);
    if (!l) return std::unexpected(l.error());
    c.p2p_peers = std::move(*l);
  } else if (key == "monitoring_address") {
    c.monitoring_address = v;
  } else if (key == "signer") {
    auto m = signer_mode_from_string(v);
    if (!m) return bad("unknown signer mode, expected vc or embedded");
    c.signer = *m;
  } else if (key == "keystores_dir") {
    if (v.empty()) return bad("must not be empty");
    c.keystores_dir = v;
  } else if (key == "builder_api") {
    auto b = parse_bool(what, v);
    if (!b) return std::unexpected(b.error());
    c.builder_api = *b;
  } else if (key == "doppelganger_protection") {
    auto b = parse_bool(what, v);
    if (!b) return std::unexpected(b.error());
    c.doppelganger_protection = *b;
  } else if (key == "graffiti") {
    if (v.size() > 32) return bad("graffiti is longer than 32 bytes");
    c.graffiti = v;
  } else if (key == "log_level") {
    static const std::set<std::string_view> kLevels = {"trace", "debug", "info", "warn", "error"};
    if (!kLevels.contains(v)) return bad("unknown log level, expected trace, debug, info, warn or error");
    c.log_level = v;
  } else if (key == "duty_report_file") {
    if (v.empty())
      c.duty_report_file.reset();
    else
      c.duty_report_file = v;
  } else if (key == "test_link_delay") {
    auto d = parse_duration(v);
    if (!d) return std::unexpected(what + ": " + d.error());
    if (*d > std::chrono::seconds(10)) return bad("must be at most 10s");
    c.test_link_delay = *d;
  } else if (key == "test_clock_offset") {
    const bool negative = !v.empty() && v[0] == '-';
    auto d = parse_duration(negative ? std::string_view(v).substr(1) : std::string_view(v));
    if (!d) return std::unexpected(what + ": " + d.error());
    if (*d > std::chrono::minutes(1)) return bad("must be between -1m and 1m");
    c.test_clock_offset = negative ? -*d : *d;
  } else if (key == "test_fault") {
    auto f = test_fault_from_string(v);
    if (!f) return bad("unknown test fault, expected none, bad-partials, equivocate, byzantine, lying-bn or unknown-head");
    c.test_fault = *f;
  } else {
    return std::unexpected(what + ": unknown setting");
  }
  return {};
}

std::string default_text(std::string_view key) {
  NodeConfig d;
  if (key == "config_file") return "";
  auto flags = to_flags(d);
  std::string flag = flag_name(key);
  for (std::size_t i = 0; i < flags.size(); ++i) {
    if (flags[i] == flag && i + 1 < flags.size()) return flags[i + 1];
    if (flags[i].rfind(flag + "=", 0) == 0) return flags[i].substr(flag.size() + 1);
  }
  return "";
}

}  // namespace

std::span<const ConfigOption> config_options() { return kOptions; }

std::string flag_name(std::string_view key) {
  std::string s = "--";
  for (char ch : key) s += ch == '_' ? '-' : ch;
  return s;
}

std::string env_name(std::string_view key) {
  std::string s = "PHALANX_";
  for (char ch : key) s += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return s;
}

namespace {

/// Levenshtein distance of two short ASCII names.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

std::vector<UnknownEnv> unknown_env_names(std::span<const std::string> names) {
  constexpr std::string_view kPrefix = "PHALANX_";
  std::vector<UnknownEnv> out;
  for (const auto& name : names) {
    if (name.rfind(kPrefix, 0) != 0) continue;
    bool known = false;
    std::string best;
    std::size_t best_distance = 4;  // suggest only within 3 edits
    for (const auto& opt : kOptions) {
      const std::string env = env_name(opt.key);
      if (env == name) {
        known = true;
        break;
      }
      if (const std::size_t d = edit_distance(name, env); d < best_distance) {
        best_distance = d;
        best = env;
      }
    }
    if (!known) out.push_back(UnknownEnv{name, best});
  }
  return out;
}

EnvLookup process_env() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

std::string_view to_string(SignerMode m) { return m == SignerMode::kEmbedded ? "embedded" : "vc"; }

std::optional<SignerMode> signer_mode_from_string(std::string_view s) {
  if (s == "vc") return SignerMode::kVc;
  if (s == "embedded") return SignerMode::kEmbedded;
  return std::nullopt;
}

std::string_view to_string(TestFault f) {
  switch (f) {
    case TestFault::kBadPartials:
      return "bad-partials";
    case TestFault::kEquivocate:
      return "equivocate";
    case TestFault::kByzantine:
      return "byzantine";
    case TestFault::kLyingBn:
      return "lying-bn";
    case TestFault::kUnknownHead:
      return "unknown-head";
    case TestFault::kNone:
      break;
  }
  return "none";
}

std::optional<TestFault> test_fault_from_string(std::string_view s) {
  if (s == "none") return TestFault::kNone;
  if (s == "bad-partials") return TestFault::kBadPartials;
  if (s == "equivocate") return TestFault::kEquivocate;
  if (s == "byzantine") return TestFault::kByzantine;
  if (s == "lying-bn") return TestFault::kLyingBn;
  if (s == "unknown-head") return TestFault::kUnknownHead;
  return std::nullopt;
}

Result<std::chrono::milliseconds, std::string> parse_duration(std::string_view text) {
  auto bad = [&] {
    return std::unexpected("\"" + std::string(text) + "\" is not a duration (use e.g. 500ms, 2s, 1m, 1h)");
  };
  std::size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  if (i == 0 || i > 12) return bad();
  std::uint64_t n = 0;
  auto r = std::from_chars(text.data(), text.data() + i, n);
  if (r.ec != std::errc{}) return bad();
  std::string_view unit = text.substr(i);
  std::uint64_t scale = 0;
  if (unit == "ms")
    scale = 1;
  else if (unit == "s")
    scale = 1000;
  else if (unit == "m")
    scale = 60'000;
  else if (unit == "h")
    scale = 3'600'000;
  else
    return bad();
  return std::chrono::milliseconds(static_cast<std::int64_t>(n * scale));
}

std::string format_duration(std::chrono::milliseconds d) {
  auto ms = d.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

Result<std::map<std::string, std::string>, std::string> parse_config_text(std::string_view text) {
  Values out;
  std::size_t line_no = 0, pos = 0;
  while (pos <= text.size()) {
    auto end = text.find('\n', pos);
    std::string_view raw = text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    pos = end == std::string_view::npos ? text.size() + 1 : end + 1;
    ++line_no;
    std::string where = "config file line " + std::to_string(line_no);
    std::string line = trim(raw);
    if (line.empty() || line[0] == '#') continue;
    auto eq = line.find('=');
    if (eq == std::string::npos) return std::unexpected(where + ": expected `key = \"value\"`");
    std::string key = trim(std::string_view(line).substr(0, eq));
    std::string rest = trim(std::string_view(line).substr(eq + 1));
    if (key.empty()) return std::unexpected(where + ": missing key");
    if (key == "config_file") return std::unexpected(where + ": config_file cannot be set inside a config file");
    if (!known_key(key)) return std::unexpected(where + ": unknown key \"" + key + "\"");
    if (out.contains(key)) return std::unexpected(where + ": duplicate key \"" + key + "\"");
    std::string value;
    if (!rest.empty() && rest[0] == '"') {
      std::size_t i = 1;
      bool closed = false;
      for (; i < rest.size(); ++i) {
        char ch = rest[i];
        if (ch == '\\' && i + 1 < rest.size() && (rest[i + 1] == '"' || rest[i + 1] == '\\')) {
          value += rest[++i];
        } else if (ch == '"') {
          closed = true;
          break;
        } else {
          value += ch;
        }
      }
      if (!closed) return std::unexpected(where + ": unterminated string");
      std::string tail = trim(std::string_view(rest).substr(i + 1));
      if (!tail.empty() && tail[0] != '#') return std::unexpected(where + ": unexpected text after the value");
    } else {
      auto hash = rest.find('#');
      value = trim(std::string_view(rest).substr(0, hash));
      if (value.empty()) return std::unexpected(where + ": missing value");
      if (value.find('"') != std::string::npos) return std::unexpected(where + ": stray quote in value");
    }
    out.emplace(std::move(key), std::move(value));
  }
  return out;
}

Result<RunArgs, std::string> parse_run_args(std::span<const std::string> args, const EnvLookup& env) {
  RunArgs out;
  // 1. Flags into key → (value, flag text).
  std::map<std::string, std::pair<std::string, std::string>> flags;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      out.help = true;
      return out;
    }
    if (a.rfind("--", 0) != 0 || a.size() == 2)
      return std::unexpected("unexpected argument \"" + a + "\" (flags start with --; see --help)");
    std::string name = a.substr(2), value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    std::string key;
    for (char ch : name) key += ch == '-' ? '_' : ch;
    if (!known_key(key) || name.find('_') != std::string::npos)
      return std::unexpected("unknown flag --" + name + " (see --help)");
    if (!has_value) {
      if (key == "builder_api" || key == "doppelganger_protection") {
        value = "true";
      } else {
        if (i + 1 >= args.size()) return std::unexpected("--" + name + " needs a value");
        value = args[++i];
      }
    }
    if (flags.contains(key)) return std::unexpected("--" + name + " given twice");
    flags[key] = {value, "--" + name};
  }
  // 2. Config file: flag, then environment.
  std::optional<std::string> file;
  if (auto it = flags.find("config_file"); it != flags.end())
    file = it->second.first;
  else if (auto e = env(env_name("config_file")))
    file = *e;
  Values file_values;
  if (file) {
    if (file->empty()) return std::unexpected("--config-file: empty path");
    auto bytes = read_file(*file, 1u << 20);
    if (!bytes) return std::unexpected("config file " + *file + ": " + bytes.error().message());
    auto parsed = parse_config_text(std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()));
    if (!parsed) return std::unexpected(*file + ": " + parsed.error());
    file_values = std::move(*parsed);
  }
  // 3. Each setting from the highest-precedence source that has it.
  for (const auto& opt : kOptions) {
    if (opt.key == "config_file") continue;
    std::string key(opt.key);
    Result<void, std::string> r;
    if (auto it = flags.find(key); it != flags.end()) {
      r = apply(out.config, key, it->second.first, it->second.second);
    } else if (auto e = env(env_name(key))) {
      r = apply(out.config, key, *e, env_name(key));
    } else if (auto f = file_values.find(key); f != file_values.end()) {
      r = apply(out.config, key, f->second, "config file key " + key);
    }
    if (!r) return std::unexpected(r.error());
  }
  return out;
}

std::string run_help() {
  std::ostringstream o;
  o << "Usage: phalanx run [flags]\n"
       "Runs one distributed-validator node (one operator of a cluster).\n"
       "Every flag can also be given as an environment variable or a config-file key;\n"
       "precedence: flag > environment > config file > default.\n\nFlags:\n";
  for (const auto& opt : kOptions) {
    o << "  " << flag_name(opt.key);
    if (!opt.value_name.empty()) o << ' ' << opt.value_name;
    o << "\n      " << opt.help << "\n      env " << env_name(opt.key);
    std::string def = default_text(opt.key);
    if (opt.key != "config_file") o << ", file key " << opt.key;
    if (def.empty())
      o << ", default (none)\n";
    else
      o << ", default \"" << def << "\"\n";
  }
  o << "  --help, -h\n      Show this help\n";
  return o.str();
}

std::vector<std::string> to_flags(const NodeConfig& c) {
  std::vector<std::string> f;
  auto add = [&](std::string_view key, std::string value) {
    f.push_back(flag_name(key));
    f.push_back(std::move(value));
  };
  add("lock_file", c.lock_file.string());
  add("private_key_file", c.private_key_file.string());
  add("data_dir", c.data_dir.string());
  add("beacon_node_endpoints", join(c.beacon_node_endpoints));
  add("beacon_node_timeout", format_duration(c.beacon_node_timeout));
  add("validator_api_address", c.validator_api_address);
  add("p2p_tcp_address", c.p2p_tcp_address);
  add("p2p_peers", join(c.p2p_peers));
  add("monitoring_address", c.monitoring_address);
  add("signer", std::string(to_string(c.signer)));
  add("keystores_dir", c.keystores_dir.string());
  f.push_back(flag_name("builder_api") + (c.builder_api ? "=true" : "=false"));
  f.push_back(flag_name("doppelganger_protection") + (c.doppelganger_protection ? "=true" : "=false"));
  add("graffiti", c.graffiti);
  add("log_level", c.log_level);
  add("duty_report_file", c.duty_report_file ? c.duty_report_file->string() : std::string());
  add("test_fault", std::string(to_string(c.test_fault)));
  if (c.test_link_delay.count() > 0) add("test_link_delay", format_duration(c.test_link_delay));
  if (c.test_clock_offset.count() != 0)  // "--flag=-2s": a negative value must not read as a flag
    f.push_back(flag_name("test_clock_offset") + "=" + (c.test_clock_offset.count() < 0 ? "-" : "") +
                format_duration(c.test_clock_offset.count() < 0 ? -c.test_clock_offset : c.test_clock_offset));
  return f;
}

bool same_config(const NodeConfig& a, const NodeConfig& b) {
  return a.lock_file == b.lock_file && a.private_key_file == b.private_key_file && a.data_dir == b.data_dir &&
         a.beacon_node_endpoints == b.beacon_node_endpoints && a.beacon_node_timeout == b.beacon_node_timeout &&
         a.validator_api_address == b.validator_api_address && a.p2p_tcp_address == b.p2p_tcp_address &&
         a.p2p_peers == b.p2p_peers && a.monitoring_address == b.monitoring_address && a.signer == b.signer &&
         a.keystores_dir == b.keystores_dir && a.builder_api == b.builder_api && a.graffiti == b.graffiti &&
         a.doppelganger_protection == b.doppelganger_protection &&
         a.log_level == b.log_level && a.duty_report_file == b.duty_report_file && a.test_fault == b.test_fault &&
         a.test_link_delay == b.test_link_delay && a.test_clock_offset == b.test_clock_offset;
}

}  // namespace phx::app
