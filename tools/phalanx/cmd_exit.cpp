// `phalanx exit sign|list`: voluntary exits through a running node's operator API (POST/GET /phalanx/v1/exits
// on its monitoring address); the node signs its partial exit and the cluster recombines it, no key is
// recombined.
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/config.hpp"
#include "beaconapi/http/client.hpp"
#include "commands.hpp"
#include "node_http.hpp"
#include "ssz/json.hpp"

namespace phx::tools {
namespace {

namespace http = beaconapi::http;
using ssz::Json;

/// Exit codes: 0 done, 1 the node refused or is unreachable (or some validator failed), 2 bad flag value.
constexpr int kFailed = 1;
constexpr int kBadFlag = 2;

struct ExitOptions {
  std::vector<std::string> pubkeys;                // --validator-public-keys (Charon: --validator-public-key)
  bool all = false;                                // --all
  std::optional<std::uint64_t> exit_epoch;         // --exit-epoch
  std::string node_api = "http://127.0.0.1:3620";  // `phalanx run --monitoring-address` default
  std::string timeout = "10s";
  bool json = false;  // list: raw JSON
};

template <class... Args>
int error(int code, fmt::format_string<Args...> f, Args&&... args) {
  fmt::print(stderr, "error: {}\n", fmt::format(f, std::forward<Args>(args)...));
  return code;
}

/// One request to the node's operator API; the decoded JSON answer or an exit code after the message.
std::expected<Json, int> call(const ExitOptions& o, http::Method method, std::string body) {
  auto ep = http::Endpoint::parse(o.node_api);
  if (!ep) return std::unexpected(error(kBadFlag, "--node-api {}: expected http://host:port", o.node_api));
  auto timeout = app::parse_duration(o.timeout);
  if (!timeout || timeout->count() == 0)
    return std::unexpected(error(kBadFlag, "--timeout: {}", timeout ? "must be positive" : timeout.error()));
  http::ClientRequest req;
  req.method = method;
  req.target = "/phalanx/v1/exits";
  req.body = std::move(body);
  auto got = blocking_request(*ep, req, *timeout);
  if (!got) {
    const auto& ec = got.error();
    if (ec == make_error_code(http::HttpError::kConnect))
      return std::unexpected(
          error(kFailed,
                "cannot reach the node at {} ({}): is `phalanx run` running there? The operator "
                "API is on its --monitoring-address (default 127.0.0.1:3620); pass --node-api",
                o.node_api, ec.message()));
    return std::unexpected(error(kFailed, "node at {}: {}", o.node_api, ec.message()));
  }
  const auto& resp = *got;
  auto j = ssz::parse_json(resp.body);
  std::string message = j && j->is_object() && j->contains("message") && (*j)["message"].is_string()
                            ? (*j)["message"].get<std::string>()
                            : resp.body.substr(0, 200);
  if (resp.status == 404 || resp.status == 405)
    return std::unexpected(
        error(kFailed,
              "{} does not serve /phalanx/v1/exits (HTTP {}): not a Phalanx node's monitoring "
              "address, or a Phalanx without the operator API",
              o.node_api, resp.status));
  if (resp.status < 200 || resp.status >= 300)
    return std::unexpected(error(kFailed, "the node refused (HTTP {}): {}", resp.status, message));
  if (!j || !j->is_object()) return std::unexpected(error(kFailed, "the node's answer is not a JSON object"));
  return std::move(*j);
}

int sign_cmd(const ExitOptions& o) {
  if (o.all == !o.pubkeys.empty())
    return error(kBadFlag, "give either --validator-public-keys 0x…,0x… or --all (one of them)");
  Json body = Json::object();
  if (o.all) {
    body["all"] = true;
  } else {
    Json arr = Json::array();
    for (const auto& pk : o.pubkeys) {
      if (pk.size() != 98 || pk.rfind("0x", 0) != 0)
        return error(kBadFlag, "--validator-public-keys: \"{}\" is not a 0x-prefixed 48-byte public key", pk);
      arr.push_back(pk);
    }
    body["pubkeys"] = std::move(arr);
  }
  if (o.exit_epoch) body["epoch"] = std::to_string(*o.exit_epoch);
  auto j = call(o, http::Method::kPost, body.dump());
  if (!j) return j.error();
  int failed = 0;
  const std::string epoch = j->value("epoch", std::string("?"));
  if (j->contains("data") && (*j)["data"].is_array()) {
    for (const auto& d : (*j)["data"]) {
      const std::string pk = d.value("pubkey", std::string("?"));
      if (d.value("ok", false)) {
        fmt::print("{}  exit epoch {}: partial exit signed and sent to the peers\n", pk, epoch);
      } else {
        ++failed;
        fmt::print("{}  exit epoch {}: FAILED: {}\n", pk, epoch, d.value("error", std::string("?")));
      }
    }
  }
  if (j->contains("warning")) fmt::print(stderr, "warning: {}\n", (*j)["warning"].dump());
  if (failed == 0)
    fmt::print(
        "the exit is submitted once a threshold of operators signed the same epoch ({}); follow it with "
        "`phalanx exit list`\n",
        epoch);
  return failed == 0 ? 0 : kFailed;
}

int list_cmd(const ExitOptions& o) {
  auto j = call(o, http::Method::kGet, "");
  if (!j) return j.error();
  if (o.json) {
    fmt::print("{}\n", j->dump(2));
    return 0;
  }
  fmt::print("current epoch {}, threshold {}, this node is share {}\n",
             j->value("current_epoch", std::string("?")), j->value("threshold", 0), j->value("share_idx", 0));
  if (!j->contains("data") || !(*j)["data"].is_array() || (*j)["data"].empty()) {
    fmt::print("no exits known to this node\n");
    return 0;
  }
  fmt::print("{:<98}  {:>6}  {:<9}  {:<12}  {}\n", "VALIDATOR", "EPOCH", "REQUESTED", "PARTIALS", "STATUS");
  for (const auto& d : (*j)["data"]) {
    std::string parts;
    if (d.contains("partials") && d["partials"].is_array())
      for (const auto& p : d["partials"]) parts += (parts.empty() ? "" : ",") + p.dump();
    std::string status = d.value("status", std::string("?"));
    if (d.contains("error")) status += ": " + d.value("error", std::string());
    fmt::print("{:<98}  {:>6}  {:<9}  {:<12}  {}\n", d.value("pubkey", std::string("?")),
               d.value("epoch", std::string("?")), d.value("requested", false) ? "yes" : "no",
               parts.empty() ? "-" : parts, status);
  }
  return 0;
}

void add_node_api(CLI::App* c, ExitOptions* o) {
  c->add_option(
       "--node-api", o->node_api,
       "The node's operator API: http://host:port of `phalanx run --monitoring-address` (loopback only)")
      ->capture_default_str();
  c->add_option("--timeout", o->timeout, "Timeout of the call to the node")->capture_default_str();
}

}  // namespace

void add_exit_commands(CLI::App& root) {
  auto* e =
      root.add_subcommand("exit", "Exit distributed validators: sign this node's partial exits, list exits");
  e->require_subcommand(1);
  auto o = std::make_shared<ExitOptions>();
  auto* s = e->add_subcommand(
      "sign",
      "Have the running node sign and send its partial voluntary exit; the exit is submitted "
      "once a threshold of operators did the same for the same epoch");
  s->add_option("--validator-public-keys,--validator-public-key", o->pubkeys,
                "Public keys of the validators to exit (comma-separated), from the cluster lock")
      ->delimiter(',');
  s->add_flag("--all", o->all, "Exit every validator of the cluster");
  s->add_option("--exit-epoch", o->exit_epoch,
                "Epoch of the exit; every operator must use the same (default: the node's current epoch)");
  add_node_api(s, o.get());
  s->callback([o] { std::exit(sign_cmd(*o)); });
  auto* l =
      e->add_subcommand("list", "Show the exits the node knows: requested here, partials seen, submitted");
  l->add_flag("--json", o->json, "Print the node's JSON answer");
  add_node_api(l, o.get());
  l->callback([o] { std::exit(list_cmd(*o)); });
}

}  // namespace phx::tools
