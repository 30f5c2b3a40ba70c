// `phalanx devnet` options: names of the modes and faults, and the check of option combinations (validate).
#include "app/devnet.hpp"
#include "app/devnet_chaos.hpp"

namespace phx::app {

std::string_view to_string(DevnetMode m) { return m == DevnetMode::kEmbedded ? "embedded" : "vc"; }

std::string_view to_string(DevnetFault f) {
  switch (f) {
    case DevnetFault::kCrashOne:
      return "crash-one";
    case DevnetFault::kByzantineOne:
      return "byzantine-one";
    case DevnetFault::kLyingBnOne:
      return "lying-bn-one";
    case DevnetFault::kUnknownHeadOne:
      return "unknown-head-one";
    case DevnetFault::kNone:
      break;
  }
  return "none";
}

std::optional<BnMode> second_bn_mode(std::string_view name) {
  if (name == "healthy") return BnMode::kHealthy;
  if (name == "slow") return BnMode::kSlow;
  if (name == "errors") return BnMode::kErrors;
  if (name == "syncing") return BnMode::kSyncing;
  if (name == "lying") return BnMode::kLying;
  return std::nullopt;
}

std::string_view to_string(DevnetDoppelganger d) {
  switch (d) {
    case DevnetDoppelganger::kTwin:
      return "twin";
    case DevnetDoppelganger::kJoin:
      return "join";
    case DevnetDoppelganger::kRestart:
      return "restart";
    case DevnetDoppelganger::kOff:
      break;
  }
  return "off";
}

Result<void, std::string> validate(const DevnetOptions& o) {
  if (o.nodes < 1 || o.nodes > 64) return std::unexpected("--nodes must be between 1 and 64");
  if (o.threshold < 1 || o.threshold > o.nodes)
    return std::unexpected("--threshold " + std::to_string(o.threshold) + " must be between 1 and --nodes (" +
                           std::to_string(o.nodes) + ")");
  if (2 * o.threshold <= o.nodes)
    return std::unexpected("--threshold " + std::to_string(o.threshold) + " is not a majority of " +
                           std::to_string(o.nodes) + " nodes");
  if (o.validators < 1 || o.validators > 100'000) return std::unexpected("--validators must be between 1 and 100000");
  if (o.total_validators != 0 && (o.total_validators < o.validators || o.total_validators > 10'000'000))
    return std::unexpected("--total-validators must be between --validators and 10000000");
  if (o.slots < 1 || o.slots > 100'000) return std::unexpected("--slots must be between 1 and 100000");
  if (o.slot_duration < std::chrono::milliseconds(500))
    return std::unexpected("--slot-duration must be at least 500ms");
  if (o.slot_duration % std::chrono::milliseconds(1000) != std::chrono::milliseconds(0))
    return std::unexpected("--slot-duration must be a whole number of seconds (SECONDS_PER_SLOT)");
  if (o.fault != DevnetFault::kNone && o.nodes - 1 < o.threshold)
    return std::unexpected("--fault " + std::string(to_string(o.fault)) + " leaves " + std::to_string(o.nodes - 1) +
                           " honest nodes, fewer than --threshold " + std::to_string(o.threshold));
  if (o.chaos) {
    if (o.fault != DevnetFault::kNone) return std::unexpected("--chaos cannot be combined with --fault");
    if (o.threshold >= o.nodes)
      return std::unexpected("--chaos needs a node to spare: --threshold " + std::to_string(o.threshold) +
                             " leaves no fault tolerance with " + std::to_string(o.nodes) + " nodes");
    auto k = parse_chaos_kinds(o.chaos_faults, o.chaos_net);
    if (!k) return std::unexpected("--chaos-faults: " + k.error());
    for (auto kind : *k)
      if (is_net_kind(kind) && !o.chaos_net)
        return std::unexpected("--chaos-faults " + std::string(to_string(kind)) + " needs --chaos-net");
    if (o.chaos_net && o.nodes > 200) return std::unexpected("--chaos-net supports at most 200 nodes");
  }
  if (o.chaos_net && !o.chaos) return std::unexpected("--chaos-net needs --chaos");
  if (!(o.chaos_net_loss >= 0 && o.chaos_net_loss <= 0.5))
    return std::unexpected("--chaos-net-loss must be between 0 and 50 %");
  if (!o.second_bn.empty()) {
    if (!second_bn_mode(o.second_bn))
      return std::unexpected("--second-bn: unknown mode \"" + o.second_bn +
                             "\", expected healthy, slow, errors, syncing or lying");
    if (o.chaos) return std::unexpected("--second-bn cannot be combined with --chaos");
  }
  if (o.doppelganger != DevnetDoppelganger::kOff) {
    if (o.chaos || o.fault != DevnetFault::kNone)
      return std::unexpected("--doppelganger cannot be combined with --chaos or --fault");
    if (o.doppelganger == DevnetDoppelganger::kTwin && o.cluster)
      return std::unexpected("--doppelganger twin needs the dealer's cluster (the full keys), not --node-dirs");
    if (o.doppelganger != DevnetDoppelganger::kTwin && o.nodes - 1 < o.threshold)
      return std::unexpected("--doppelganger " + std::string(to_string(o.doppelganger)) +
                             " needs the other nodes to reach --threshold without node N-1");
  }
  if (o.builder && o.fork < eth::Fork::kBellatrix)
    return std::unexpected("--builder needs --fork bellatrix or later (blinded blocks)");
  if (o.cluster && (o.cluster->nodes != o.nodes || o.cluster->threshold != o.threshold ||
                    o.cluster->pubkeys.size() != o.validators || o.cluster->dirs.size() != o.nodes))
    return std::unexpected("--node-dirs: the lock has " + std::to_string(o.cluster->nodes) + " operators, threshold " +
                           std::to_string(o.cluster->threshold) + " and " + std::to_string(o.cluster->pubkeys.size()) +
                           " validators: leave --nodes, --threshold and --validators out");
  return {};
}

ssz::Json options_json(const DevnetOptions& o) {
  ssz::Json opts = ssz::Json::object();
  opts["nodes"] = o.nodes;
  opts["threshold"] = o.threshold;
  opts["validators"] = o.validators;
  opts["total_validators"] = o.total_validators;
  opts["slots"] = o.slots;
  opts["slot_duration_ms"] = o.slot_duration.count();
  opts["mode"] = std::string(to_string(o.mode));
  opts["fault"] = std::string(to_string(o.fault));
  opts["fork"] = std::string(eth::fork_name(o.fork));
  opts["builder"] = o.builder;
  opts["chaos"] = o.chaos;
  opts["chaos_net"] = o.chaos_net;
  opts["chaos_net_loss"] = o.chaos_net_loss;
  opts["doppelganger"] = std::string(to_string(o.doppelganger));
  return opts;
}

}  // namespace phx::app
