// `phalanx explain SLOT TYPE`: why a duty succeeded or failed, from a running node's explain API
// (GET /api/v1/duties/{slot}/{type}/explain on its monitoring address), printed for a person or as JSON.
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "app/config.hpp"
#include "beaconapi/http/client.hpp"
#include "commands.hpp"
#include "node_http.hpp"
#include "core/explain_log.hpp"
#include "ssz/json.hpp"

namespace phx::tools {
namespace {

namespace http = beaconapi::http;
using ssz::Json;

/// Exit codes: 0 explained (whatever the duty's outcome), 1 the node is unreachable or does not hold the
/// duty, 2 bad arguments.
constexpr int kNodeError = 1;
constexpr int kUsage = 2;

struct ExplainOptions {
  std::string slot;
  std::string type;
  std::string validator;                            // --validator (index or 0x pubkey)
  std::optional<std::uint64_t> subcommittee;        // --subcommittee (sync contributions)
  std::string address = "127.0.0.1:3620";           // --monitoring-address of `phalanx run`
  std::string timeout = "10s";
  bool json = false;                                // --output-json
};

std::string str(const Json& j, const char* key, const char* fallback = "-") {
  if (!j.is_object() || !j.contains(key)) return fallback;
  const Json& v = j[key];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return fallback;
  return v.dump();
}

/// The explanation for a person: headline, reason, verdict, next action, timeline, operators, consensus.
void print_human(const Json& j) {
  const std::string outcome = str(j, "outcome");
  fmt::print("{}: {}", str(j["duty"], "id"), outcome == "success" ? "SUCCESS" : outcome == "expected"
                                                                          ? "FAILED (expected)"
                                                                          : "FAILED");
  if (j.contains("failed_step") && j["failed_step"].is_string()) fmt::print(" at {}", str(j, "failed_step"));
  fmt::print("  [{}]\n", str(j, "source"));
  fmt::print("reason:   {} — {}\n", str(j["reason"], "code"), str(j["reason"], "text"));
  if (j["reason"].contains("detail")) fmt::print("detail:   {}\n", str(j["reason"], "detail"));
  std::string named;
  for (const auto& o : j["operators_named"]) named += (named.empty() ? "" : ", ") + o.dump();
  fmt::print("verdict:  {}{}\n", str(j, "verdict"), named.empty() ? "" : " (operators " + named + ")");
  fmt::print("next:     {}\n", str(j, "next_action"));
  fmt::print("\ntimeline (seconds from the slot start)\n");
  for (const auto& e : j["timeline"]) {
    std::string extra;
    if (e.contains("operator")) extra += fmt::format("operator {} (share {})", e["operator"].dump(), e["share"].dump());
    if (e.contains("delay_ms")) extra += fmt::format(", {} ms after the first partial", e["delay_ms"].dump());
    if (e.contains("late")) extra += ", late";
    if (e.contains("round")) extra += fmt::format("round {} ", e["round"].dump());
    if (e.contains("leader")) extra += fmt::format("leader {}", e["leader"].dump());
    if (e.contains("reason")) extra += str(e, "reason");
    fmt::print("  {:>9}  {:<16} {}\n", str(e, "t"), str(e, "event"), extra);
  }
  fmt::print("\noperators\n  {:<4} {:<6} {:<8} {:>9} {:>10}  {}\n", "IDX", "SHARE", "PARTIAL", "AT", "DELAY_MS",
             "NOW");
  for (const auto& o : j["operators"]) {
    std::string now;
    if (o.contains("self")) {
      now = "this node";
    } else if (o.contains("connected")) {
      now = o["connected"].get<bool>() ? "connected" : "not connected";
      if (o.contains("rtt_ms")) now += fmt::format(", rtt {} ms", o["rtt_ms"].dump());
      if (o.contains("clock_offset_ms")) now += fmt::format(", clock offset {} ms", o["clock_offset_ms"].dump());
    }
    std::string partial = str(o, "partial");
    if (o.contains("late_ms")) partial += fmt::format(" ({} ms)", o["late_ms"].dump());
    fmt::print("  {:<4} {:<6} {:<8} {:>9} {:>10}  {}\n", o["idx"].dump(), o["share_idx"].dump(), partial,
               str(o, "t"), str(o, "delay_ms"), now);
  }
  const Json& c = j["consensus"];
  if (c.contains("rounds")) {
    std::string rounds;
    for (const auto& r : c["rounds"])
      rounds += fmt::format("{}round {} leader {} {}", rounds.empty() ? "" : "; ", r["round"].dump(),
                            r["leader"].dump(), str(r, "outcome"));
    fmt::print("\nconsensus: {}\n", rounds);
  }
  if (j.contains("validator")) fmt::print("\nvalidator {}: {}\n", str(j["validator"], "requested"), str(j["validator"], "note"));
}

int explain_cmd(const ExplainOptions& o) {
  // Check the arguments here first: the same parser as the node, so the message is the same.
  std::multimap<std::string, std::string> query;
  if (!o.validator.empty()) query.emplace("validator", o.validator);
  if (o.subcommittee) query.emplace("subcommittee", std::to_string(*o.subcommittee));
  auto req = core::parse_explain_request(o.slot, o.type, query);
  if (!req) {
    fmt::print(stderr, "error: {}\n", req.error());
    return kUsage;
  }
  std::string base = o.address;
  if (base.rfind("http://", 0) != 0) base = "http://" + base;
  auto ep = http::Endpoint::parse(base);
  if (!ep) {
    fmt::print(stderr, "error: --monitoring-address {}: expected host:port\n", o.address);
    return kUsage;
  }
  auto timeout = app::parse_duration(o.timeout);
  if (!timeout || timeout->count() == 0) {
    fmt::print(stderr, "error: --timeout: {}\n", timeout ? "must be positive" : timeout.error());
    return kUsage;
  }
  http::ClientRequest creq;
  creq.target = "/api/v1/duties/" + std::to_string(req->duty.slot.value) + "/" + core::to_string(req->duty.type) +
                "/explain";
  std::string sep = "?";
  for (const auto& [k, v] : query) {  // digits, hex and "0x" only: nothing to escape
    creq.target += sep + k + "=" + v;
    sep = "&";
  }
  auto got = blocking_request(*ep, creq, *timeout);
  if (!got) {
    fmt::print(stderr,
               "error: cannot reach the node's monitoring address {} ({}): is `phalanx run` running there? Pass "
               "its --monitoring-address\n",
               o.address, got.error().message());
    return kNodeError;
  }
  const auto& resp = *got;
  auto j = ssz::parse_json(resp.body);
  if (resp.status != 200 || !j || !j->is_object()) {
    const std::string message = j && j->is_object() && j->contains("message") ? str(*j, "message")
                                                                               : resp.body.substr(0, 200);
    if (resp.status == 405 || (resp.status == 404 && message.find("no finished duty") == std::string::npos))
      fmt::print(stderr, "error: {} does not serve the explain API (HTTP {}): not a Phalanx node's monitoring address?\n",
                 o.address, resp.status);
    else
      fmt::print(stderr, "error: {}\n", message);
    return resp.status == 400 ? kUsage : kNodeError;
  }
  if (o.json)
    fmt::print("{}\n", j->dump(2));
  else
    print_human(*j);
  return 0;
}

}  // namespace

void add_explain_command(CLI::App& root) {
  auto o = std::make_shared<ExplainOptions>();
  auto* c = root.add_subcommand(
      "explain",
      "Explain a duty of a running node: outcome, reason code, verdict (self/cluster/upstream/chain/config), next "
      "action, timeline and each operator's partial");
  c->add_option("slot", o->slot, "The duty's slot")->required();
  c->add_option("type", o->type, "The duty type: attester, proposer, aggregator, sync_message, randao, …")->required();
  c->add_option("--validator", o->validator, "A validator of the duty (index or 0x pubkey)");
  c->add_option("--subcommittee", o->subcommittee, "Sync subcommittee (0-3) of a sync_contribution duty");
  c->add_option("--monitoring-address", o->address, "The node's --monitoring-address (host:port)")
      ->capture_default_str();
  c->add_option("--timeout", o->timeout, "Timeout of the call to the node")->capture_default_str();
  c->add_flag("--output-json", o->json, "Print the node's JSON answer");
  c->callback([o] { std::exit(explain_cmd(*o)); });
}

}  // namespace phx::tools
