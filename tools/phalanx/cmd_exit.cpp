// `phalanx exit sign|broadcast|list`: voluntary exits of distributed validators without recombining a key.
// With a running node they go through its operator API (POST/GET /phalanx/v1/exits on its monitoring address):
// the node signs its partial, the partials travel over p2p and every node keeps them and recombines them. Without
// one, `sign` signs this operator's partial from its keystore into a file and `broadcast` recombines such files
// (exit_offline.cpp). Flags follow Charon's `charon exit` where they mean the same.
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/config.hpp"
#include "app/exit_partials.hpp"
#include "beaconapi/http/client.hpp"
#include "commands.hpp"
#include "exit_offline.hpp"
#include "node_http.hpp"
#include "ssz/json.hpp"

namespace phx::tools {
namespace {

namespace http = beaconapi::http;
using ssz::Json;

/// Exit codes: 0 done, 1 the node or BN refused or is unreachable, a file or exit is bad (or some validator
/// failed), 2 bad flag value.
constexpr int kFailed = 1;
constexpr int kBadFlag = 2;

struct ExitOptions {
  std::vector<std::string> pubkeys;                // --validator-public-keys (Charon: --validator-public-key)
  bool all = false;                                // --all
  std::optional<std::uint64_t> exit_epoch;         // --exit-epoch
  std::string node_api = "http://127.0.0.1:3620";  // `phalanx run --monitoring-address` default
  std::string timeout = "10s";
  bool json = false;  // list: raw JSON
  std::vector<std::string> beacon_nodes;           // --beacon-node-endpoints
  std::string lock_file = ".charon/cluster-lock.json";
  std::string private_key_file = ".charon/charon-enr-private-key";
  std::string keys_dir = ".charon/validator_keys";  // --validator-keys-dir (Charon) / --keystores-dir (phalanx run)
  std::string data_dir = ".phalanx";
  std::optional<std::uint64_t> validator_index;    // sign standalone: skip the BN lookup
  std::string publish_to_file;                     // sign: partial-exits file; broadcast: full exit(s)
  std::vector<std::string> exit_from_files;        // broadcast: --exit-from-file (repeatable)
  std::string exit_from_dir;                       // broadcast: --exit-from-dir
};

template <class... Args>
int error(int code, fmt::format_string<Args...> f, Args&&... args) {
  fmt::print(stderr, "error: {}\n", fmt::format(f, std::forward<Args>(args)...));
  return code;
}

/// Why a call to the node failed: the exit code, and whether nothing listens there (then a command may run
/// standalone); the message is printed only when the caller decides.
struct CallError {
  int code = kFailed;
  bool unreachable = false;
  std::string message;
};

/// One request to the node's operator API: the decoded JSON answer or why not.
std::expected<Json, CallError> call(const ExitOptions& o, http::Method method, std::string body) {
  auto ep = http::Endpoint::parse(o.node_api);
  if (!ep) return std::unexpected(CallError{kBadFlag, false, "--node-api " + o.node_api + ": expected http://host:port"});
  auto timeout = app::parse_duration(o.timeout);
  if (!timeout || timeout->count() == 0)
    return std::unexpected(
        CallError{kBadFlag, false, "--timeout: " + (timeout ? std::string("must be positive") : timeout.error())});
  http::ClientRequest req;
  req.method = method;
  req.target = "/phalanx/v1/exits";
  req.body = std::move(body);
  auto got = blocking_request(*ep, req, *timeout);
  if (!got) {
    const auto& ec = got.error();
    if (ec == make_error_code(http::HttpError::kConnect))
      return std::unexpected(CallError{
          kFailed, true,
          fmt::format("cannot reach the node at {} ({}): is `phalanx run` running there? The operator API is on its "
                      "--monitoring-address (default 127.0.0.1:3620); pass --node-api",
                      o.node_api, ec.message())});
    return std::unexpected(CallError{kFailed, false, fmt::format("node at {}: {}", o.node_api, ec.message())});
  }
  const auto& resp = *got;
  auto j = ssz::parse_json(resp.body);
  std::string message = j && j->is_object() && j->contains("message") && (*j)["message"].is_string()
                            ? (*j)["message"].get<std::string>()
                            : resp.body.substr(0, 200);
  if (resp.status == 404 || resp.status == 405)
    return std::unexpected(CallError{
        kFailed, false,
        fmt::format("{} does not serve /phalanx/v1/exits (HTTP {}): not a Phalanx node's monitoring address, or a "
                    "Phalanx without the operator API",
                    o.node_api, resp.status)});
  if (resp.status < 200 || resp.status >= 300)
    return std::unexpected(CallError{kFailed, false, fmt::format("the node refused (HTTP {}): {}", resp.status, message)});
  if (!j || !j->is_object())
    return std::unexpected(CallError{kFailed, false, std::string("the node's answer is not a JSON object")});
  return std::move(*j);
}

int report(const CallError& e) { return error(e.code, "{}", e.message); }

/// --validator-public-keys decoded; nullopt after printing the error.
std::optional<std::vector<core::PubKey>> parse_pubkeys(const ExitOptions& o) {
  std::vector<core::PubKey> out;
  for (const auto& pk : o.pubkeys) {
    auto b = from_hex_fixed<48>(pk);
    if (pk.size() != 98 || pk.rfind("0x", 0) != 0 || !b) {
      error(kBadFlag, "--validator-public-keys: \"{}\" is not a 0x-prefixed 48-byte public key", pk);
      return std::nullopt;
    }
    out.push_back(*b);
  }
  return out;
}

app::NodeConfig node_files(const ExitOptions& o) {
  app::NodeConfig c;
  c.lock_file = o.lock_file;
  c.private_key_file = o.private_key_file;
  c.keystores_dir = o.keys_dir;
  c.data_dir = o.data_dir;
  return c;
}

std::optional<Duration> bn_timeout(const ExitOptions& o) {
  auto t = app::parse_duration(o.timeout);
  if (!t || t->count() == 0) {
    error(kBadFlag, "--timeout: {}", t ? "must be positive" : t.error());
    return std::nullopt;
  }
  return std::chrono::duration_cast<Duration>(*t);
}

int sign_standalone(const ExitOptions& o, const std::vector<core::PubKey>& pubkeys) {
  auto timeout = bn_timeout(o);
  if (!timeout) return kBadFlag;
  auto bn = exits::connect_bn(o.beacon_nodes, *timeout);
  if (!bn) return error(kFailed, "{}", bn.error());
  exits::SignRequest req;
  req.node = node_files(o);
  req.pubkeys = pubkeys;
  req.all = o.all;
  if (o.exit_epoch) req.exit_epoch = Epoch{*o.exit_epoch};
  if (o.validator_index) req.validator_index = ValidatorIndex{*o.validator_index};
  req.out = o.publish_to_file;
  auto done = exits::sign_standalone(req, **bn);
  if (!done) return error(kFailed, "{}", done.error());
  for (const auto& p : done->signed_now)
    fmt::print("{}  exit epoch {}: partial exit of share {} signed\n", to_hex(p.pubkey), p.exit.epoch.value,
               p.share_idx.value);
  fmt::print(
      "wrote {} (0600); once threshold operators have signed the same epoch, put their files in one folder and run "
      "`phalanx exit broadcast --exit-from-dir DIR --lock-file … --beacon-node-endpoints …`\n",
      done->file.string());
  return 0;
}

int sign_cmd(const ExitOptions& o) {
  if (o.all == !o.pubkeys.empty())
    return error(kBadFlag, "give either --validator-public-keys 0x…,0x… or --all (one of them)");
  auto pubkeys = parse_pubkeys(o);
  if (!pubkeys) return kBadFlag;
  Json body = Json::object();
  if (o.all) {
    body["all"] = true;
  } else {
    Json arr = Json::array();
    for (const auto& pk : o.pubkeys) arr.push_back(pk);
    body["pubkeys"] = std::move(arr);
  }
  if (o.exit_epoch) body["epoch"] = std::to_string(*o.exit_epoch);
  auto j = call(o, http::Method::kPost, body.dump());
  if (!j && j.error().unreachable) {
    if (o.beacon_nodes.empty())
      return error(kFailed,
                   "{}\nTo sign without a node, give --beacon-node-endpoints (with --lock-file, --private-key-file "
                   "and --validator-keys-dir if not in .charon/)",
                   j.error().message);
    fmt::print("no node at {}: signing standalone with this operator's keystore\n", o.node_api);
    return sign_standalone(o, *pubkeys);
  }
  if (!j) return report(j.error());
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

/// The full exits the node holds (highest epoch per validator), and why others are not ready.
struct FromNode {
  std::map<core::PubKey, eth::phase0::SignedVoluntaryExit> full;
  std::map<core::PubKey, std::string> incomplete;
};
std::expected<FromNode, int> exits_from_node(const ExitOptions& o) {
  auto j = call(o, http::Method::kGet, "");
  if (!j) return std::unexpected(report(j.error()));
  FromNode out;
  const std::string t = std::to_string(j->value("threshold", 0));
  if (!j->contains("data") || !(*j)["data"].is_array()) return out;
  for (const auto& d : (*j)["data"]) {
    auto pk = app::pubkey_from_json(d.value("pubkey", Json()), "pubkey");
    if (!pk) continue;
    if (d.contains("signed_exit")) {
      auto e = ssz::from_json<eth::phase0::SignedVoluntaryExit>(d["signed_exit"]);
      if (!e) return std::unexpected(error(kFailed, "the node's signed exit of {} is malformed", to_hex(*pk)));
      auto& slot = out.full[*pk];
      if (slot.message.epoch.value <= e->message.epoch.value) slot = *e;
      out.incomplete.erase(*pk);
    } else if (!out.full.contains(*pk)) {
      std::string signers;
      if (d.contains("signers") && d["signers"].is_array())
        for (const auto& s : d["signers"]) signers += (signers.empty() ? "" : ",") + s.dump();
      out.incomplete[*pk] = "epoch " + d.value("epoch", std::string("?")) + ": " +
                            std::to_string(d.contains("signers") && d["signers"].is_array() ? d["signers"].size() : 0) +
                            " of " + t + " verified partials" + (signers.empty() ? "" : " (shares " + signers + ")") +
                            ", status " + d.value("status", std::string("?"));
    }
  }
  return out;
}

int broadcast_cmd(const ExitOptions& o) {
  const bool from_files = !o.exit_from_files.empty() || !o.exit_from_dir.empty();
  if (o.all && !o.pubkeys.empty()) return error(kBadFlag, "give either --validator-public-keys or --all, not both");
  if (!from_files && !o.all && o.pubkeys.empty())
    return error(kBadFlag, "give --validator-public-keys 0x…,0x… or --all (or exit files: --exit-from-file/--exit-from-dir)");
  auto pubkeys = parse_pubkeys(o);
  if (!pubkeys) return kBadFlag;
  if (o.beacon_nodes.empty())
    return error(kBadFlag,
                 "--beacon-node-endpoints is required: each exit is verified against the chain's exit domain (and "
                 "submitted there unless --publish-to-file)");
  auto timeout = bn_timeout(o);
  if (!timeout) return kBadFlag;
  auto bn = exits::connect_bn(o.beacon_nodes, *timeout);
  if (!bn) return error(kFailed, "{}", bn.error());

  std::map<core::PubKey, eth::phase0::SignedVoluntaryExit> found;
  std::map<core::PubKey, std::string> incomplete;
  if (from_files) {
    std::vector<std::filesystem::path> files(o.exit_from_files.begin(), o.exit_from_files.end());
    if (!o.exit_from_dir.empty()) {
      auto in_dir = exits::json_files_in(o.exit_from_dir);
      if (!in_dir) return error(kFailed, "{}", in_dir.error());
      files.insert(files.end(), in_dir->begin(), in_dir->end());
    }
    std::optional<core::PubKey> only;
    if (pubkeys->size() == 1) only = (*pubkeys)[0];
    auto c = exits::collect_files(files, node_files(o), only, **bn);
    if (!c) return error(kFailed, "{}", c.error());
    found = std::move(c->full);
    incomplete = std::move(c->incomplete);
  } else {
    auto n = exits_from_node(o);
    if (!n) return n.error();
    found = std::move(n->full);
    incomplete = std::move(n->incomplete);
  }

  // The selection: the named validators (each must have a full exit), else every full exit found.
  std::map<core::PubKey, eth::phase0::SignedVoluntaryExit> chosen;
  if (!pubkeys->empty()) {
    for (const auto& pk : *pubkeys) {
      auto it = found.find(pk);
      if (it != found.end()) {
        chosen.insert(*it);
        continue;
      }
      auto why = incomplete.find(pk);
      return error(kFailed, "no full exit of {}: {}; nothing submitted", to_hex(pk),
                   why != incomplete.end() ? why->second : std::string("no partial or full exit of it was found"));
    }
  } else {
    chosen = found;
    for (const auto& [pk, why] : incomplete) fmt::print("{}  skipped: {}\n", to_hex(pk), why);
  }
  if (chosen.empty()) return error(kFailed, "no full exit to broadcast");

  // Verify every exit before anything leaves: the BN's index for the key, the signature under the exit domain.
  std::vector<core::PubKey> keys;
  for (const auto& [pk, e] : chosen) keys.push_back(pk);
  auto known = exits::lookup_validators(**bn, keys);
  if (!known) return error(kFailed, "{}", known.error());
  for (const auto& [pk, e] : chosen) {
    auto it = known->find(pk);
    if (it == known->end())
      return error(kFailed, "the beacon node does not know validator {}; nothing submitted", to_hex(pk));
    if (it->second.index != e.message.validator_index)
      return error(kFailed,
                   "the exit of {} is for validator index {}, but the beacon node has it at index {}; nothing "
                   "submitted",
                   to_hex(pk), e.message.validator_index.value, it->second.index.value);
    if (auto ok = app::verify_full_exit((*bn)->config, pk, e); !ok)
      return error(kFailed, "{}; nothing submitted", ok.error());
  }
  if (!o.publish_to_file.empty()) {
    auto w = exits::write_full_exits(o.publish_to_file, chosen);
    if (!w) return error(kFailed, "{}", w.error());
    for (const auto& p : *w) fmt::print("wrote {} (verified; submit later with --exit-from-file)\n", p.string());
    return 0;
  }
  int failed = 0;
  for (const auto& [pk, e] : chosen) {
    if (auto ok = exits::submit_exit(**bn, e); !ok) {
      ++failed;
      fmt::print("{}  exit epoch {}: the beacon node refused it: {}\n", to_hex(pk), e.message.epoch.value, ok.error());
    } else {
      fmt::print("{}  exit epoch {}: submitted to the beacon node\n", to_hex(pk), e.message.epoch.value);
    }
  }
  return failed == 0 ? 0 : kFailed;
}

int list_cmd(const ExitOptions& o) {
  auto j = call(o, http::Method::kGet, "");
  if (!j) return report(j.error());
  // With a beacon node: each listed validator's status there (already exiting or exited on chain).
  std::map<core::PubKey, http::ValidatorInfo> chain;
  if (!o.beacon_nodes.empty() && j->contains("data") && (*j)["data"].is_array()) {
    auto timeout = bn_timeout(o);
    if (!timeout) return kBadFlag;
    auto bn = exits::connect_bn(o.beacon_nodes, *timeout);
    if (!bn) return error(kFailed, "{}", bn.error());
    std::vector<core::PubKey> keys;
    for (const auto& d : (*j)["data"])
      if (auto pk = app::pubkey_from_json(d.value("pubkey", Json()), "pubkey")) keys.push_back(*pk);
    auto known = exits::lookup_validators(**bn, keys);
    if (!known) return error(kFailed, "{}", known.error());
    chain = std::move(*known);
    for (auto& d : (*j)["data"]) {
      auto pk = app::pubkey_from_json(d.value("pubkey", Json()), "pubkey");
      if (!pk) continue;
      auto it = chain.find(*pk);
      Json c = Json::object();
      c["status"] = it == chain.end() ? std::string("unknown") : it->second.status;
      if (it != chain.end() && it->second.validator.exit_epoch != eth::kFarFutureEpoch)
        c["exit_epoch"] = ssz::u64_to_dec(it->second.validator.exit_epoch.value);
      d["chain"] = std::move(c);
    }
  }
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
  const bool with_chain = !o.beacon_nodes.empty();
  fmt::print("{:<98}  {:>6}  {:<9}  {:<10}  {:<5}  {}{}\n", "VALIDATOR", "EPOCH", "REQUESTED", "SIGNED BY", "READY",
             with_chain ? "ON CHAIN                      " : "", "STATUS");
  for (const auto& d : (*j)["data"]) {
    std::string signers;
    if (d.contains("signers") && d["signers"].is_array())
      for (const auto& p : d["signers"]) signers += (signers.empty() ? "" : ",") + p.dump();
    std::string status = d.value("status", std::string("?"));
    if (d.contains("error")) status += ": " + d.value("error", std::string());
    std::string on_chain;
    if (with_chain) {
      on_chain = d.contains("chain") ? d["chain"].value("status", std::string("?")) : std::string("?");
      if (d.contains("chain") && d["chain"].contains("exit_epoch"))
        on_chain += " (exit epoch " + d["chain"].value("exit_epoch", std::string()) + ")";
      on_chain = fmt::format("{:<30}", on_chain);
    }
    fmt::print("{:<98}  {:>6}  {:<9}  {:<10}  {:<5}  {}{}\n", d.value("pubkey", std::string("?")),
               d.value("epoch", std::string("?")), d.value("requested", false) ? "yes" : "no",
               signers.empty() ? "-" : signers, d.value("ready", false) ? "yes" : "no", on_chain, status);
  }
  return 0;
}

void add_node_api(CLI::App* c, ExitOptions* o) {
  c->add_option(
       "--node-api", o->node_api,
       "The node's operator API: http://host:port of `phalanx run --monitoring-address` (loopback only)")
      ->capture_default_str();
  c->add_option("--timeout", o->timeout, "Timeout of each call to the node or beacon node")->capture_default_str();
}

void add_selection(CLI::App* c, ExitOptions* o) {
  c->add_option("--validator-public-keys,--validator-public-key", o->pubkeys,
                "Public keys of the validators (comma-separated), from the cluster lock")
      ->delimiter(',');
  c->add_flag("--all", o->all, "Every validator of the cluster");
}

void add_beacon_nodes(CLI::App* c, ExitOptions* o, const char* why) {
  c->add_option("--beacon-node-endpoints", o->beacon_nodes, why)->delimiter(',');
}

void add_cluster_files(CLI::App* c, ExitOptions* o, bool with_keys) {
  c->add_option("--lock-file", o->lock_file, "Cluster lock (standalone use)")->capture_default_str();
  c->add_option("--data-dir", o->data_dir,
                "The node's data folder (standalone: a lock a reshare superseded is refused)")
      ->capture_default_str();
  if (!with_keys) return;
  c->add_option("--private-key-file", o->private_key_file, "Operator identity key (standalone: finds the share)")
      ->capture_default_str();
  c->add_option("--validator-keys-dir,--keystores-dir", o->keys_dir,
                "This operator's share keystores (standalone signing)")
      ->capture_default_str();
}

}  // namespace

void add_exit_commands(CLI::App& root) {
  auto* e = root.add_subcommand(
      "exit", "Exit distributed validators: sign partial exits, broadcast the recombined exit, list exits");
  e->require_subcommand(1);
  auto o = std::make_shared<ExitOptions>();
  auto* s = e->add_subcommand(
      "sign",
      "Sign this operator's partial voluntary exit: through the running node (sent to the peers; the exit is "
      "submitted once a threshold did the same epoch) or, with no node reachable, standalone from the keystore "
      "into a partial-exits file");
  add_selection(s, o.get());
  s->add_option("--exit-epoch", o->exit_epoch,
                "Epoch of the exit; every operator must use the same (default: the current epoch)");
  add_node_api(s, o.get());
  add_beacon_nodes(s, o.get(), "Standalone: beacon nodes for the chain configuration and validator indices");
  add_cluster_files(s, o.get(), true);
  s->add_option("--validator-index", o->validator_index,
                "Standalone, one validator: its index (skips the beacon-node lookup)");
  s->add_option("--publish-to-file", o->publish_to_file,
                "Standalone: the partial-exits file to write or extend (default partial-exits-share-<i>.json)");
  s->callback([o] { std::exit(sign_cmd(*o)); });

  auto* b = e->add_subcommand(
      "broadcast",
      "Submit the full exit to the beacon node (or write it to a file): from the running node once it holds t "
      "partials, or from exit files (full exits, or partial-exits files of t operators, recombined here). Every "
      "exit is verified against the validator key and the exit domain first");
  add_selection(b, o.get());
  add_node_api(b, o.get());
  add_beacon_nodes(b, o.get(), "Beacon nodes: chain configuration, validator indices, submission (required)");
  add_cluster_files(b, o.get(), false);
  b->add_option("--exit-from-file", o->exit_from_files,
                "A full exit (SignedVoluntaryExit JSON) or a partial-exits file (repeatable)");
  b->add_option("--exit-from-dir", o->exit_from_dir,
                "A folder of exit files (*.json: exit-0x<pubkey>.json full exits and partial-exits files)");
  b->add_option("--publish-to-file", o->publish_to_file,
                "Write the verified full exit here instead of submitting it (a folder when there are several)");
  b->callback([o] { std::exit(broadcast_cmd(*o)); });

  auto* l = e->add_subcommand(
      "list", "Show the exits the node knows: operators that signed, ready (recombined), submitted, on chain");
  l->add_flag("--json", o->json, "Print the node's JSON answer");
  add_node_api(l, o.get());
  add_beacon_nodes(l, o.get(), "Also show each validator's status at these beacon nodes (exiting, exited)");
  l->callback([o] { std::exit(list_cmd(*o)); });
}

}  // namespace phx::tools
