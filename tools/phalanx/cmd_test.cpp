// `phalanx test peers|beacon|validator|mev|infra|all`: pre-flight checks with a table of results (preflight.cpp);
// exit code 0 when every check passed (warnings and skips allowed), 1 when one failed, 2 on a bad flag.
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "app/config.hpp"
#include "app/fs.hpp"
#include "base/bytes.hpp"
#include "commands.hpp"
#include "preflight.hpp"

namespace phx::tools {
namespace {

constexpr int kFailed = 1;
constexpr int kBadFlag = 2;

struct TestFlags {
  preflight::Options o;
  std::string lock_file = ".charon/cluster-lock.json";
  std::string private_key_file = ".charon/charon-enr-private-key";
  std::string data_dir = ".phalanx";
  std::vector<std::string> p2p_peers;
  std::vector<std::string> beacon_nodes;
  std::string timeout = "5s", max_latency = "500ms", max_rtt = "200ms", max_clock_offset = "200ms",
              max_vc_idle = "60s";
  std::string output_json;
};

int run(TestFlags& f, const std::string& suite) {
  auto dur = [](const std::string& flag, const std::string& v) -> std::optional<Duration> {
    auto d = app::parse_duration(v);
    if (!d || d->count() == 0) {
      fmt::print(stderr, "error: --{}: {}\n", flag, d ? "must be positive" : d.error());
      return std::nullopt;
    }
    return std::chrono::duration_cast<Duration>(*d);
  };
  auto& o = f.o;
  for (auto [flag, text, out] : {std::tuple{"timeout", &f.timeout, &o.timeout},
                                 std::tuple{"max-latency", &f.max_latency, &o.max_latency},
                                 std::tuple{"max-rtt", &f.max_rtt, &o.max_rtt},
                                 std::tuple{"max-clock-offset", &f.max_clock_offset, &o.max_clock_offset},
                                 std::tuple{"max-vc-idle", &f.max_vc_idle, &o.max_vc_idle}}) {
    auto d = dur(flag, *text);
    if (!d) return kBadFlag;
    *out = *d;
  }
  o.node.lock_file = f.lock_file;
  o.node.private_key_file = f.private_key_file;
  o.node.data_dir = f.data_dir;
  o.node.p2p_peers = f.p2p_peers;
  o.node.beacon_node_endpoints = f.beacon_nodes;
  std::vector<preflight::Check> checks;
  auto add = [&](std::vector<preflight::Check> c) { checks.insert(checks.end(), c.begin(), c.end()); };
  const bool all = suite == "all";
  if (all || suite == "peers") add(preflight::test_peers(o));
  if (all || suite == "beacon") add(preflight::test_beacon(o));
  if (all || suite == "validator") add(preflight::test_validator(o));
  if (all || suite == "mev") add(preflight::test_mev(o));
  if (all || suite == "infra") add(preflight::test_infra(o));
  fmt::print("{}", preflight::table(checks));
  const bool ok = preflight::all_ok(checks);
  std::size_t failed = 0;
  for (const auto& c : checks) failed += c.verdict == preflight::Verdict::kFail ? 1 : 0;
  fmt::print("{}\n", ok ? "all checks passed" : fmt::format("{} of {} checks FAILED", failed, checks.size()));
  if (!f.output_json.empty()) {
    const std::string text = preflight::report_json(checks).dump(2) + "\n";
    if (auto w = app::write_file_atomic(f.output_json, as_bytes(text), 0644, true); !w) {
      fmt::print(stderr, "error: --output-json {}: {}\n", f.output_json, w.error().message());
      return kFailed;
    }
  }
  return ok ? 0 : kFailed;
}

}  // namespace

void add_test_commands(CLI::App& root) {
  auto* t = root.add_subcommand(
      "test", "Pre-flight checks: peers, beacon node, validator client, MEV, infrastructure (exit 0 ok, 1 failed)");
  t->require_subcommand(1);
  auto f = std::make_shared<TestFlags>();
  auto common = [f](CLI::App* c) {
    c->add_option("--output-json", f->output_json, "Also write the results as JSON to this file");
    c->add_option("--timeout", f->timeout, "Timeout of each call and of each peer connection")->capture_default_str();
  };
  auto cluster = [f](CLI::App* c) {
    c->add_option("--lock-file", f->lock_file, "Cluster lock")->capture_default_str();
    c->add_option("--private-key-file", f->private_key_file, "Operator identity key")->capture_default_str();
    c->add_option("--p2p-peers", f->p2p_peers, "Peers' host:port in operator order (default: the lock's ENRs)")
        ->delimiter(',');
    c->add_option("--p2p-tcp-address", f->o.p2p_listen, "Where the test's p2p node listens")->capture_default_str();
    c->add_option("--max-rtt", f->max_rtt, "Largest acceptable round trip to a peer")->capture_default_str();
    c->add_option("--max-clock-offset", f->max_clock_offset, "Largest acceptable clock offset to a peer")
        ->capture_default_str();
  };
  auto beacon = [f](CLI::App* c) {
    c->add_option("--beacon-node-endpoints", f->beacon_nodes, "Beacon nodes (http://host:port, comma-separated)")
        ->delimiter(',');
    c->add_option("--max-latency", f->max_latency, "Largest acceptable median latency of an endpoint")
        ->capture_default_str();
    c->add_option("--min-beacon-peers", f->o.min_bn_peers, "Fewest acceptable beacon-node peers")->capture_default_str();
  };
  auto validator = [f](CLI::App* c) {
    c->add_option("--monitoring-address", f->o.monitoring_address, "The running node's monitoring address")
        ->capture_default_str();
    c->add_option("--max-vc-idle", f->max_vc_idle, "Longest acceptable time since the VC's last request")
        ->capture_default_str();
  };
  auto mev = [f](CLI::App* c) {
    c->add_option("--builder-endpoints", f->o.builder_endpoints, "Builder / MEV-boost URLs (comma-separated)")
        ->delimiter(',');
    c->add_option("--max-latency", f->max_latency, "Largest acceptable median latency of an endpoint")
        ->capture_default_str();
  };
  auto data_dir = [f](CLI::App* c) {
    c->add_option("--data-dir", f->data_dir,
                  "The node's data folder (infra: the disk test writes there; peers: a lock a reshare superseded is "
                  "refused)")
        ->capture_default_str();
  };
  auto infra = [f](CLI::App* c) {
    c->add_option("--min-disk-mbps", f->o.min_disk_mbps, "Slowest acceptable fsynced write (MB/s)")->capture_default_str();
    c->add_option("--disk-test-mib", f->o.disk_test_mib, "MiB written by the disk test")->capture_default_str();
    c->add_option("--min-free-gib", f->o.min_free_gib, "Least acceptable free space (GiB)")->capture_default_str();
    c->add_option("--min-cpus", f->o.min_cpus, "Fewest acceptable CPUs")->capture_default_str();
    c->add_option("--min-memory-gib", f->o.min_memory_gib, "Least acceptable memory (GiB)")->capture_default_str();
  };
  struct Suite {
    const char* name;
    const char* help;
  };
  for (const Suite s : {Suite{"peers", "Reach each peer of the lock: authenticated connection, RTT, clock offset, "
                                        "version, lock hash (run with this operator's node stopped)"},
                        Suite{"beacon", "Beacon nodes: reachable, synced, peers, version, duty-endpoint latency"},
                        Suite{"validator", "The validator client's connection to the running node and its DVT "
                                           "selection requests"},
                        Suite{"mev", "Builder / MEV-boost endpoints: reachable, latency"},
                        Suite{"infra", "Disk write speed, free space, CPUs, memory, clock synchronisation"},
                        Suite{"all", "Every suite"}}) {
    auto* c = t->add_subcommand(s.name, s.help);
    const std::string name = s.name;
    const bool all = name == "all";
    common(c);
    if (all || name == "peers") cluster(c);
    if (all || name == "beacon") beacon(c);
    if (all || name == "validator") validator(c);
    if (name == "mev") mev(c);
    if (all) c->add_option("--builder-endpoints", f->o.builder_endpoints, "Builder / MEV-boost URLs")->delimiter(',');
    if (all || name == "infra") infra(c);
    if (all || name == "peers" || name == "infra") data_dir(c);
    c->callback([f, name] { std::exit(run(*f, name)); });
  }
}

}  // namespace phx::tools
