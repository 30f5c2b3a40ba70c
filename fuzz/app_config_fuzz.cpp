// Fuzz target: `phalanx run` configuration from untrusted text. The input is parsed as a config file
// (parse_config_text) and, split at NUL/newline bytes, as a command line with a fuzz-controlled environment
// (parse_run_args). Any input must give a configuration or an error message, never a crash; an accepted
// configuration must survive the to_flags round trip unchanged.
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "app/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace phx::app;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)parse_config_text(text);
  // First half: arguments; second half: NAME=value environment lines.
  std::vector<std::string> args;
  std::map<std::string, std::string, std::less<>> env;
  std::string cur;
  bool in_env = false;
  for (char ch : text) {
    if (ch == '\0' || ch == '\n') {
      if (cur == "--env") {
        in_env = true;
      } else if (in_env) {
        auto eq = cur.find('=');
        if (eq != std::string::npos && cur.rfind("PHALANX_CONFIG_FILE", 0) != 0)
          env[cur.substr(0, eq)] = cur.substr(eq + 1);
      } else if (cur.rfind("--config-file", 0) != 0) {  // no file system access from fuzz input
        args.push_back(cur);
      }
      cur.clear();
    } else {
      cur.push_back(ch);
    }
  }
  if (!in_env && !cur.empty() && cur.rfind("--config-file", 0) != 0) args.push_back(cur);
  EnvLookup lookup = [&env](std::string_view n) -> std::optional<std::string> {
    auto it = env.find(n);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  auto r = parse_run_args(args, lookup);
  if (r && !r->help) {
    auto flags = to_flags(r->config);
    auto again = parse_run_args(flags, [](std::string_view) -> std::optional<std::string> { return std::nullopt; });
    if (!again || !same_config(again->config, r->config)) std::abort();
  }
  return 0;
}
