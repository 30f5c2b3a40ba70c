// `phalanx vc-sim`: the validator-client simulator (src/sim/vc_sim) as a process, holding the share keystores
// of one node folder and talking only the Beacon API to that node's validator API (or to a beacon node with
// full keys). `phalanx devnet` runs one per node in vc mode.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "app/config.hpp"
#include "app/fs.hpp"
#include "base/log.hpp"
#include "cluster/definition.hpp"
#include "commands.hpp"
#include "sim/vc_sim.hpp"

namespace phx::tools {
namespace {

namespace asio = boost::asio;
namespace http = beaconapi::http;

struct VcSimOptions {
  std::vector<std::string> endpoints;
  std::string keystores_dir;
  std::string lock_file;
  std::string slashing_db;
  std::string stats_file;
  std::string timeout = "4s";
  std::string fee_recipient;
  std::string log_level = "info";
  std::uint64_t gas_limit = 36'000'000;
  std::int64_t last_slot = -1;
  bool dvt_selections = true;
  bool builder_registration = false;
};

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "error: %s\n", msg.c_str());
  return 2;
}

int vc_sim_cmd(const VcSimOptions& o) {
  if (!log::set_level(o.log_level)) return usage_error("--log-level: unknown level \"" + o.log_level + "\"");
  sim::VcSimConfig cfg;
  for (const auto& url : o.endpoints) {
    auto ep = http::Endpoint::parse(url);
    if (!ep) return usage_error("--beacon-node-endpoint " + url + ": not http://host:port");
    cfg.endpoints.push_back(*ep);
  }
  if (cfg.endpoints.empty()) return usage_error("--beacon-node-endpoint is required");
  auto timeout = app::parse_duration(o.timeout);
  if (!timeout || timeout->count() == 0) return usage_error("--timeout: " + (timeout ? "must be positive" : timeout.error()));
  cfg.timeout = *timeout;
  cfg.dvt_selections = o.dvt_selections;
  cfg.builder_registration = o.builder_registration;
  cfg.gas_limit = o.gas_limit;
  if (!o.fee_recipient.empty()) {
    auto fr = from_hex(o.fee_recipient);
    if (!fr || fr->size() != 20) return usage_error("--fee-recipient: not a 20-byte 0x address");
    std::copy(fr->begin(), fr->end(), cfg.fee_recipient.begin());
  }
  if (!o.slashing_db.empty()) cfg.slashing_db = o.slashing_db;
  if (o.last_slot >= 0) cfg.last_slot = Slot{static_cast<std::uint64_t>(o.last_slot)};
  if (o.keystores_dir.empty()) return usage_error("--keystores-dir is required");
  auto keys = sim::load_keystores(o.keystores_dir);
  if (!keys) return usage_error("--keystores-dir: " + keys.error());
  if (!o.lock_file.empty()) {
    // Share → DV key, for builder registrations (the node registers the DV key).
    auto bytes = app::read_file(o.lock_file, app::kMaxLockFileSize);
    if (!bytes) return usage_error("--lock-file " + o.lock_file + ": " + bytes.error().message());
    auto lock = cluster::parse_lock(std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()));
    if (!lock) return usage_error("--lock-file " + o.lock_file + ": " + lock.error().message());
    for (const auto& v : lock->validators)
      for (const auto& share : v.public_shares) cfg.dv_pubkeys[share] = v.distributed_public_key;
  }

  asio::io_context io;
  SystemClock clock;
  sim::VcSim vc(cfg, std::move(*keys), clock);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) vc.request_stop();
  });
  Result<void, std::string> result = std::unexpected(std::string("did not run"));
  asio::co_spawn(
      io,
      [&]() -> runtime::Task<void> {
        result = co_await vc.run();
        signals.cancel();
      },
      asio::detached);
  io.run();

  auto stats = vc.stats().to_json();
  std::string text = stats.dump();
  std::printf("vc-sim stats %s\n", text.c_str());
  if (!o.stats_file.empty()) {
    text += "\n";
    auto w = app::write_file_atomic(o.stats_file, as_bytes(text), 0644, true);
    if (!w) std::fprintf(stderr, "error: --stats-file %s: %s\n", o.stats_file.c_str(), w.error().message().c_str());
  }
  if (!result) {
    std::fprintf(stderr, "error: %s\n", result.error().c_str());
    return 1;
  }
  return 0;
}

}  // namespace

void add_vc_sim_command(CLI::App& root) {
  auto o = std::make_shared<VcSimOptions>();
  auto* c = root.add_subcommand("vc-sim", "Validator-client simulator: performs every duty over the Beacon API");
  c->add_option("--beacon-node-endpoint", o->endpoints,
                "Validator API of the node (or a beacon node), http://host:port; repeat for fallbacks")
      ->delimiter(',');
  c->add_option("--keystores-dir", o->keystores_dir,
                "Folder of keystore-N.json + keystore-N.txt (share keys of one node, or full keys)");
  c->add_option("--lock-file", o->lock_file,
                "Cluster lock: maps share keys to DV keys for builder registrations against a DV node");
  c->add_option("--last-slot", o->last_slot, "Stop after this slot's duties (default: run until SIGTERM)");
  c->add_option("--dvt-selections", o->dvt_selections,
                "Exchange selection proofs through the DVT selection endpoints (true against a DV node)")
      ->default_val(true);
  c->add_flag("--builder-registration", o->builder_registration, "Register with the builder once");
  c->add_option("--fee-recipient", o->fee_recipient, "Fee recipient of registrations (0x…, 20 bytes)");
  c->add_option("--gas-limit", o->gas_limit, "Gas limit of registrations")->default_val(36'000'000);
  c->add_option("--slashing-db", o->slashing_db, "Slashing-protection database file (default: in memory)");
  c->add_option("--stats-file", o->stats_file, "Write the final counters here as JSON");
  c->add_option("--timeout", o->timeout, "Timeout of one Beacon API call")->default_val("4s");
  c->add_option("--log-level", o->log_level, "trace, debug, info, warn, error")->default_val("info");
  c->callback([o] { std::exit(vc_sim_cmd(*o)); });
}

}  // namespace phx::tools
