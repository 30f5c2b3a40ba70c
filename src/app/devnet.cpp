// `phalanx devnet`: the orchestration (run_devnet); options in devnet_options.cpp, child processes in
// devnet_process.cpp, the report in devnet_report.cpp.
#include "app/devnet.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/this_coro.hpp>

#include "app/config.hpp"
#include "app/devnet_chaos.hpp"
#include "app/fs.hpp"
#include "beaconapi/http/server.hpp"
#include "cluster/create.hpp"
#include "cluster/definition.hpp"
#include "crypto/hash/random.hpp"
#include "crypto/hash/sha256.hpp"
#include "crypto/keystore/eip2335.hpp"
#include "runtime/runtime.hpp"
#include "sim/beacon_sim.hpp"

namespace phx::app {

// ---------------------------------------------------------------------------------------------------------
// Orchestration.

namespace {

namespace fs = std::filesystem;
namespace asio = boost::asio;
using runtime::Task;

/// A free TCP port on 127.0.0.1 (bound and released; the small race with other processes is acceptable for a
/// local devnet).
Result<std::uint16_t, std::string> free_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor a(io);
  boost::system::error_code ec;
  a.open(asio::ip::tcp::v4(), ec);
  if (!ec) a.bind(asio::ip::tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0), ec);
  if (ec) return std::unexpected("cannot find a free port: " + ec.message());
  return a.local_endpoint().port();
}

std::string read_text(const fs::path& p) {
  auto b = read_file(p, 256u << 20);
  if (!b) return {};
  return std::string(b->begin(), b->end());
}

/// Writes one node folder as `phalanx create cluster` does (insecure fast keystores: a devnet).
Result<void, std::string> write_node_folder(const fs::path& dir, const cluster::NodeArtifacts& node,
                                            const std::string& lock_json) {
  std::string key_hex = to_hex(node.enr_key.bytes(), false);
  auto r = write_file_atomic(dir / "charon-enr-private-key", as_bytes(key_hex), 0600, true);
  secure_zero(key_hex.data(), key_hex.size());
  if (r) r = write_file_atomic(dir / "cluster-lock.json", as_bytes(lock_json), 0644, true);
  for (std::size_t v = 0; r && v < node.shares.size(); ++v) {
    ByteArray<16> pw_bytes{};
    crypto::hash::random_bytes(pw_bytes);
    std::string pw = to_hex(pw_bytes, false);
    crypto::keystore::EncryptOptions opts;
    opts.kdf = crypto::keystore::Kdf::kScrypt;
    opts.cost = 16;  // scrypt N=16: devnet keys only
    auto json = crypto::keystore::encrypt(node.shares[v].secret, pw, opts);
    if (!json) return std::unexpected(dir.string() + ": keystore: " + json.error().message());
    auto base = dir / "validator_keys" / ("keystore-" + std::to_string(v));
    r = write_file_atomic(fs::path(base.string() + ".json"), as_bytes(*json), 0600, true);
    if (r) r = write_file_atomic(fs::path(base.string() + ".txt"), as_bytes(pw), 0400, true);
    secure_zero(pw.data(), pw.size());
  }
  if (!r) return std::unexpected(dir.string() + ": " + r.error().message());
  return {};
}

std::string kind_of(sim::SimDuty d) {
  switch (d) {
    case sim::SimDuty::kAttestation:
      return "attestation";
    case sim::SimDuty::kProposal:
    case sim::SimDuty::kBlindedProposal:
      return "proposal";
    case sim::SimDuty::kAggregate:
      return "aggregation";
    case sim::SimDuty::kSyncMessage:
      return "sync_message";
    case sim::SimDuty::kSyncContribution:
      return "sync_contribution";
    case sim::SimDuty::kBuilderRegistration:
      return "registration";
    case sim::SimDuty::kVoluntaryExit:
      return "exit";
    case sim::SimDuty::kPrepareProposer:
      return "prepare_proposer";
    case sim::SimDuty::kCommitteeSubscription:
      return "committee_subscription";
    case sim::SimDuty::kSyncSubscription:
      return "sync_subscription";
  }
  return "unknown";
}

struct Child {
  std::string name;  ///< "node 2", "vc 2"
  std::size_t node = 0;
  fs::path log;
  ChildProcess process;
  bool expected_dead = false;  ///< killed on purpose (crash-one)
  std::optional<std::string> died;  ///< unexpected exit, with when
};

class Devnet {
 public:
  explicit Devnet(const DevnetOptions& o) : o_(o) {}

  int run() {
    if (auto v = validate(o_); !v) {
      std::fprintf(stderr, "error: %s\n", v.error().c_str());
      return 2;
    }
    if (auto s = setup(); !s) {
      std::fprintf(stderr, "error: %s\n", s.error().c_str());
      cleanup(false);
      return 2;
    }
    asio::io_context io;
    sim::BeaconSim sim(sim_config_, clock_);
    beaconapi::http::Server server(io.get_executor(), sim.router(), beaconapi::http::ServerOptions{});
    if (auto s = server.start(); !s) {
      std::fprintf(stderr, "error: beacon simulator: %s\n", s.error().message().c_str());
      cleanup(false);
      return 2;
    }
    sim_ = &sim;
    if (auto s = start_proxies(io.get_executor()); !s) {
      std::fprintf(stderr, "error: %s\n", s.error().c_str());
      cleanup(false);
      return 2;
    }
    if (auto s = spawn_children(server.port()); !s) {
      std::fprintf(stderr, "error: %s\n", s.error().c_str());
      stop_children_now();
      cleanup(false);
      return 2;
    }
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([this](const boost::system::error_code& ec, int sig) {
      if (!ec) {
        interrupted_ = true;
        chaos_stop_ = true;
        std::printf("devnet: signal %d, stopping\n", sig);
      }
    });
    asio::co_spawn(
        io,
        [&]() -> Task<void> {
          co_await drive();
          co_await stop_children();
          for (auto& p : proxies_) co_await p->stop();
          signals.cancel();
          co_await server.stop();
        },
        asio::detached);
    io.run();
    sim_ = nullptr;
    auto report = make_report(sim);
    std::fputs(render_table(report).c_str(), stdout);
    if (o_.link_delay.count() > 0) {
      // Consensus latency in units of the emulated one-way link delay d (QBFT: 3 d; the fast path: 2 d).
      const double d = static_cast<double>(o_.link_delay.count());
      std::printf("consensus in units of the link delay d = %lld ms: p50 %.2f d   p90 %.2f d   p99 %.2f d\n",
                  static_cast<long long>(o_.link_delay.count()), report.consensus_ms.p50 / d,
                  report.consensus_ms.p90 / d, report.consensus_ms.p99 / d);
    }
    if (!blame_line_.empty()) std::printf("%s\n", blame_line_.c_str());
    if (!chaos_text_.empty()) std::fputs(chaos_text_.c_str(), stdout);
    std::printf("%s\n", slashing_line_.c_str());
    for (const auto& [name, u] : usage_)
      std::printf("%-8s cpu %7.2f s   peak RSS %7.1f MB\n", name.c_str(), u.first, u.second);
    if (o_.report_file) {
      std::string text = report_to_json(report).dump(2) + "\n";
      if (auto w = write_file_atomic(*o_.report_file, as_bytes(text), 0644, true); !w)
        std::fprintf(stderr, "error: --report %s: %s\n", o_.report_file->c_str(), w.error().message().c_str());
      else
        std::printf("report written to %s\n", o_.report_file->c_str());
    }
    cleanup(report.ok);
    return report.ok ? 0 : 1;
  }

 private:
  TimePoint slot_time(std::uint64_t slot) const {
    auto ms = static_cast<std::int64_t>(chain_.genesis_time * 1000 + slot * chain_.seconds_per_slot * 1000);
    return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::milliseconds(ms)));
  }

  Result<void, std::string> setup() {
    // Working folder.
    std::error_code ec;
    if (o_.dir) {
      dir_ = *o_.dir;
      fs::create_directories(dir_, ec);
      if (ec) return std::unexpected("--dir " + dir_.string() + ": " + ec.message());
      if (!fs::is_empty(dir_, ec)) return std::unexpected("--dir " + dir_.string() + " is not empty");
    } else {
      std::string tmpl = (fs::temp_directory_path() / "phalanx-devnet-XXXXXX").string();
      if (::mkdtemp(tmpl.data()) == nullptr) return std::unexpected(std::string("mkdtemp: ") + std::strerror(errno));
      dir_ = tmpl;
      created_dir_ = true;
    }
    std::error_code ec2;
    binary_ = fs::read_symlink(o_.phalanx_binary, ec2);
    if (ec2) binary_ = o_.phalanx_binary;
    if (!fs::exists(binary_)) return std::unexpected("phalanx binary " + binary_.string() + " not found");
    std::vector<std::vector<std::uint8_t>> pubkeys;
    Root lock_hash{};
    if (o_.cluster) {
      // An existing cluster (e.g. a DKG's output): its folders are read, the nodes' own files go to dir_.
      const auto& xc = *o_.cluster;
      std::printf("devnet: running the existing %u-of-%u cluster with %zu validators (lock 0x%s) in %s\n",
                  xc.threshold, xc.nodes, xc.pubkeys.size(), to_hex(xc.lock_hash, false).c_str(),
                  dir_.c_str());
      std::fflush(stdout);
      for (std::size_t i = 0; i < xc.dirs.size(); ++i) {
        fs::path nd = dir_ / ("node" + std::to_string(i));
        fs::create_directories(nd, ec2);
        if (ec2) return std::unexpected(nd.string() + ": " + ec2.message());
        node_src_.push_back(xc.dirs[i]);
      }
      pubkeys = xc.pubkeys;
      std::copy(xc.lock_hash.begin(), xc.lock_hash.end(), lock_hash.begin());
    } else {
      // Cluster (trusted dealer). The lock names mainnet, whose genesis fork version the devnet chain reuses.
      cluster::CreateParams p;
      p.name = "phalanx devnet";
      p.nodes = o_.nodes;
      p.threshold = o_.threshold;
      p.num_validators = o_.validators;
      p.network = "mainnet";
      p.withdrawal_addresses = {"0x000000000000000000000000000000000000dEaD"};
      p.fee_recipient_addresses = {"0x1111111111111111111111111111111111111111"};
      std::printf("devnet: creating a %u-of-%u cluster with %u validators in %s\n", o_.threshold, o_.nodes,
                  o_.validators, dir_.c_str());
      std::fflush(stdout);
      auto c = cluster::create_cluster(std::move(p));
      if (!c) return std::unexpected("create cluster: " + c.error().message());
      std::string lock_json = cluster::write_lock(c->lock);
      for (std::size_t i = 0; i < c->nodes.size(); ++i) {
        fs::path nd = dir_ / ("node" + std::to_string(i));
        if (auto w = write_node_folder(nd, c->nodes[i], lock_json); !w) return std::unexpected(w.error());
        node_src_.push_back(nd);
      }
      for (const auto& v : c->lock.validators)
        pubkeys.emplace_back(v.distributed_public_key.begin(), v.distributed_public_key.end());
      lock_hash = c->lock.lock_hash;
    }
    // Each node's lock is verified here, once, before genesis is set (a 10,000-validator lock takes seconds):
    // the nodes find the marker and start at once.
    std::vector<fs::path> locks, data_dirs;
    for (std::size_t i = 0; i < node_src_.size(); ++i) {
      locks.push_back(node_src_[i] / "cluster-lock.json");
      data_dirs.push_back(dir_ / ("node" + std::to_string(i)) / "data");
    }
    if (auto v = verify_locks_once(locks, data_dirs); !v) return std::unexpected(v.error());
    // Chain: every fork up to --fork at genesis, genesis a few seconds ahead (of now: cluster creation and the
    // lock's verification are behind us).
    const auto now_s = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count());
    Root gvr = crypto::hash::sha256(lock_hash);
    chain_ = eth::devnet_config(o_.fork, now_s + static_cast<std::uint64_t>(o_.genesis_delay.count()), gvr, 0x00);
    // The nodes check the BN's genesis fork version against the lock's (mainnet's 0x00000000 for the dealer's).
    if (o_.cluster) std::copy(o_.cluster->fork_version.begin(), o_.cluster->fork_version.end(), chain_.forks[0].version.begin());
    chain_.seconds_per_slot = static_cast<std::uint64_t>(o_.slot_duration.count() / 1000);
    sim_config_.chain = chain_;
    sim_config_.builder_blocks = o_.builder;
    sim_config_.seed = get_le64(gvr.data());
    for (std::size_t v = 0; v < pubkeys.size(); ++v) {
      ByteArray<48> pk{};
      std::copy(pubkeys[v].begin(), pubkeys[v].end(), pk.begin());
      sim_config_.validators.push_back({pk, ValidatorIndex{v}});
    }
    if (o_.total_validators > o_.validators) {
      // --total-validators: the cluster's validators are the first of a larger simulated set (issue 20).
      sim_config_.total_validators = o_.total_validators;
      sim_config_.committees_per_slot = sim::committees_per_slot_for(o_.total_validators, chain_.slots_per_epoch);
    }
    return {};
  }

  /// Chaos: every node gets its own faulty beacon-node proxy in front of the simulator.
  Result<void, std::string> start_proxies(runtime::Executor ex) {
    for (std::size_t i = 0; o_.chaos && i < o_.nodes; ++i) {
      auto port = o_.base_port != 0 ? static_cast<std::uint16_t>(o_.base_port + 300 + i) : std::uint16_t{0};
      proxies_.push_back(std::make_unique<BnFaultProxy>(ex, sim_->router(), port));
      if (auto s = proxies_.back()->start(); !s) return std::unexpected(s.error());
    }
    return {};
  }

  Result<void, std::string> spawn_children(std::uint16_t bn_port) {
    const std::size_t n = o_.nodes;
    std::vector<std::uint16_t> p2p(n), vapi(n), mon(n);
    for (std::size_t i = 0; i < n; ++i) {
      for (auto* v : {&p2p[i], &vapi[i], &mon[i]}) {
        if (o_.base_port != 0) {
          *v = static_cast<std::uint16_t>(o_.base_port + (v == &p2p[i] ? 0 : v == &vapi[i] ? 1 : 2) * 100 + i);
        } else {
          auto port = free_port();
          if (!port) return std::unexpected(port.error());
          *v = *port;
        }
      }
    }
    std::vector<std::string> peers;
    for (std::size_t i = 0; i < n; ++i) peers.push_back("127.0.0.1:" + std::to_string(p2p[i]));
    for (std::size_t i = 0; i < n; ++i) {
      fs::path nd = dir_ / ("node" + std::to_string(i));
      const fs::path& src = node_src_[i];  // lock, key and keystores (nd itself for the dealer's cluster)
      NodeConfig nc;
      nc.lock_file = src / "cluster-lock.json";
      nc.private_key_file = src / "charon-enr-private-key";
      nc.data_dir = nd / "data";
      nc.beacon_node_endpoints = {"http://127.0.0.1:" +
                                  std::to_string(proxies_.empty() ? bn_port : proxies_[i]->port())};
      nc.validator_api_address = "127.0.0.1:" + std::to_string(vapi[i]);
      nc.p2p_tcp_address = peers[i];
      nc.p2p_peers = peers;
      nc.monitoring_address = "127.0.0.1:" + std::to_string(mon[i]);
      nc.signer = o_.mode == DevnetMode::kEmbedded ? SignerMode::kEmbedded : SignerMode::kVc;
      nc.keystores_dir = src / "validator_keys";
      nc.builder_api = o_.builder;
      nc.graffiti = "phalanx devnet";
      nc.duty_report_file = nd / "duties.jsonl";
      if (o_.fault == DevnetFault::kByzantineOne && i + 1 == n) nc.test_fault = TestFault::kByzantine;
      if (o_.fault == DevnetFault::kLyingBnOne && i + 1 == n) nc.test_fault = TestFault::kLyingBn;
      nc.test_link_delay = o_.link_delay;
      duty_files_.push_back(*nc.duty_report_file);
      monitoring_ports_.push_back(mon[i]);
      node_configs_.push_back(nc);
      auto child = spawn_node(nc, nd / "node.log");
      if (!child) return std::unexpected("node " + std::to_string(i) + ": " + child.error());
      children_.push_back(Child{"node " + std::to_string(i), i, nd / "node.log", std::move(*child), false, std::nullopt});
    }
    if (o_.mode == DevnetMode::kVc) {
      for (std::size_t i = 0; i < n; ++i) {
        fs::path nd = dir_ / ("node" + std::to_string(i));
        std::vector<std::string> argv = {binary_.string(),
                                         "vc-sim",
                                         "--beacon-node-endpoint",
                                         "http://127.0.0.1:" + std::to_string(vapi[i]),
                                         "--keystores-dir",
                                         (node_src_[i] / "validator_keys").string(),
                                         "--lock-file",
                                         (node_src_[i] / "cluster-lock.json").string(),
                                         "--last-slot",
                                         std::to_string(o_.slots - 1),
                                         "--stats-file",
                                         (nd / "vc-stats.json").string(),
                                         "--timeout",
                                         format_duration(std::max(o_.slot_duration, std::chrono::milliseconds(2000))),
                                         "--fee-recipient",
                                         "0x1111111111111111111111111111111111111111"};
        if (o_.builder) argv.push_back("--builder-registration");
        auto child = ChildProcess::spawn(argv, nd / "vc.log");
        if (!child) return std::unexpected("vc " + std::to_string(i) + ": " + child.error());
        children_.push_back(Child{"vc " + std::to_string(i), i, nd / "vc.log", std::move(*child), false, std::nullopt});
      }
    }
    std::printf("devnet: beacon simulator on 127.0.0.1:%u, %zu nodes (%s signer)%s, fork %s, %llu slots of %s, "
                "genesis in %llds\n",
                bn_port, n, std::string(to_string(o_.mode)).c_str(),
                o_.fault == DevnetFault::kNone ? "" : (", fault " + std::string(to_string(o_.fault))).c_str(),
                std::string(eth::fork_name(o_.fork)).c_str(), static_cast<unsigned long long>(o_.slots),
                format_duration(o_.slot_duration).c_str(), static_cast<long long>(o_.genesis_delay.count()));
    std::fflush(stdout);
    return {};
  }

  Result<ChildProcess, std::string> spawn_node(const NodeConfig& nc, const fs::path& log) {
    std::vector<std::string> argv = {binary_.string(), "run"};
    for (auto& f : to_flags(nc)) argv.push_back(std::move(f));
    return ChildProcess::spawn(argv, log);
  }

  Child* node_child(std::uint32_t node) {
    for (auto& c : children_)
      if (c.node == node && c.name.rfind("node", 0) == 0) return &c;
    return nullptr;
  }

  /// The chaos runner's hands on the node processes.
  ChaosHooks chaos_hooks() {
    ChaosHooks h;
    h.signal = [this](std::uint32_t node, int sig) {
      if (auto* c = node_child(node)) c->process.signal(sig);
    };
    h.kill = [this](std::uint32_t node) {
      if (auto* c = node_child(node)) {
        c->expected_dead = true;
        c->process.signal(SIGKILL);
      }
    };
    h.restart = [this](std::uint32_t node, std::chrono::milliseconds offset) -> Result<void, std::string> {
      auto* c = node_child(node);
      if (c == nullptr) return std::unexpected(std::string("no such node"));
      c->expected_dead = true;
      c->process.stop(std::chrono::milliseconds(0));  // SIGKILL (also when stopped) and reap
      NodeConfig nc = node_configs_[node];
      nc.test_clock_offset = offset;
      auto child = spawn_node(nc, c->log);
      if (!child) return std::unexpected("restart: " + child.error());
      c->process = std::move(*child);
      c->expected_dead = false;
      c->died.reset();
      return {};
    };
    return h;
  }

  bool faulty(std::size_t node) const { return o_.fault != DevnetFault::kNone && node + 1 == o_.nodes; }

  /// Notes children that exited unexpectedly.
  void check_children(std::uint64_t slot) {
    for (auto& c : children_) {
      if (c.expected_dead || c.died || c.process.running()) continue;
      c.died = describe_status(c.process.exit_status().value_or(0)) + " during slot " + std::to_string(slot);
      bool vc_done = c.name.rfind("vc", 0) == 0 && c.process.exit_status() && WIFEXITED(*c.process.exit_status()) &&
                     WEXITSTATUS(*c.process.exit_status()) == 0;
      if (vc_done) continue;  // a VC finishes after --last-slot
      std::printf("devnet: %s %s (log %s)\n", c.name.c_str(), c.died->c_str(), c.log.c_str());
    }
  }

  /// Successful duties so far per kind (distinct (slot, duty) over honest nodes), for the progress line. Reads
  /// only what each duty report gained since the last call: re-parsing whole files every slot, on the thread that
  /// also serves the beacon simulator, stalled the simulator after a few hundred slots of a long run.
  std::map<std::string, std::size_t> done_so_far() {
    tails_.resize(duty_files_.size());
    for (std::size_t i = 0; i < duty_files_.size(); ++i) {
      if (faulty(i)) continue;
      std::ifstream f(duty_files_[i], std::ios::binary);
      if (!f) continue;
      f.seekg(static_cast<std::streamoff>(tails_[i].first));
      std::string chunk((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
      tails_[i].first += chunk.size();
      std::string text = tails_[i].second + chunk;
      const auto cut = text.rfind('\n');
      tails_[i].second = cut == std::string::npos ? text : text.substr(cut + 1);  // a line still being written
      if (cut == std::string::npos) continue;
      for (const auto& l : parse_duty_lines(std::string_view(text).substr(0, cut + 1))) {
        auto kind = sim_kind_of_duty(l.duty);
        if (l.success && !kind.empty()) seen_[std::string(kind)].insert({l.slot, l.duty});
      }
    }
    std::map<std::string, std::size_t> out;
    for (const auto& [k, s] : seen_) out[k] = s.size();
    return out;
  }

  void progress(std::uint64_t slot) {
    std::uint64_t acc = 0, rej = 0;
    for (const auto& [d, s] : sim_->stats()) {
      acc += s.accepted;
      rej += s.rejected;
    }
    std::string duties;
    for (const auto& [k, n] : done_so_far()) duties += " " + k + "=" + std::to_string(n);
    std::printf("slot %3llu/%llu | duties done:%s | sim accepted %llu rejected %llu\n",
                static_cast<unsigned long long>(slot), static_cast<unsigned long long>(o_.slots),
                duties.empty() ? " none" : duties.c_str(), static_cast<unsigned long long>(acc),
                static_cast<unsigned long long>(rej));
    std::fflush(stdout);
  }

  Task<bool> sleep_until(TimePoint t) {
    while (!interrupted_) {
      auto left = t - clock_.now();
      if (left <= Duration::zero()) co_return true;
      co_await runtime::sleep_for(std::min<Duration>(left, std::chrono::milliseconds(100)));
    }
    co_return false;
  }

  /// Slot by slot until the last slot is over; takes the simulator's counts at that instant. The chaos
  /// runner, if any, works beside it from genesis on.
  Task<void> drive() {
    runtime::TaskGroup chaos_group(co_await asio::this_coro::executor);
    if (o_.chaos) {
      ChaosPlanOptions po;
      po.seed = o_.chaos_seed;
      po.nodes = o_.nodes;
      po.threshold = o_.threshold;
      po.slots = o_.slots;
      po.slot_duration = o_.slot_duration;
      po.kinds = parse_chaos_kinds(o_.chaos_faults).value_or(std::vector<ChaosKind>{});
      std::vector<BnFaultProxy*> proxies;
      for (auto& p : proxies_) proxies.push_back(p.get());
      chaos_ = std::make_unique<ChaosRunner>(plan_chaos(po), std::move(proxies), monitoring_ports_, chaos_hooks(),
                                             clock_, slot_time(0), o_.slot_duration);
      std::printf("devnet: chaos seed %llu: %zu faults scheduled\n", static_cast<unsigned long long>(o_.chaos_seed),
                  chaos_->episodes().size());
      chaos_group.spawn(chaos_->run(&chaos_stop_));
    }
    co_await drive_slots();
    chaos_stop_ = true;
    co_await chaos_group.join();
    // Let the nodes finish and report the last slot's duties.
    if (!interrupted_) co_await sleep_until(clock_.now() + std::chrono::milliseconds(o_.slot_duration));
  }

  Task<void> drive_slots() {
    if (!co_await sleep_until(slot_time(0))) co_return;
    std::printf("devnet: genesis\n");
    for (std::uint64_t s = 1; s <= o_.slots; ++s) {
      if (!co_await sleep_until(slot_time(s))) break;
      if (s == o_.slots) snapshot_ = sim_->stats();  // duties of slots [0, slots) only
      check_children(s);
      progress(s);  // slot s-1 is over: s slots done
      if (o_.fault == DevnetFault::kCrashOne && s == 2) {
        for (auto& c : children_) {
          if (c.node + 1 != o_.nodes) continue;
          c.expected_dead = true;
          c.process.signal(SIGKILL);
          std::printf("devnet: fault crash-one: killed %s (SIGKILL)\n", c.name.c_str());
        }
      }
    }
    if (!snapshot_) snapshot_ = sim_->stats();
  }

  /// CPU seconds (user + system) and peak RSS of a running process, from /proc.
  static std::string read_proc(const std::string& path) {
    std::ifstream f(path);  // /proc files report size 0: read as a stream
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }

  static std::optional<std::pair<double, double>> usage(pid_t pid) {
    std::string stat = read_proc("/proc/" + std::to_string(pid) + "/stat");
    auto close = stat.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream in(stat.substr(close + 2));
    std::string field;
    std::uint64_t utime = 0, stime = 0;
    for (int i = 3; i <= 15 && in >> field; ++i) {
      if (i == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
      if (i == 15) stime = std::strtoull(field.c_str(), nullptr, 10);
    }
    double cpu = static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
    std::string status = read_proc("/proc/" + std::to_string(pid) + "/status");
    double rss_mb = 0;
    if (auto pos = status.find("VmHWM:"); pos != std::string::npos)
      rss_mb = static_cast<double>(std::strtoull(status.c_str() + pos + 6, nullptr, 10)) / 1024.0;
    return std::pair<double, double>{cpu, rss_mb};
  }

  /// SIGTERM everything, give it a grace period, then SIGKILL (without blocking the simulator's thread).
  Task<void> stop_children() {
    for (auto& c : children_) {
      if (!c.process.running()) continue;
      if (auto u = usage(c.process.pid())) usage_[c.name] = *u;
    }
    for (auto& c : children_) c.process.signal(SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      bool any = false;
      for (auto& c : children_) any = c.process.running() || any;
      if (!any) break;
      co_await runtime::sleep_for(std::chrono::milliseconds(50));
    }
    stop_children_now();
  }

  void stop_children_now() {
    for (auto& c : children_) {
      int st = c.process.stop(std::chrono::milliseconds(0));
      exit_status_[c.name] = describe_status(st);
    }
  }

  /// Chaos: the verdict over what the runner did, and the slots whose duties must all complete.
  std::optional<ChaosSummary> chaos_summary(const sim::BeaconSim& sim, std::vector<sim::ExpectedDuties>& per_slot) {
    if (!chaos_) return std::nullopt;
    ChaosInputs ci;
    ci.episodes = chaos_->episodes();
    ci.slots = o_.slots;
    ci.slot_duration = o_.slot_duration;
    ci.nodes = o_.nodes;
    ci.threshold = o_.threshold;
    for (std::uint64_t s = 0; s < o_.slots; ++s) {
      per_slot.push_back(sim.expected_duties(Slot{s}, Slot{s + 1}));
      ci.expected_per_slot["attestation"].push_back(per_slot.back().attestations);
      ci.expected_per_slot["proposal"].push_back(per_slot.back().proposals);
      if (o_.fork >= eth::Fork::kAltair) ci.expected_per_slot["sync_message"].push_back(per_slot.back().sync_messages);
    }
    for (const auto& f : duty_files_) ci.node_lines.push_back(parse_duty_lines(read_text(f)));
    ci.round1_leaders = round1_leaders_of_late_kinds(chain_, o_.nodes, o_.slots);
    return summarize_chaos(ci);
  }


  DevnetReport make_report(const sim::BeaconSim& sim) {
    ReportInputs in;
    std::vector<sim::ExpectedDuties> per_slot;
    auto cs = chaos_summary(sim, per_slot);
    // Under chaos the table covers the slots with at most f nodes disrupted (every other slot is only counted
    // in the chaos section).
    auto asserted = [&](std::string_view kind, std::uint64_t slot) {
      if (!cs) return true;
      return kind.empty() ? slot < cs->covered.size() && cs->covered[slot] : cs->asserts(std::string(kind), slot);
    };
    sim::ExpectedDuties e;
    if (!cs) {
      e = sim.expected_duties(Slot{0}, Slot{o_.slots});
    } else {
      bool agg_exact = true;
      for (std::uint64_t s = 0; s < per_slot.size(); ++s) {
        const auto& x = per_slot[s];
        if (asserted("attestation", s)) e.attestations += x.attestations;
        if (asserted("proposal", s)) e.proposals += x.proposals;
        if (asserted("aggregation", s)) {
          e.aggregations_max += x.aggregations_max;
          agg_exact = agg_exact && x.aggregations_min == x.aggregations_max;
        }
        if (asserted("sync_message", s)) e.sync_messages += x.sync_messages;
        if (asserted("sync_contribution", s)) e.contributions_max += x.contributions_max;
      }
      e.aggregations_min = agg_exact ? e.aggregations_max : 0;
    }
    in.expected["attestation"] = {e.attestations, true};
    // Like a real BN, the simulator lists a proposer for slot 0 (the genesis block); nodes skip it and
    // expected_duties leaves it out.
    in.expected["proposal"] = {e.proposals, true};
    in.expected["aggregation"] = {e.aggregations_max, e.aggregations_min == e.aggregations_max};
    if (o_.fork >= eth::Fork::kAltair) {
      in.expected["sync_message"] = {e.sync_messages, true};
      in.expected["sync_contribution"] = {e.contributions_max, false};
    }
    if (o_.builder) in.expected["registration"] = {o_.validators, false};
    auto stats = snapshot_ ? *snapshot_ : sim.stats();
    for (const auto& [d, s] : stats) {
      in.accepted[kind_of(d)] += s.accepted;
      in.rejected[kind_of(d)] += s.rejected;
    }
    for (std::size_t i = 0; i < duty_files_.size(); ++i) {
      std::vector<DutyLine> lines;
      for (auto& l : parse_duty_lines(read_text(duty_files_[i])))
        if (l.slot < o_.slots && asserted(sim_kind_of_duty(l.duty), l.slot)) lines.push_back(std::move(l));
      in.node_lines.push_back(std::move(lines));
      in.node_faulty.push_back(faulty(i));
    }
    if (cs) in.failures_warn_only.insert("sync_contribution");
    auto r = build_report(in);
    if (cs) {
      for (const auto& p : cs->problems) r.problems.push_back(p);
      chaos_text_ = cs->text;
      ssz::Json cj = cs->json;
      cj["seed"] = o_.chaos_seed;
      ssz::Json pj = ssz::Json::object();
      for (std::size_t i = 0; i < proxies_.size(); ++i) {
        ssz::Json c = ssz::Json::object();
        for (const auto& [mode, n] : proxies_[i]->counts()) c[mode] = n;
        pj["node " + std::to_string(i)] = std::move(c);
      }
      cj["bn_proxy_requests"] = std::move(pj);
      r.extra["chaos"] = std::move(cj);
    }
    for (const auto& c : children_) {
      if (!c.died || faulty(c.node)) continue;
      bool vc_done = c.name.rfind("vc", 0) == 0 && c.died->rfind("exited 0", 0) == 0;
      if (!vc_done) r.problems.push_back(c.name + " " + *c.died + " (log " + c.log.string() + ")");
    }
    // Blame: which share indices the honest nodes blamed (bad partial signatures, equivocation).
    std::map<std::uint32_t, std::uint64_t> blamed;
    for (std::size_t i = 0; i < in.node_lines.size(); ++i)
      if (!faulty(i))
        for (const auto& l : in.node_lines[i])
          for (auto b : l.blamed) ++blamed[b];
    ssz::Json bj = ssz::Json::object();
    for (const auto& [share, count] : blamed) bj[std::to_string(share)] = count;
    r.extra["blamed_shares"] = std::move(bj);
    if (!blamed.empty()) {
      std::string line = "blamed share indices (count over honest nodes' duty reports):";
      for (const auto& [share, count] : blamed) line += " " + std::to_string(share) + "x" + std::to_string(count);
      blame_line_ = line;
    }
    if (o_.fault == DevnetFault::kByzantineOne && !blamed.contains(o_.nodes))
      r.problems.push_back("the byzantine node (share " + std::to_string(o_.nodes) + ") was never blamed");
    if (interrupted_) r.problems.push_back("interrupted before the last slot");
    // The simulator's slashing oracle: any slashable pair among the validly signed messages it received fails
    // the run, whoever sent them (the nodes' own slashing databases are not consulted).
    const auto& offences = sim.slashing_oracle().offences();
    ssz::Json oj = ssz::Json::array();
    for (const auto& off : offences) {
      oj.push_back({{"kind", std::string(sim::to_string(off.kind))}, {"validator", off.validator.value},
                    {"detail", off.detail}});
      if (r.problems.size() < 20)
        r.problems.push_back(std::string("slashable: ") + sim::to_string(off.kind) + " by validator " +
                             std::to_string(off.validator.value) + " (" + off.detail + ")");
    }
    r.extra["slashable_offences"] = std::move(oj);
    slashing_line_ = "slashing oracle: " + std::to_string(offences.size()) +
                     " slashable pairs among the signed messages the beacon simulator received";
    r.ok = r.problems.empty();
    ssz::Json opts = ssz::Json::object();
    opts["nodes"] = o_.nodes;
    opts["threshold"] = o_.threshold;
    opts["validators"] = o_.validators;
    opts["total_validators"] = o_.total_validators;
    opts["slots"] = o_.slots;
    opts["slot_duration_ms"] = o_.slot_duration.count();
    opts["mode"] = std::string(to_string(o_.mode));
    opts["fault"] = std::string(to_string(o_.fault));
    opts["fork"] = std::string(eth::fork_name(o_.fork));
    opts["builder"] = o_.builder;
    opts["chaos"] = o_.chaos;
    r.extra["options"] = std::move(opts);
    r.extra["dir"] = dir_.string();
    r.extra["simulator"] = sim.stats_json();
    ssz::Json vcs = ssz::Json::array();
    for (std::size_t i = 0; o_.mode == DevnetMode::kVc && i < o_.nodes; ++i) {
      auto j = ssz::parse_json(read_text(dir_ / ("node" + std::to_string(i)) / "vc-stats.json"));
      vcs.push_back(j ? *j : ssz::Json());
    }
    r.extra["vc_stats"] = std::move(vcs);
    ssz::Json exits = ssz::Json::object();
    for (const auto& [name, st] : exit_status_) exits[name] = st;
    r.extra["exit_status"] = std::move(exits);
    ssz::Json res = ssz::Json::object();
    for (const auto& [name, u] : usage_) res[name] = {{"cpu_s", u.first}, {"peak_rss_mb", u.second}};
    r.extra["resources"] = std::move(res);
    return r;
  }

  void cleanup(bool ok) {
    if (dir_.empty()) return;
    if (o_.keep || !ok) {
      std::printf("devnet: files, logs and duty reports kept in %s\n", dir_.c_str());
      return;
    }
    std::error_code ec;
    if (created_dir_)
      fs::remove_all(dir_, ec);
    else
      for (const auto& e : fs::directory_iterator(dir_, ec)) fs::remove_all(e.path(), ec);
  }

  const DevnetOptions& o_;
  SystemClock clock_;
  fs::path dir_;
  bool created_dir_ = false;
  fs::path binary_;
  eth::ChainConfig chain_;
  sim::BeaconSimConfig sim_config_;
  sim::BeaconSim* sim_ = nullptr;
  std::vector<Child> children_;
  std::vector<fs::path> node_src_;  ///< per node: the folder holding its lock, key and keystores
  std::vector<fs::path> duty_files_;
  std::optional<std::map<sim::SimDuty, sim::SubmissionStats>> snapshot_;
  std::map<std::string, std::string> exit_status_;
  std::map<std::string, std::pair<double, double>> usage_;  ///< name → (CPU s, peak RSS MB) at the end
  std::string blame_line_;
  std::string slashing_line_;  // the slashing oracle's count, printed after the table
  bool interrupted_ = false;
  std::vector<std::uint16_t> monitoring_ports_;      ///< per node
  std::vector<NodeConfig> node_configs_;             ///< per node: how it was started (restarts reuse it)
  std::vector<std::unique_ptr<BnFaultProxy>> proxies_;  ///< chaos: per node
  std::unique_ptr<ChaosRunner> chaos_;
  bool chaos_stop_ = false;
  std::string chaos_text_;  // the chaos section, printed after the table
  std::vector<std::pair<std::size_t, std::string>> tails_;  ///< per duty report: bytes read, unfinished line
  std::map<std::string, std::set<std::pair<std::uint64_t, std::string>>> seen_;  ///< done_so_far()
};

}  // namespace

int run_devnet(const DevnetOptions& options) {
  Devnet d(options);
  return d.run();
}

}  // namespace phx::app
