#include "app/config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace phx::app {
namespace {

namespace fs = std::filesystem;

struct FakeEnv {
  std::map<std::string, std::string, std::less<>> vars;
  EnvLookup lookup() const {
    return [this](std::string_view n) -> std::optional<std::string> {
      auto it = vars.find(n);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    };
  }
};

class ConfigFile {
 public:
  explicit ConfigFile(const std::string& text) {
    path_ = fs::temp_directory_path() / ("phx_config_test_" + std::to_string(::getpid()) + "_" +
                                         std::to_string(counter_++) + ".toml");
    std::ofstream(path_) << text;
  }
  ~ConfigFile() { fs::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

Result<RunArgs, std::string> parse(std::vector<std::string> args, const FakeEnv& env = {}) {
  return parse_run_args(args, env.lookup());
}

TEST(RunConfig, DefaultsWithoutAnySource) {
  auto r = parse({});
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(same_config(r->config, NodeConfig{}));
  EXPECT_FALSE(r->help);
}

TEST(RunConfig, NamesAreDerivedFromTheKey) {
  EXPECT_EQ(flag_name("beacon_node_endpoints"), "--beacon-node-endpoints");
  EXPECT_EQ(env_name("beacon_node_endpoints"), "PHALANX_BEACON_NODE_ENDPOINTS");
}

TEST(RunConfig, UnknownPhalanxVariablesAreNamedWithTheSettingTheyMisspell) {
  const std::vector<std::string> names{"PATH",
                                       "PHALANX_BEACON_NODE_ENDPOINTS",     // a setting
                                       "PHALANX_BEACON_NODE_ENDPOINT",      // one letter short
                                       "PHALANX_SINGER",                    // two letters swapped
                                       "PHALANX_COMPLETELY_DIFFERENT_NAME",  // nothing near
                                       "phalanx_signer",                    // not our prefix (case matters)
                                       "PHALANX_"};
  auto u = unknown_env_names(names);
  ASSERT_EQ(u.size(), 4u);
  EXPECT_EQ(u[0].name, "PHALANX_BEACON_NODE_ENDPOINT");
  EXPECT_EQ(u[0].suggestion, "PHALANX_BEACON_NODE_ENDPOINTS");
  EXPECT_EQ(u[1].name, "PHALANX_SINGER");
  EXPECT_EQ(u[1].suggestion, "PHALANX_SIGNER");
  EXPECT_EQ(u[2].name, "PHALANX_COMPLETELY_DIFFERENT_NAME");
  EXPECT_EQ(u[2].suggestion, "");
  EXPECT_EQ(u[3].name, "PHALANX_");
  // Every setting's own variable is known.
  std::vector<std::string> all;
  for (const auto& opt : config_options()) all.push_back(env_name(opt.key));
  EXPECT_TRUE(unknown_env_names(all).empty());
}

TEST(RunConfig, FlagsSetEveryField) {
  auto r = parse({"--lock-file", "/l.json", "--private-key-file=/k", "--data-dir", "/d", "--beacon-node-endpoints",
                  "http://127.0.0.1:1,http://127.0.0.1:2", "--beacon-node-timeout", "750ms", "--validator-api-address",
                  "127.0.0.1:1", "--p2p-tcp-address", "127.0.0.1:2", "--p2p-peers", "127.0.0.1:3, 127.0.0.1:4",
                  "--monitoring-address", "127.0.0.1:5", "--signer", "embedded", "--keystores-dir", "/ks",
                  "--builder-api", "--graffiti", "hello", "--log-level", "debug", "--duty-report-file", "/r.jsonl",
                  "--test-fault", "bad-partials"});
  ASSERT_TRUE(r) << r.error();
  const auto& c = r->config;
  EXPECT_EQ(c.lock_file, "/l.json");
  EXPECT_EQ(c.private_key_file, "/k");
  EXPECT_EQ(c.data_dir, "/d");
  EXPECT_EQ(c.beacon_node_endpoints, (std::vector<std::string>{"http://127.0.0.1:1", "http://127.0.0.1:2"}));
  EXPECT_EQ(c.beacon_node_timeout, std::chrono::milliseconds(750));
  EXPECT_EQ(c.validator_api_address, "127.0.0.1:1");
  EXPECT_EQ(c.p2p_tcp_address, "127.0.0.1:2");
  EXPECT_EQ(c.p2p_peers, (std::vector<std::string>{"127.0.0.1:3", "127.0.0.1:4"}));
  EXPECT_EQ(c.monitoring_address, "127.0.0.1:5");
  EXPECT_EQ(c.signer, SignerMode::kEmbedded);
  EXPECT_EQ(c.keystores_dir, "/ks");
  EXPECT_TRUE(c.builder_api);
  EXPECT_EQ(c.graffiti, "hello");
  EXPECT_EQ(c.log_level, "debug");
  ASSERT_TRUE(c.duty_report_file);
  EXPECT_EQ(*c.duty_report_file, "/r.jsonl");
  EXPECT_EQ(c.test_fault, TestFault::kBadPartials);
}

TEST(RunConfig, PrecedenceIsFlagThenEnvThenFileThenDefault) {
  ConfigFile file(
      "# comment\n"
      "data_dir = \"/from-file\"\n"
      "log_level = \"warn\"\n"
      "graffiti = \"file\"   # trailing comment\n"
      "builder_api = true\n");
  FakeEnv env;
  env.vars["PHALANX_CONFIG_FILE"] = file.path();
  env.vars["PHALANX_LOG_LEVEL"] = "error";
  env.vars["PHALANX_GRAFFITI"] = "env";
  auto r = parse({"--graffiti", "flag"}, env);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->config.graffiti, "flag");          // flag beats env and file
  EXPECT_EQ(r->config.log_level, "error");        // env beats file
  EXPECT_EQ(r->config.data_dir, "/from-file");    // file beats default
  EXPECT_TRUE(r->config.builder_api);             // bare boolean in the file
  EXPECT_EQ(r->config.lock_file, NodeConfig{}.lock_file);  // default
}

TEST(RunConfig, ConfigFileFlagBeatsConfigFileEnv) {
  ConfigFile a("data_dir = \"/a\"\n");
  ConfigFile b("data_dir = \"/b\"\n");
  FakeEnv env;
  env.vars["PHALANX_CONFIG_FILE"] = a.path();
  auto r = parse({"--config-file", b.path()}, env);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->config.data_dir, "/b");
}

// The config file's cap at its call site: above 1 MiB it is refused naming the file, before any line is parsed.
TEST(RunConfig, AConfigFileAbove1MiBIsRefused) {
  std::string text = "data_dir = \"/a\"\n";
  text.append((1u << 20) + 1 - text.size(), '#');
  ConfigFile big(text);
  auto r = parse({"--config-file", big.path()});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find(big.path()), std::string::npos) << r.error();
  ConfigFile small("data_dir = \"/a\"\n");
  EXPECT_TRUE(parse({"--config-file", small.path()}));
}

TEST(RunConfig, HelpShortCircuits) {
  // --help wins over bad values given with it (values are checked after the flags are collected).
  for (auto args : {std::vector<std::string>{"--signer", "bogus", "--help"}, std::vector<std::string>{"-h"}}) {
    auto h = parse(args);
    ASSERT_TRUE(h) << h.error();
    EXPECT_TRUE(h->help);
  }
}

TEST(RunConfig, HelpListsEveryFlagWithEnvAndDefault) {
  std::string help = run_help();
  for (const auto& opt : config_options()) {
    EXPECT_NE(help.find(flag_name(opt.key)), std::string::npos) << opt.key;
    EXPECT_NE(help.find(env_name(opt.key)), std::string::npos) << opt.key;
  }
  EXPECT_NE(help.find("default \"127.0.0.1:3600\""), std::string::npos);
  EXPECT_NE(help.find("default \"2s\""), std::string::npos);
}

TEST(RunConfig, ToFlagsRoundTrips) {
  NodeConfig c;
  c.beacon_node_endpoints = {"http://127.0.0.1:5052", "http://127.0.0.1:5053"};
  c.beacon_node_timeout = std::chrono::milliseconds(1500);
  c.p2p_peers = {"127.0.0.1:1", "127.0.0.1:2"};
  c.signer = SignerMode::kEmbedded;
  c.builder_api = true;
  c.graffiti = "g r a f";
  c.duty_report_file = "/tmp/x.jsonl";
  c.test_fault = TestFault::kEquivocate;
  c.doppelganger_protection = false;
  auto flags = to_flags(c);
  auto r = parse(flags);
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(same_config(r->config, c));
  auto d = parse(to_flags(NodeConfig{}));
  ASSERT_TRUE(d) << d.error();
  EXPECT_TRUE(same_config(d->config, NodeConfig{}));
}

TEST(RunConfig, DoppelgangerProtectionIsOnUnlessTurnedOff) {
  auto d = parse({});
  ASSERT_TRUE(d) << d.error();
  EXPECT_TRUE(d->config.doppelganger_protection);
  auto off = parse({"--doppelganger-protection=false"});
  ASSERT_TRUE(off) << off.error();
  EXPECT_FALSE(off->config.doppelganger_protection);
  FakeEnv env;
  env.vars["PHALANX_DOPPELGANGER_PROTECTION"] = "no";
  auto e = parse({}, env);
  ASSERT_TRUE(e) << e.error();
  EXPECT_FALSE(e->config.doppelganger_protection);
  auto bare = parse({"--doppelganger-protection"}, env);  // the bare flag means true and beats the environment
  ASSERT_TRUE(bare) << bare.error();
  EXPECT_TRUE(bare->config.doppelganger_protection);
  EXPECT_FALSE(parse({"--doppelganger-protection=maybe"}).has_value());
}

TEST(RunConfig, TestClockOffsetIsSignedAndRoundTrips) {
  for (auto ms : {-2000, -500, 500, 2000}) {
    NodeConfig c;
    c.test_clock_offset = std::chrono::milliseconds(ms);
    auto r = parse(to_flags(c));
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->config.test_clock_offset, std::chrono::milliseconds(ms));
  }
  auto neg = parse({"--test-clock-offset=-1500ms"});
  ASSERT_TRUE(neg) << neg.error();
  EXPECT_EQ(neg->config.test_clock_offset, std::chrono::milliseconds(-1500));
  EXPECT_FALSE(parse({"--test-clock-offset=2m"}));
  EXPECT_FALSE(parse({"--test-clock-offset=--1s"}));
}

TEST(RunConfig, Durations) {
  EXPECT_EQ(parse_duration("500ms").value(), std::chrono::milliseconds(500));
  EXPECT_EQ(parse_duration("2s").value(), std::chrono::milliseconds(2000));
  EXPECT_EQ(parse_duration("1m").value(), std::chrono::milliseconds(60000));
  EXPECT_EQ(parse_duration("1h").value(), std::chrono::milliseconds(3600000));
  for (const char* bad : {"", "2", "s", "2 s", "-1s", "1.5s", "2sec", "99999999999999s"})
    EXPECT_FALSE(parse_duration(bad)) << bad;
  EXPECT_EQ(format_duration(std::chrono::milliseconds(2000)), "2s");
  EXPECT_EQ(format_duration(std::chrono::milliseconds(1500)), "1500ms");
}

void expect_error(std::vector<std::string> args, const std::string& needle, const FakeEnv& env = {}) {
  auto r = parse(std::move(args), env);
  ASSERT_FALSE(r) << "expected an error containing: " << needle;
  EXPECT_NE(r.error().find(needle), std::string::npos) << r.error();
}

TEST(RunConfig, FlagErrors) {
  expect_error({"--nope", "1"}, "unknown flag --nope");
  expect_error({"--lock_file", "x"}, "unknown flag --lock_file");
  expect_error({"positional"}, "unexpected argument \"positional\"");
  expect_error({"--lock-file"}, "--lock-file needs a value");
  expect_error({"--signer", "remote"}, "--signer: unknown signer mode");
  expect_error({"--beacon-node-timeout", "2"}, "--beacon-node-timeout: \"2\" is not a duration");
  expect_error({"--beacon-node-timeout", "0s"}, "must be positive");
  expect_error({"--builder-api=maybe"}, "not a boolean");
  expect_error({"--log-level", "loud"}, "unknown log level");
  expect_error({"--test-fault", "explode"}, "unknown test fault");
  expect_error({"--graffiti", std::string(33, 'x')}, "longer than 32 bytes");
  expect_error({"--beacon-node-endpoints", "http://a,,http://b"}, "empty entry");
  expect_error({"--lock-file", ""}, "must not be empty");
  expect_error({"--data-dir", "a", "--data-dir", "b"}, "given twice");
  expect_error({"--config-file", "/nonexistent/phx.toml"}, "config file /nonexistent/phx.toml");
}

TEST(RunConfig, EnvErrorsNameTheVariable) {
  FakeEnv env;
  env.vars["PHALANX_SIGNER"] = "nobody";
  expect_error({}, "PHALANX_SIGNER: unknown signer mode", env);
  FakeEnv env2;
  env2.vars["PHALANX_BEACON_NODE_TIMEOUT"] = "soon";
  expect_error({}, "PHALANX_BEACON_NODE_TIMEOUT", env2);
}

TEST(RunConfig, FileErrorsNameTheLine) {
  auto check = [](const std::string& text, const std::string& needle) {
    auto r = parse_config_text(text);
    ASSERT_FALSE(r) << text;
    EXPECT_NE(r.error().find(needle), std::string::npos) << r.error();
  };
  check("\n\nbogus = \"1\"\n", "line 3: unknown key \"bogus\"");
  check("data_dir \"x\"\n", "line 1: expected");
  check("data_dir = \"x\n", "unterminated string");
  check("data_dir = \"x\" y\n", "unexpected text after the value");
  check("data_dir = \n", "missing value");
  check("= \"x\"\n", "missing key");
  check("data_dir = \"a\"\ndata_dir = \"b\"\n", "line 2: duplicate key");
  check("config_file = \"x\"\n", "cannot be set inside a config file");
  check("data_dir = a\"b\n", "stray quote");
  // A bad value in the file is reported by parse_run_args with the key.
  ConfigFile f("signer = \"hsm\"\n");
  auto r = parse({"--config-file", f.path()});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("config file key signer"), std::string::npos) << r.error();
  ConfigFile g("nonsense = 1\n");
  auto r2 = parse({"--config-file", g.path()});
  ASSERT_FALSE(r2);
  EXPECT_NE(r2.error().find("unknown key \"nonsense\""), std::string::npos) << r2.error();
}

TEST(RunConfig, FileStringEscapes) {
  auto r = parse_config_text("graffiti = \"a \\\"quoted\\\" \\\\ # not a comment\"\n");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->at("graffiti"), "a \"quoted\" \\ # not a comment");
}

}  // namespace
}  // namespace phx::app
