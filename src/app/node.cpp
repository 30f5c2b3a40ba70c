// `phalanx run`: the wiring of one DV node (Charon's app.Wire), in one place. Order of start:
// lock + keys → beacon node (chain config, retried until reachable) → slashing DB → p2p node with the QBFT
// driver and the partial-signature transport → workflow (core) with its adapters → validator API (vc mode)
// → monitoring endpoint → scheduler. Stop is the reverse. Everything runs on one io thread.
#include "app/node.hpp"
#include "app/node_impl.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <fstream>
#include <memory>
#include <tuple>

#include "app/bn_adapter.hpp"
#include "app/bn_events.hpp"
#include "app/cluster_setup.hpp"
#include "app/consensus.hpp"
#include "app/doppelganger.hpp"
#include "app/fs.hpp"
#include "app/monitor.hpp"
#include "app/operator_api.hpp"
#include "app/parsigex.hpp"
#include "app/signer.hpp"
#include "app/status.hpp"
#include "app/vapi_backend.hpp"
#include "base/bytes.hpp"
#include "base/log.hpp"
#include "beaconapi/http/monitoring.hpp"
#include "beaconapi/vapi/validator_api.hpp"
#include "cluster/definition.hpp"
#include "cluster/enr.hpp"
#include "cluster/lock_verify.hpp"
#include "cluster/network.hpp"
#include "core/workflow.hpp"
#include "dv/k1_signer.hpp"
#include "dv/parsig_transport.hpp"
#include "dv/qbft_driver.hpp"
#include "metrics/registry.hpp"
#include "p2p/node.hpp"
#include "slashing/store.hpp"

namespace phx::app {

namespace asio = boost::asio;
namespace http = beaconapi::http;
namespace k1 = crypto::k1;
using runtime::Task;

namespace {

/// How long a round-1 attestation proposal's head root may be asked of our BN before it counts as known.
constexpr Duration kHeadCheckTimeout = std::chrono::milliseconds(400);

/// "host:port" → (host, port). Errors: a message naming `flag`.
Result<std::pair<std::string, std::uint16_t>, std::string> split_address(std::string_view text,
                                                                           std::string_view flag) {
  auto ep = p2p::Endpoint::parse(text);
  if (!ep) return std::unexpected("--" + std::string(flag) + ": expected host:port, got \"" + std::string(text) + "\"");
  return std::pair{ep->host, ep->port};
}

}  // namespace

namespace node_detail {

Task<Result<void, std::string>> DvNode::start() {
  // The data directory first, locked for the node's whole life (also while it waits for its beacon node).
  std::error_code ec;
  std::filesystem::create_directories(cfg_.data_dir, ec);
  if (ec) co_return std::unexpected("--data-dir: cannot create " + cfg_.data_dir.string() + ": " + ec.message());
  ::chmod(cfg_.data_dir.c_str(), 0700);
  auto dir_lock = DataDirLock::acquire(cfg_.data_dir);
  if (!dir_lock)
    co_return std::unexpected("--data-dir: " + cfg_.data_dir.string() + "/phalanx.lock: " + dir_lock.error().message() +
                              " (is another node or `phalanx slashing` using this data directory?)");
  data_dir_lock_.emplace(std::move(*dir_lock));

  const auto ex = io_.get_executor();
  background_ = std::make_unique<runtime::TaskGroup>(ex);

  // Beacon node(s).
  std::vector<http::Endpoint> endpoints;
  for (const auto& url : cfg_.beacon_node_endpoints) {
    auto ep = http::Endpoint::parse(url);
    if (!ep) co_return std::unexpected("--beacon-node-endpoints: bad URL \"" + url + "\"");
    endpoints.push_back(*ep);
  }
  http::BnClientOptions bn_opts;
  bn_opts.timeout = cfg_.beacon_node_timeout;
  bn_opts.observer = [this](std::size_t bn, Duration elapsed, bool ok) {
    if (monitor_) monitor_->on_bn_call(bn, elapsed, ok);
  };
  bn_opts.on_selected = [this](std::size_t bn, std::string_view call) {
    if (monitor_) monitor_->on_bn_selected(bn, call);
  };
  bn_client_ = std::make_unique<http::BeaconNodeClient>(endpoints, bn_opts);
  bn_ = std::make_unique<BeaconNodeAdapter>(*bn_client_);
  for (int attempt = 0;; ++attempt) {
    auto c = co_await bn_client_->chain_config();
    if (c) {
      chain_ = *c;
      if (auto ok = co_await bn_->chain_config(); !ok) continue;  // the adapter learns the fork schedule
      break;
    }
    // A BN that answers 200 with a body Phalanx cannot use is reachable but incompatible (wrong preset, an
    // unknown fork schedule): say so, it will not fix itself by waiting.
    const bool incompatible = c.error().code == make_error_code(http::HttpError::kBadBody);
    if (incompatible) {
      if (attempt % 10 == 0)
        log::error("beacon node is reachable but incompatible: {}; retrying every 5 s", c.error().message);
      co_await runtime::sleep_for(std::chrono::seconds(5));
      continue;
    }
    if (attempt % 10 == 0) log::warn("beacon node not reachable yet ({}); retrying", c.error().message);
    co_await runtime::sleep_for(std::chrono::milliseconds(500));
  }
  if (chain_.forks[0].version != setup_.lock.definition.fork_version)
    co_return std::unexpected("the beacon node's genesis fork version " + to_hex(chain_.forks[0].version) +
                              " is not the lock's " + to_hex(setup_.lock.definition.fork_version) +
                              " (wrong network?)");
  // The containers this build signs with are one preset's (eth/preset.hpp: mainnet, or minimal when built with
  // -DPHX_PRESET=minimal): another preset's blocks and sync aggregates hash to other roots. Refuse rather than
  // sign blocks the beacon node would reject.
  if (chain_.preset != eth::kCompiledPreset)
    co_return std::unexpected(
        "the beacon node runs the " + std::string(eth::preset_name(chain_.preset)) + " preset; this Phalanx build " +
        "signs with the " + std::string(eth::preset_name(eth::kCompiledPreset)) + " preset's containers only" +
        (eth::kCompiledPreset == eth::Preset::kMainnet
             ? std::string(" (mainnet, sepolia, holesky, hoodi and devnets with PRESET_BASE mainnet)") +
                   (chain_.preset == eth::Preset::kMinimal
                        ? "; for a minimal-preset chain (e.g. `lodestar dev`'s default) use a minimal build: "
                          "PHX_PRESET=minimal scripts/build.sh phalanx (build/minimal/bin/phalanx)"
                        : "")
             : std::string(" (a minimal build: for mainnet-preset networks use the default build)")));
  if (cfg_.test_clock_offset.count() != 0)
    log::warn("TEST ONLY: this node's clock is shifted by {} ms (--test-clock-offset)", cfg_.test_clock_offset.count());
  log::info("chain: genesis {}, {} s slots, fork at genesis epoch: {}", chain_.genesis_time, chain_.seconds_per_slot,
            eth::fork_name(chain_.fork_at(Epoch{0})));
  MonitorOptions mon;
  mon.operators = static_cast<std::uint32_t>(setup_.operators.size());
  mon.threshold = setup_.book.threshold();
  mon.self = setup_.self.value;
  mon.validators = setup_.book.size();
  mon.vc_mode = cfg_.signer == SignerMode::kVc;
  mon.slot_duration = std::chrono::seconds(chain_.seconds_per_slot);
  mon.slots_per_epoch = chain_.slots_per_epoch;
  mon.beacon_nodes = endpoints.size();
  mon.genesis_time = chain_.genesis_time;
  monitor_ = std::make_unique<NodeMonitor>(registry_, clock_, mon);

  // Slashing protection.
  auto db = slashing::SlashingDb::open(cfg_.data_dir / "slashing.sqlite", chain_.genesis_validators_root);
  if (!db) co_return std::unexpected("slashing database: " + db.error().message());
  slashing_db_.emplace(std::move(*db));
  guard_ = std::make_unique<SlashingDbGuard>(*slashing_db_, chain_);

  const ShareIdx share_idx{setup_.self.value + 1};
  if (cfg_.signer == SignerMode::kEmbedded) {
    // All cores decrypt while the node starts, the keys of upcoming duties first (a duty whose key is not
    // there yet fails with key_not_loaded); the keystore cache in the data folder makes later starts one KDF.
    KeyLoadOptions kopts;
    kopts.cache_file = cfg_.data_dir / "keystore-cache";
    auto keys = start_share_keys(cfg_.keystores_dir, setup_.book, share_idx, kopts);
    if (!keys) co_return std::unexpected("--keystores-dir: " + keys.error());
    share_keys_ = std::move(*keys);
    signer_ = std::make_unique<ShareSigner>(chain_, share_keys_, share_idx,
                                            cfg_.test_fault == TestFault::kBadPartials ||
                                                cfg_.test_fault == TestFault::kByzantine);
  }

  // p2p with the QBFT driver and the partial-signature transport.
  auto listen = p2p::Endpoint::parse(cfg_.p2p_tcp_address);
  if (!listen) co_return std::unexpected("--p2p-tcp-address: expected host:port");
  p2p::PeerSetConfig peers;
  peers.lock_hash = setup_.lock.lock_hash;
  peers.operators = setup_.operators;
  peers.self = setup_.self;
  peers.addresses = setup_.addresses;
  p2p::NodeOptions p2p_opts;
  p2p_opts.listen = *listen;
  p2p_opts.test_send_delay = cfg_.test_link_delay;
  p2p_opts.clock = &clock_;
  auto node = p2p::Node::create(ex, peers, k1::SecretKey::from_bytes(key_.bytes()).value(), p2p_opts);
  if (!node) co_return std::unexpected("p2p: " + node.error().message());
  p2p_ = std::move(*node);
  p2p_->set_local_info(p2p::PeerInfoExtension{kPhalanxVersion, monitor_->start_time(), 0, "", ""});
  const auto n = static_cast<std::uint32_t>(setup_.operators.size());
  dv::QbftDriverOptions qopts;
  qopts.registry = &registry_;
  qopts.clock = &clock_;
  qopts.test_equivocate = cfg_.test_fault == TestFault::kEquivocate || cfg_.test_fault == TestFault::kByzantine;
  auto signer = std::make_shared<dv::K1Signer>(k1::SecretKey::from_bytes(key_.bytes()).value());
  auto verifier = std::make_shared<dv::K1Verifier>(setup_.operators);
  auto qbft = dv::QbftDriver::create(ex, *p2p_, setup_.self, n, signer, verifier, qopts);
  if (!qbft) co_return std::unexpected("qbft: " + qbft.error().message());
  qbft_ = std::move(*qbft);
  dv::ParSigTransportOptions popts;
  popts.registry = &registry_;
  auto transport = dv::ParSigTransport::create(*p2p_, setup_.self, n, popts);
  if (!transport) co_return std::unexpected("parsigex: " + transport.error().message());
  parsig_transport_ = std::move(*transport);
  if (auto ok = p2p_->start(); !ok)
    co_return std::unexpected("--p2p-tcp-address: cannot listen on " + cfg_.p2p_tcp_address + ": " + ok.error().message());
  consensus_ = std::make_unique<ConsensusAdapter>(*qbft_, chain_, setup_.book);
  consensus_->set_lying_bn_for_tests(cfg_.test_fault == TestFault::kLyingBn);
  consensus_->set_unknown_head_for_tests(cfg_.test_fault == TestFault::kUnknownHead);
  // "Head known to its BN" (issue 17): a round-1 attestation proposal's head root is asked of our BN, at most
  // kHeadCheckTimeout (round 1 lasts 1 s); no answer in time counts as known.
  consensus_->set_head_check(
      [this](Root root) -> Task<std::optional<bool>> {
        auto r = co_await bn_client_->block_known(root, kHeadCheckTimeout);
        if (!r) co_return std::nullopt;
        co_return *r;
      },
      ex);
  consensus_->subscribe_decided(
      [this](const core::Duty& duty, const core::UnsignedDataSet& set) { bn_->on_decided(duty, set); });
  parsigex_ = std::make_unique<ParSigExAdapter>(*parsig_transport_);

  // The duty workflow.
  core::WorkflowOptions wopts;
  wopts.mode = cfg_.signer == SignerMode::kEmbedded ? core::SigningMode::kEmbedded : core::SigningMode::kValidatorClient;
  wopts.share_idx = share_idx;
  wopts.builder = cfg_.builder_api;
  std::copy_n(cfg_.graffiti.begin(), std::min<std::size_t>(cfg_.graffiti.size(), 32), wopts.graffiti.begin());
  if (!setup_.lock.definition.validators.empty()) {
    auto fee = from_hex(setup_.lock.definition.validators[0].fee_recipient_address);
    if (fee && fee->size() == wopts.fee_recipient.size()) std::copy(fee->begin(), fee->end(), wopts.fee_recipient.begin());
  }
  // Each validator's own fee recipient (definition.validators[i] belongs to lock.validators[i]).
  for (std::size_t i = 0; i < setup_.lock.validators.size() && i < setup_.lock.definition.validators.size(); ++i) {
    auto fee = from_hex(setup_.lock.definition.validators[i].fee_recipient_address);
    const auto& key = setup_.lock.validators[i].distributed_public_key;
    if (!fee || fee->size() != eth::ExecutionAddress{}.size() || key.size() != core::PubKey{}.size()) continue;
    core::PubKey pk;
    std::copy(key.begin(), key.end(), pk.begin());
    eth::ExecutionAddress addr;
    std::copy(fee->begin(), fee->end(), addr.begin());
    wopts.fee_recipients[pk] = addr;
  }
  if (setup_.lock.definition.target_gas_limit != 0) wopts.gas_limit = setup_.lock.definition.target_gas_limit;
  core::WorkflowPorts ports{*bn_, *consensus_, *parsigex_, *guard_, signer_.get(), clock_};
  if (cfg_.doppelganger_protection) {
    // Before the workflow exists: nothing is signed until the watch allows it; the peers' partials it needs
    // arrive through the same subscription as the workflow's.
    std::vector<core::PubKey> keys;
    for (const auto& [pk, v] : setup_.book.validators()) keys.push_back(pk);
    doppelganger_ = std::make_unique<DoppelgangerDriver>(*bn_, chain_, clock_, keys,
                                                          core::doppelganger_min_peers(n, setup_.book.threshold()));
    ports.gate = &doppelganger_->watch();
    parsigex_->subscribe_received([this](const core::Duty& d, const core::PubKey& pk, const core::ParSignedData& p) {
      doppelganger_->on_peer_partial(d, pk, p.share_idx);
    });
  } else {
    log::warn("doppelganger protection is off (--doppelganger-protection=false): signing from the first duty");
  }
  workflow_ = std::make_unique<core::Workflow>(ex, chain_, setup_.book, ports, wopts);
  if (cfg_.duty_report_file) {
    report_ = std::make_unique<std::ofstream>(*cfg_.duty_report_file, std::ios::app);
    if (!*report_) co_return std::unexpected("--duty-report-file: cannot open " + cfg_.duty_report_file->string());
  }
  if (share_keys_ && !share_keys_->done()) {
    workflow_->subscribe_duties([keys = share_keys_, &sc = workflow_->scheduler().clock()](
                                    Epoch epoch, const core::EpochDuties& duties) {
      keys->on_duties(duties, sc.epoch_start(epoch));
    });
    // The first slot whose attestations (at 1/3 of the slot) are still ahead: keys of earlier duties wait, so a
    // node decrypting more slowly than its duties come loads keys that are used before their signing time.
    // Self-contained (the decryption threads may outlive this node's members).
    share_keys_->set_current_slot([sc = workflow_->scheduler().clock(), offset = cfg_.test_clock_offset] {
      const TimePoint genesis = sc.slot_start(Slot{0});
      const TimePoint shifted = std::chrono::system_clock::now() + offset -
                                (sc.tick_time(Slot{0}, core::SlotTick::kOneThird) - genesis);
      return shifted < genesis ? Slot{0} : Slot{sc.slot_at(shifted).value + 1};
    });
  }
  workflow_->subscribe_results([this](const core::DutyResult& result) {
    core::DutyResult r = result;  // with the consensus round, for the report file and the explain API
    std::tie(r.report.round, r.report.round_decided) = consensus_->round(r.report.duty);
    if (r.report.success)
      log::info("duty {} done ({} validators)", core::to_string(r.report.duty), r.validators);
    else if (r.report.expected)
      log::debug("duty {} not done: {}", core::to_string(r.report.duty), r.report.reason);
    else
      log::warn("duty {} failed at {}: {} (verdict {}): {}", core::to_string(r.report.duty),
                r.report.failed_step ? core::to_string(*r.report.failed_step) : "?",
                core::reason_info(r.report.code).code, core::to_string(core::reason_info(r.report.code).verdict),
                r.report.reason);
    if (report_) {
      *report_ << core::to_json_line(r) << '\n';
      report_->flush();
    }
    if (operator_api_) operator_api_->on_result(r);
    monitor_->on_result(r);
  });

  // Validator API for the VC.
  if (cfg_.signer == SignerMode::kVc) {
    backend_ = std::make_unique<WorkflowBackend>(*workflow_, setup_.book, share_idx, clock_);
    auto addr = split_address(cfg_.validator_api_address, "validator-api-address");
    if (!addr) co_return std::unexpected(addr.error());
    beaconapi::vapi::Options vopts;
    vopts.server.address = addr->first;
    vopts.server.port = addr->second;
    vopts.beacon_nodes = endpoints;
    vopts.backend_timeout = std::chrono::seconds(chain_.seconds_per_slot * 2);
    vapi_ = std::make_unique<beaconapi::vapi::ValidatorApi>(ex, *backend_, vopts, clock_);
    if (auto ok = vapi_->start(); !ok)
      co_return std::unexpected("--validator-api-address: cannot listen on " + cfg_.validator_api_address + ": " +
                                ok.error().message());
    log::info("validator API on {}:{}", addr->first, vapi_->port());
  }

  // Monitoring.
  register_metrics();
  auto maddr = split_address(cfg_.monitoring_address, "monitoring-address");
  if (!maddr) co_return std::unexpected(maddr.error());
  monitoring_router_ = std::make_unique<http::Router>(
      http::make_monitoring_router(registry_, [] { return true; }, [this] { return readiness(); }));
  // Operator API (voluntary exits) beside the monitoring routes; loopback monitoring addresses only.
  OperatorApiOptions oopts;
  oopts.exits_file = cfg_.data_dir / "exits.json";
  oopts.partials_file = cfg_.data_dir / "exit-partials.json";
  oopts.embedded = cfg_.signer == SignerMode::kEmbedded;
  oopts.loopback = is_loopback_host(maddr->first);
  oopts.share_idx = share_idx;
  oopts.duty_report_file = cfg_.duty_report_file;
  operator_api_ = std::make_unique<OperatorApi>(
      chain_, setup_.book, clock_, [this](const core::PubKey& pk, Epoch e) { return workflow_->request_exit(pk, e); },
      oopts);
  if (auto ok = operator_api_->load(); !ok) co_return std::unexpected("exits: " + ok.error());
  operator_api_->add_routes(*monitoring_router_);
  add_status_routes();
  operator_api_->set_peers([this] {
    std::vector<core::PeerView> out;
    const auto& pm = p2p_->metrics().peers;
    for (std::uint32_t i = 0; i < setup_.operators.size(); ++i) {
      core::PeerView v;
      v.connected = i == setup_.self.value || p2p_->connected(OperatorIdx{i});
      if (i < pm.size() && i != setup_.self.value) {
        if (pm[i].rtt_ms > 0) v.rtt_ms = pm[i].rtt_ms;
        if (pm[i].clock_offset_ms != 0) v.clock_offset_ms = pm[i].clock_offset_ms;
      }
      out.push_back(v);
    }
    return out;
  });
  parsigex_->subscribe_received([this](const core::Duty& d, const core::PubKey& pk, const core::ParSignedData& p) {
    if (operator_api_->on_partial(d, pk, p)) monitor_->on_late_partial(d, p.share_idx);
  });
  parsigex_->subscribe_sent([this](const core::Duty& d, const core::PubKey& pk, const core::ParSignedData& p) {
    operator_api_->on_sent(d, pk, p);
  });
  bn_->subscribe_exits(
      [this](const core::PubKey& pk, Epoch e, std::string_view err) { operator_api_->on_submitted(pk, e, err); });
  http::ServerOptions mopts;
  mopts.address = maddr->first;
  mopts.port = maddr->second;
  monitoring_ = std::make_unique<http::Server>(ex, *monitoring_router_, mopts);
  if (auto ok = monitoring_->start(); !ok)
    co_return std::unexpected("--monitoring-address: cannot listen on " + cfg_.monitoring_address + ": " +
                              ok.error().message());
  background_->spawn([](DvNode* self) -> Task<void> {
    for (std::uint64_t poll = 0;; ++poll) {
      // Several BNs: each one's sync state decides whether it serves duty data (BeaconNodeClient::check_health).
      if (self->bn_client_->size() > 1) co_await self->bn_client_->check_health();
      auto s = co_await self->bn_client_->syncing();
      BnReading& b = self->bn_reading_;
      b.reachable = s.has_value();
      b.syncing = s && s->is_syncing;
      b.sync_distance = s ? s->sync_distance : 0;
      b.head_slot = s ? std::optional<std::uint64_t>(s->head_slot.value) : std::nullopt;
      b.last_used = self->bn_client_->last_used();
      b.peers = s ? co_await bn_peer_count(*self->bn_client_) : std::nullopt;
      if (s && (!b.version || poll % 150 == 0))  // the status page's BN client: at first, then every 5 min
        if (auto v = co_await self->bn_client_->node_version()) b.version = printable_ascii(*v, p2p::kMaxAppVersion);
      co_await runtime::sleep_for(std::chrono::seconds(2));
    }
  }(this));
  // Once per slot (from its start): the monitor closes the slot. The first evaluation comes after the p2p layer
  // had a moment to connect; before genesis only that first one counts (the evaluator takes one per slot).
  background_->spawn([](DvNode* self) -> Task<void> {
    co_await runtime::sleep_for(std::chrono::seconds(2));
    for (;;) {
      self->close_slot();
      const auto sps = std::chrono::seconds(self->chain_.seconds_per_slot);
      const TimePoint genesis{std::chrono::seconds(self->chain_.genesis_time)};
      const auto now = self->clock_.now();
      auto next = genesis;
      if (now >= genesis) next += ((now - genesis) / sps + 1) * sps;
      else next = std::min(now + sps, genesis);  // before genesis: once a slot's length, and at genesis
      co_await runtime::sleep_for(std::chrono::duration_cast<Duration>(next - now));
    }
  }(this));

  workflow_->start();
  if (doppelganger_) background_->spawn(doppelganger_->run());
  bn_events_ = std::make_unique<BnEvents>(endpoints, [this](const core::HeadEvent& h) {
    const TimePoint start{std::chrono::seconds(chain_.genesis_time + h.slot.value * chain_.seconds_per_slot)};
    monitor_->on_head(std::chrono::duration_cast<Duration>(clock_.now() - start));
    if (workflow_) workflow_->on_head(h);
  });
  bn_events_->start(*background_);
  background_->spawn(operator_api_->run_background());
  log::info("phalanx node {} of {} running: {} validators, threshold {}, signer {}", setup_.self.value, n,
            setup_.book.size(), setup_.book.threshold(), cfg_.signer == SignerMode::kEmbedded ? "embedded" : "vc");
  co_return Result<void, std::string>{};
}

http::ReadyState DvNode::readiness() const {
  if (!monitor_ || monitor_->verdict().readiness == health::Readiness::kUnknown)
    return http::ReadyState::not_ready("starting");
  const auto& v = monitor_->verdict();
  if (v.readiness == health::Readiness::kReady) return http::ReadyState::ok();
  return http::ReadyState::not_ready(std::string(health::to_string(v.readiness)) + ": " + v.reason);
}

void DvNode::add_status_routes() {
  status_info_.cluster_name = setup_.lock.definition.name;
  const auto net = cluster::network_by_fork_version(setup_.lock.definition.fork_version);
  status_info_.network = net ? net->name : to_hex(setup_.lock.definition.fork_version);
  status_info_.lock_hash = to_hex(setup_.lock.lock_hash);
  for (const auto& url : cfg_.beacon_node_endpoints)
    if (auto ep = http::Endpoint::parse(url)) status_info_.beacon_nodes.push_back(ep->to_string());
  status_info_.chain = &chain_;
  status_info_.vc_stats = [this]() -> const beaconapi::vapi::Stats* { return vapi_ ? &vapi_->stats() : nullptr; };
  monitoring_router_->add(http::Method::kGet, "/", [](const http::Request&, const http::PathParams&) -> Task<http::Response> {
    http::Response r;
    r.status = 200;
    r.content_type = "text/html; charset=utf-8";
    r.body = std::string(status_page_html());
    co_return r;
  });
  monitoring_router_->add(
      http::Method::kGet, "/api/v1/status",
      [this](const http::Request& req, const http::PathParams&) -> Task<http::Response> {
        auto page = parse_validator_page(req.query);
        if (!page) co_return http::Response::error(400, page.error());
        // Validators in lock order with the index the beacon node gave (exit duties cover every known one).
        std::map<core::PubKey, std::uint64_t> indices;
        if (workflow_)
          for (const auto& [pk, def] :
               workflow_->scheduler().definitions(core::Duty{current_slot().value_or(Slot{0}), core::DutyType::kExit}))
            indices[pk] = def.validator_index.value;
        std::vector<ValidatorRow> rows;
        for (const auto& v : setup_.lock.validators) {
          ValidatorRow row;
          row.pubkey = to_hex(v.distributed_public_key);
          core::PubKey pk{};
          if (v.distributed_public_key.size() == pk.size()) {
            std::copy(v.distributed_public_key.begin(), v.distributed_public_key.end(), pk.begin());
            if (auto it = indices.find(pk); it != indices.end()) row.index = it->second;
          }
          rows.push_back(std::move(row));
        }
        co_return http::Response::json(
            status_json(*monitor_, operator_api_->duty_log(), status_info_, rows, *page, clock_.now()));
      });
}

std::optional<Slot> DvNode::current_slot() const {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
  if (now < static_cast<std::int64_t>(chain_.genesis_time) || chain_.seconds_per_slot == 0) return std::nullopt;
  return Slot{(static_cast<std::uint64_t>(now) - chain_.genesis_time) / chain_.seconds_per_slot};
}

void DvNode::close_slot() {
  if (!monitor_ || !p2p_) return;
  std::vector<PeerReading> peers(setup_.operators.size());
  const auto& pm = p2p_->metrics().peers;
  for (std::uint32_t i = 0; i < peers.size(); ++i) {
    if (i == setup_.self.value || i >= pm.size()) continue;
    auto& p = peers[i];
    p.connected = p2p_->connected(OperatorIdx{i});
    if (pm[i].rtt_ms > 0) p.rtt_ms = pm[i].rtt_ms;
    if (pm[i].clock_offset_ms != 0) p.clock_offset_ms = pm[i].clock_offset_ms;
    p.bytes_in = pm[i].bytes_in;
    p.bytes_out = pm[i].bytes_out;
    p.drops = pm[i].drops;
    p.dial_failures = pm[i].dial_failures;
    p.stalls = pm[i].stalls;
    p.disconnects = pm[i].disconnects;
    if (const auto& info = pm[i].info) {
      p.lock_match = info->lock_hash == setup_.lock.lock_hash;
      if (info->extension) {
        p.version = info->extension->app_version;
        p.start_time = info->extension->start_time_s;
        p.readiness = info->extension->readiness;
        if (!info->extension->bn_client.empty()) p.bn_client = info->extension->bn_client;
        if (!info->extension->vc_client.empty()) p.vc_client = info->extension->vc_client;
      }
    }
  }
  if (vapi_) {
    const auto& st = vapi_->stats();
    const std::uint64_t seen = st.intercepted + st.proxied;
    if (seen != vc_requests_seen_) monitor_->on_vc_request();
    vc_requests_seen_ = seen;
  }
  std::optional<std::uint64_t> rss;
  if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
    unsigned long long size = 0, resident = 0;
    if (std::fscanf(f, "%llu %llu", &size, &resident) == 2)
      rss = resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    std::fclose(f);
  }
  const auto slot = current_slot().value_or(Slot{0});
  const auto before = monitor_->verdict().readiness;
  const auto& v = monitor_->on_slot(slot, peers, bn_reading_, rss);
  if (v.readiness != before)
    log::info("readiness: {}{}{}", health::to_string(v.readiness), v.reason.empty() ? "" : ": ", v.reason);
  p2p_->set_local_info(p2p::PeerInfoExtension{
      kPhalanxVersion, monitor_->start_time(), static_cast<std::uint8_t>(v.readiness), bn_reading_.version.value_or(""),
      vapi_ ? printable_ascii(vapi_->stats().user_agent, p2p::kMaxAppVersion) : std::string()});
}

Task<void> DvNode::shutdown() {
  if (background_) {
    background_->stop();
    co_await background_->join();
  }
  if (workflow_) co_await workflow_->stop();
  if (vapi_) co_await vapi_->stop();
  if (monitoring_) co_await monitoring_->stop();
  if (qbft_) qbft_->stop();
  if (parsig_transport_) parsig_transport_->stop();
  if (p2p_) co_await p2p_->stop();
}

/// Returns once `flag` is set (woken by `stop`).
static Task<void> stop_requested(std::shared_ptr<runtime::Event> stop, std::shared_ptr<bool> flag) {
  while (!*flag) co_await stop->wait();
}

Task<int> DvNode::run(std::shared_ptr<runtime::Event> stop, std::shared_ptr<bool> stop_flag) {
  // Start-up waits (the beacon node may not answer for a long time) end as soon as a stop is requested: the
  // start coroutine is cancelled at its next suspension point and shutdown() releases what it made.
  using namespace asio::experimental::awaitable_operators;
  auto first = co_await (start() || stop_requested(stop, stop_flag));
  if (first.index() == 1) {
    log::info("stopped during start-up");
    co_await shutdown();
    co_return 0;
  }
  auto started = std::get<0>(std::move(first));
  int code = 0;
  if (!started) {
    log::error("{}", started.error());
    std::fprintf(stderr, "phalanx run: %s\n", started.error().c_str());
    code = 1;
  } else {
    while (!*stop_flag) co_await stop->wait();
    log::info("stopping");
  }
  co_await shutdown();
  co_return code;
}

}  // namespace node_detail

Result<void, std::string> validate(const NodeConfig& c) {
  if (c.beacon_node_endpoints.empty()) return std::unexpected("--beacon-node-endpoints: at least one URL is required");
  for (const auto& url : c.beacon_node_endpoints)
    if (!http::Endpoint::parse(url)) return std::unexpected("--beacon-node-endpoints: bad URL \"" + url + "\"");
  if (!std::filesystem::exists(c.lock_file)) return std::unexpected("--lock-file: " + c.lock_file.string() + " not found");
  if (!std::filesystem::exists(c.private_key_file))
    return std::unexpected("--private-key-file: " + c.private_key_file.string() + " not found");
  for (const auto& [addr, flag] : {std::pair{c.validator_api_address, "validator-api-address"},
                                   std::pair{c.p2p_tcp_address, "p2p-tcp-address"},
                                   std::pair{c.monitoring_address, "monitoring-address"}})
    if (auto ok = split_address(addr, flag); !ok) return std::unexpected(ok.error());
  if (c.signer == SignerMode::kEmbedded && !std::filesystem::is_directory(c.keystores_dir))
    return std::unexpected("--keystores-dir: " + c.keystores_dir.string() + " is not a folder");
  if (c.graffiti.size() > 32) return std::unexpected("--graffiti: at most 32 bytes");
  if (c.beacon_node_timeout.count() <= 0) return std::unexpected("--beacon-node-timeout: must be positive");
  return {};
}

int run_node(const NodeConfig& config, std::function<bool()> stop_requested) {
  if (!log::set_level(config.log_level)) {
    std::fprintf(stderr, "phalanx run: --log-level: unknown level \"%s\"\n", config.log_level.c_str());
    return 2;
  }
  if (auto ok = validate(config); !ok) {
    std::fprintf(stderr, "phalanx run: %s\n", ok.error().c_str());
    return 2;
  }
  auto key = load_operator_key(config.private_key_file);
  if (!key) {
    std::fprintf(stderr, "phalanx run: %s\n", key.error().c_str());
    return 2;
  }
  auto setup = load_cluster(config, *key);
  if (!setup) {
    std::fprintf(stderr, "phalanx run: %s\n", setup.error().c_str());
    return 2;
  }
  asio::io_context io;
  auto stop = std::make_shared<runtime::Event>(io.get_executor());
  auto stop_flag = std::make_shared<bool>(false);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([stop, stop_flag](const boost::system::error_code& ec, int) {
    if (ec) return;
    *stop_flag = true;
    stop->notify_all();
  });
  // An external stop request (tests, devnet in-process) is polled.
  asio::steady_timer poll(io);
  std::function<void()> arm;
  if (stop_requested) {
    arm = [&] {
      poll.expires_after(std::chrono::milliseconds(50));
      poll.async_wait([&, stop, stop_flag](const boost::system::error_code& ec) {
        if (ec) return;
        if (stop_requested()) {
          *stop_flag = true;
          stop->notify_all();
          return;
        }
        arm();
      });
    };
    arm();
  }
  node_detail::DvNode node(io, config, std::move(*key), std::move(*setup));
  int code = 1;
  asio::co_spawn(io, node.run(stop, stop_flag), [&](std::exception_ptr e, int c) {
    code = c;
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        std::fprintf(stderr, "phalanx run: internal error: %s\n", ex.what());
      }
      code = 1;
    }
    signals.cancel();
    poll.cancel();
  });
  io.run();
  return code;
}

}  // namespace phx::app
