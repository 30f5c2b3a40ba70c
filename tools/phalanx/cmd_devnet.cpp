// `phalanx devnet`: a whole cluster on this machine (app/devnet). Options are taken as text and checked here
// so that every bad value exits 2 with a message naming the flag.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "app/config.hpp"
#include "app/devnet.hpp"
#include "commands.hpp"

namespace phx::tools {
namespace {

struct DevnetFlags {
  std::uint32_t nodes = 4;
  std::uint32_t threshold = 0;  // 0: ⌈2n/3⌉
  std::uint32_t validators = 16;
  std::uint64_t total_validators = 0;  // 0: just the cluster's
  std::uint64_t slots = 32;
  std::string slot_duration = "2s";
  std::string mode = "vc";
  std::string fault = "none";
  std::string report;
  std::string fork = "fulu";
  bool builder = false;
  std::string dir;
  bool keep = false;
  std::string genesis_delay;  // empty: 8s plus 1s per 100 validators above 100
  std::uint32_t base_port = 0;  // 0: free ports
  std::string link_delay;       // empty: none
  std::vector<std::string> node_dirs;  // an existing cluster's operator folders
  bool counts_given = false;           // --nodes, --threshold or --validators on the command line
  bool chaos = false;
  std::uint64_t chaos_seed = 1;
  std::string chaos_faults = "all";
  bool chaos_net = false;
  std::string chaos_net_loss = "5%";
  std::string second_bn;
  std::string doppelganger = "off";
};

int bad(const std::string& msg) {
  std::fprintf(stderr, "error: %s\n", msg.c_str());
  return 2;
}

int devnet_cmd(const DevnetFlags& f, app::DevnetOptions o);

int devnet_cmd(const DevnetFlags& f) {
  app::DevnetOptions o;
  if (!f.node_dirs.empty()) {
    if (f.counts_given) return bad("--node-dirs: the cluster's lock sets --nodes, --threshold and --validators");
    std::vector<std::filesystem::path> dirs(f.node_dirs.begin(), f.node_dirs.end());
    auto c = app::load_existing_cluster(dirs);
    if (!c) return bad(c.error());
    DevnetFlags g = f;
    g.nodes = c->nodes;
    g.threshold = c->threshold;
    g.validators = static_cast<std::uint32_t>(c->pubkeys.size());
    g.node_dirs.clear();
    o.cluster = std::move(*c);
    return devnet_cmd(g, std::move(o));
  }
  return devnet_cmd(f, std::move(o));
}

int devnet_cmd(const DevnetFlags& f, app::DevnetOptions o) {
  o.nodes = f.nodes;
  o.threshold = f.threshold != 0 ? f.threshold : (2 * f.nodes + 2) / 3;
  o.validators = f.validators;
  o.total_validators = f.total_validators;
  o.slots = f.slots;
  auto d = app::parse_duration(f.slot_duration);
  if (!d) return bad("--slot-duration: " + d.error());
  o.slot_duration = *d;
  if (f.mode == "vc")
    o.mode = app::DevnetMode::kVc;
  else if (f.mode == "embedded")
    o.mode = app::DevnetMode::kEmbedded;
  else
    return bad("--mode: unknown mode \"" + f.mode + "\", expected vc or embedded");
  if (f.fault == "none")
    o.fault = app::DevnetFault::kNone;
  else if (f.fault == "crash-one")
    o.fault = app::DevnetFault::kCrashOne;
  else if (f.fault == "byzantine-one")
    o.fault = app::DevnetFault::kByzantineOne;
  else if (f.fault == "lying-bn-one")
    o.fault = app::DevnetFault::kLyingBnOne;
  else if (f.fault == "unknown-head-one")
    o.fault = app::DevnetFault::kUnknownHeadOne;
  else
    return bad("--fault: unknown fault \"" + f.fault +
               "\", expected none, crash-one, byzantine-one, lying-bn-one or unknown-head-one");
  auto fork = eth::fork_from_name(f.fork);
  if (!fork) return bad("--fork: unknown fork \"" + f.fork + "\" (phase0 … fulu)");
  o.fork = *fork;
  o.builder = f.builder;
  if (!f.report.empty()) o.report_file = f.report;
  if (!f.dir.empty()) o.dir = f.dir;
  o.keep = f.keep;
  if (f.genesis_delay.empty()) {
    // The nodes load and decrypt their share keystores before genesis: ~1 s per 100 validators here.
    o.genesis_delay = std::chrono::seconds(8 + (o.validators > 100 ? (o.validators - 100 + 99) / 100 : 0));
  } else {
    auto g = app::parse_duration(f.genesis_delay);
    if (!g) return bad("--genesis-delay: " + g.error());
    o.genesis_delay = std::chrono::duration_cast<std::chrono::seconds>(*g);
  }
  if (o.genesis_delay < std::chrono::seconds(2)) return bad("--genesis-delay must be at least 2s");
  if (f.base_port != 0 && (f.base_port < 1024 || f.base_port + 200 + f.nodes > 65535))
    return bad("--base-port must leave BASE..BASE+200+nodes within 1024..65535");
  o.base_port = static_cast<std::uint16_t>(f.base_port);
  if (!f.link_delay.empty()) {
    auto ld = app::parse_duration(f.link_delay);
    if (!ld) return bad("--link-delay: " + ld.error());
    if (*ld > std::chrono::seconds(2)) return bad("--link-delay must be at most 2s");
    o.link_delay = *ld;
  }
  o.chaos = f.chaos;
  o.chaos_seed = f.chaos_seed;
  o.chaos_faults = f.chaos_faults;
  o.chaos_net = f.chaos_net;
  {
    std::string t = f.chaos_net_loss;
    const bool pct = !t.empty() && t.back() == '%';
    if (pct) t.pop_back();
    char* end = nullptr;
    const double v = std::strtod(t.c_str(), &end);
    if (t.empty() || end != t.c_str() + t.size() || !(v >= 0))
      return bad("--chaos-net-loss: expected a percentage such as 5%, got \"" + f.chaos_net_loss + "\"");
    o.chaos_net_loss = pct ? v / 100 : v;
  }
  o.second_bn = f.second_bn;
  if (f.doppelganger == "off")
    o.doppelganger = app::DevnetDoppelganger::kOff;
  else if (f.doppelganger == "twin")
    o.doppelganger = app::DevnetDoppelganger::kTwin;
  else if (f.doppelganger == "join")
    o.doppelganger = app::DevnetDoppelganger::kJoin;
  else if (f.doppelganger == "restart")
    o.doppelganger = app::DevnetDoppelganger::kRestart;
  else
    return bad("--doppelganger: unknown scenario \"" + f.doppelganger + "\", expected off, twin, join or restart");
  if (auto v = app::validate(o); !v) return bad(v.error());
  return app::run_devnet(o);
}

}  // namespace

void add_devnet_command(CLI::App& root) {
  auto f = std::make_shared<DevnetFlags>();
  auto* c = root.add_subcommand(
      "devnet", "Run a whole distributed-validator cluster on this machine and report every duty (docs/devnet.md)");
  c->add_option("--nodes", f->nodes, "Number of nodes (operators)")->default_val(4);
  c->add_option("--threshold", f->threshold, "Signing threshold (default ⌈2·nodes/3⌉)");
  c->add_option("--validators", f->validators, "Number of distributed validators")->default_val(16);
  c->add_option("--total-validators", f->total_validators,
                 "Validators of the simulated chain (default: the cluster's); the cluster's validators sit among "
                 "keyless stand-ins, so duties per slot are those of a chain this size (e.g. 1000000)");
  c->add_option("--slots", f->slots, "Slots to run after genesis")->default_val(32);
  c->add_option("--slot-duration", f->slot_duration, "Slot duration, whole seconds (e.g. 2s)")->default_val("2s");
  c->add_option("--mode", f->mode, "Signer: vc (a vc-sim process per node) or embedded")->default_val("vc");
  c->add_option("--fault", f->fault,
                "Fault injected into the last node: none, crash-one, byzantine-one, lying-bn-one, unknown-head-one")
      ->default_val("none");
  c->add_option("--report", f->report, "Write the final report as JSON to this file");
  c->add_option("--fork", f->fork, "Latest fork, active from genesis with all earlier ones")->default_val("fulu");
  c->add_flag("--builder", f->builder, "Builder API: blinded blocks and builder registrations");
  c->add_option("--dir", f->dir, "Working folder (default: a new temporary folder)");
  c->add_flag("--keep", f->keep, "Keep the working folder (keys, logs, duty reports) after a successful run");
  c->add_option("--genesis-delay", f->genesis_delay,
                 "Time from start to genesis (processes start meanwhile; default 8s plus 1s per 100 validators "
                 "above 100)");
  c->add_option("--base-port", f->base_port,
                 "Fixed loopback ports: node i's p2p on BASE+i, validator API on BASE+100+i, monitoring and operator "
                 "API on BASE+200+i (default: free ports)");
  c->add_option("--link-delay", f->link_delay,
                "Emulated one-way delay of every p2p message between the nodes (e.g. 50ms); the report then gives the "
                "consensus latency in units of it");
  c->add_flag("--chaos", f->chaos,
              "Chaos run: kill -9/restart, SIGSTOP/SIGCONT, faulty beacon nodes (down, slow, 5xx, syncing, lying) and "
              "clock skew on up to f = nodes - threshold nodes at a time, from a seeded schedule; every duty of a slot "
              "with at most f nodes disrupted must complete (docs/devnet.md)");
  c->add_option("--chaos-seed", f->chaos_seed, "Seed of the chaos schedule (the same seed gives the same schedule)")
      ->default_val(1);
  c->add_option("--second-bn", f->second_bn,
                "Give every node two beacon nodes: first its own proxy in this fault mode (healthy, slow, errors, "
                "syncing, lying), then the simulator; duty data is hedged over both (docs/operations.md)");
  c->add_option("--chaos-faults", f->chaos_faults,
                "Chaos fault kinds: all, or a comma-separated list of kill, freeze, bn-down, bn-slow, bn-errors, "
                "bn-syncing, bn-lying, clock-skew, and with --chaos-net isolate, split")
      ->default_val("all");
  c->add_flag("--chaos-net", f->chaos_net,
              "With --chaos (root only): every node in its own network namespace behind an emulated network with "
              "per-link delays of 50-150 ms, jitter and 1-5 % loss; adds the faults isolate (one node cut from its "
              "peers) and split (2|2) (docs/devnet.md)");
  c->add_option("--chaos-net-loss", f->chaos_net_loss,
                "With --chaos-net: the largest per-link packet loss; each link's is drawn from [P/5, P] (e.g. 1%)")
      ->default_val("5%");
  c->add_option("--doppelganger", f->doppelganger,
                "Doppelganger protection: off (the nodes sign from genesis); twin (every node protected, a vc-sim "
                "signs with the full keys beside them: all must detect it); join (node N-1 protected among running "
                "peers: no detection); restart (join, and node N-1 killed at slot 2, restarted at slot 3)")
      ->default_val("off");
  c->add_option("--node-dirs", f->node_dirs,
                "Run an existing cluster instead of creating one: its operator folders, comma-separated, each with "
                "cluster-lock.json, charon-enr-private-key and validator_keys/ (e.g. the data dirs of a `phalanx "
                "dkg`); only read")
      ->delimiter(',');
  c->callback([f, c] {
    f->counts_given = c->count("--nodes") + c->count("--threshold") + c->count("--validators") > 0;
    std::exit(devnet_cmd(*f));
  });
}

}  // namespace phx::tools
